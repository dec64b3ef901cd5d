/** What the page's library (web/index.ts) and its prover worker (web/prover-worker.ts) say to each other. */
import type { ErrorCode } from '../core/errors.js';
import type { Groth16Proof } from '../prover/groth16.js';
import type { WebManifest } from './site.js';

export type WebStage = 'download' | 'load' | 'witness' | 'prove' | 'verify';

/** Where a load or a proof is: `done` of `total` (bytes while downloading, else steps). */
export interface WebProgress {
  stage: WebStage;
  done: number;
  total: number;
}

export type ToWorker =
  /**
   * Fetch web.json at `manifestUrl` and what it lists, then load the key on `threads` threads
   * (their script at `threadUrl`), precomputing the key's window multiples if `precompute`.
   */
  | { kind: 'load'; manifestUrl: string; threads: number; threadUrl: string; precompute: boolean }
  /** Prove the model's float input `values`, with this salt (decimal) or a fresh one. */
  | { kind: 'prove'; id: number; values: number[]; salt?: string };

export interface LoadedInfo {
  manifest: WebManifest;
  threads: number;
  /** Bytes fetched (web.json, the circuit, the key, the prover's modules) and the wall time of the fetches. */
  downloadBytes: number;
  downloadMs: number;
  /** Wall time to compile the modules and load the key after the download. */
  loadMs: number;
}

export interface ProvedInfo {
  proof: Groth16Proof;
  publicSignals: string[];
  /** The input as the circuit took it. */
  quantized: number[];
  /** The salt the commitments were made with (decimal), when the circuit takes one: it opens them, keep it private. */
  salt?: string;
  witnessMs: number;
  proveMs: number;
}

export type FromWorker =
  | { kind: 'progress'; progress: WebProgress }
  /** `module`: the prover's WebAssembly, compiled, for the page's verifier (prover/groth16-verifier.ts). */
  | { kind: 'loaded'; info: LoadedInfo; module: WebAssembly.Module }
  | { kind: 'proved'; id: number; info: ProvedInfo }
  | { kind: 'failed'; id?: number; code: ErrorCode; message: string };
