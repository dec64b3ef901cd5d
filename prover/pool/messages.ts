/** What the prover pool and its worker threads say to each other. */

import type { CircuitInput, CircuitValue } from '../../circuits/witness.js';

export type { CircuitInput };

/** The same after bigints became decimal strings, as posted to a worker. */
export type WireValue = number | string | WireValue[];
export type WireInput = Record<string, WireValue>;

/** A Groth16 proof in snarkjs's JSON layout (projective coordinates as decimal strings). */
export interface Groth16Proof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
}

export interface ProveRequest {
  kind: 'prove';
  id: number;
  wasmPath: string;
  zkeyPath: string;
  input: WireInput;
}

export interface CloseRequest {
  kind: 'close';
}

export type WorkerRequest = ProveRequest | CloseRequest;

export interface ProvedResponse extends ProofResult {
  kind: 'proved';
  id: number;
}

export interface FailedResponse {
  kind: 'failed';
  id: number;
  /** 'witness': the input does not fit or satisfy the circuit; 'prove': the proving key or prover failed. */
  stage: 'witness' | 'prove';
  message: string;
}

export type WorkerResponse = ProvedResponse | FailedResponse;

export function toWireInput(input: CircuitInput): WireInput {
  const convert = (value: CircuitValue): WireValue => {
    if (typeof value === 'bigint') return value.toString();
    if (Array.isArray(value)) return value.map(convert);
    return value as number | string;
  };
  return Object.fromEntries(Object.entries(input).map(([name, value]) => [name, convert(value)]));
}
