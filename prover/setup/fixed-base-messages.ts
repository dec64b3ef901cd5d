/** Messages between the development setup and its fixed-base worker threads. */
import type { GroupName } from '../bn128-layout.js';

export interface FixedBaseWorkerData {
  /** ffjavascript's compiled bn128 module (structured-cloned, not recompiled). */
  module: WebAssembly.Module;
  /** Each group's generator, affine LEM. */
  generators: Record<GroupName, Uint8Array>;
}

/** Build a table now (while the main thread evaluates the QAP) rather than on the first job. */
export interface PrepareRequest {
  kind: 'prepare';
  group: GroupName;
  window: number;
}

export interface MultiplyRequest {
  kind: 'multiply';
  id: number;
  group: GroupName;
  window: number;
  /** 32-byte little-endian scalars in normal form; secret-derived, so the worker wipes its copy. */
  scalars: Uint8Array;
  lem: boolean;
  uncompressed: boolean;
}

export type MultiplyResponse =
  | { id: number; ok: true; lem?: Uint8Array; uncompressed?: Uint8Array }
  | { id: number; ok: false; message: string };
