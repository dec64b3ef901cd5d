/** What the prover pool and its worker threads say to each other. */

import type { CircuitInput, CircuitValue } from '../../circuits/witness.js';
import { type ErrorCode, ZkinferError } from '../../core/errors.js';
import type { CircuitFiles } from '../circuit-prover.js';
import type { Groth16Proof } from '../groth16.js';

export type { CircuitFiles, CircuitInput, Groth16Proof };

/** The same after bigints became decimal strings, as posted to a worker. */
export type WireValue = number | string | WireValue[];
export type WireInput = Record<string, WireValue>;


export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
  /** Threads the proof ran on. */
  threads: number;
  /** CPU time the proving process spent on this job's witness and proof (all its threads), in milliseconds. */
  cpuMs: number;
  /** Whether the process had this circuit's witness generator and proving key in memory already. */
  warm: boolean;
  /** The proving process's id (a worker's, or the caller's for a proof without a pool), and its peak resident memory so far (bytes). */
  workerPid: number;
  workerPeakRss: number;
}

export interface ProveRequest extends CircuitFiles {
  kind: 'prove';
  id: number;
  input: WireInput;
}

/** Load a circuit and its key now (ahead of the first job); answered with 'loaded' or 'failed'. */
export interface LoadRequest extends CircuitFiles {
  kind: 'load';
  id: number;
}

export interface CloseRequest {
  kind: 'close';
}

/**
 * Take back a job the worker holds but has not started (one sent ahead): answered with
 * 'withdrawn', or not at all when the job has started (its proof is then answered as usual).
 */
export interface WithdrawRequest {
  kind: 'withdraw';
  id: number;
}

export type WorkerRequest = ProveRequest | LoadRequest | CloseRequest | WithdrawRequest;

/** What a worker is started with (as JSON in its environment). */
export interface WorkerSettings {
  /** Threads of each proof (prover/threads/ when more than 1). */
  threads: number;
  /** Precompute the key's window multiples at load. */
  precompute: boolean;
}

export const WORKER_SETTINGS_ENV = 'ZKINFER_PROVER_WORKER';

export interface ProvedResponse extends ProofResult {
  kind: 'proved';
  id: number;
}

export interface LoadedResponse {
  kind: 'loaded';
  id: number;
  loadMs: number;
  workerPid: number;
  workerPeakRss: number;
}

/** A ZkinferError as it crosses the process boundary: its code (hence the exit code), message and details. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

export interface FailedResponse {
  kind: 'failed';
  id: number;
  error: WireError;
}

export interface WithdrawnResponse {
  kind: 'withdrawn';
  id: number;
}

export type WorkerResponse = ProvedResponse | LoadedResponse | FailedResponse | WithdrawnResponse;

export function toWireError(error: ZkinferError): WireError {
  const { code, message, details } = error;
  try {
    return { code, message, details: structuredClone(details) };
  } catch {
    return { code, message, details: {} }; // details that cannot be posted (functions, handles) stay behind
  }
}

export function fromWireError(error: WireError): ZkinferError {
  return new ZkinferError(error.code, error.message, { details: error.details });
}

export function toWireInput(input: CircuitInput): WireInput {
  const convert = (value: CircuitValue): WireValue => {
    if (typeof value === 'bigint') return value.toString();
    if (Array.isArray(value)) return value.map(convert);
    return value as number | string;
  };
  return Object.fromEntries(Object.entries(input).map(([name, value]) => [name, convert(value)]));
}
