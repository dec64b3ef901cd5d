/**
 * Prove one inference: witness generation and a Groth16 proof, on a pool's warm worker when one
 * is given, else in this process. A one-shot proof gains nothing from a worker: starting one
 * costs a process and a second copy of every module, more than the proof itself on small models.
 */
import { CircuitProver, groth16KeyProver } from './circuit-prover.js';
import type { CircuitInput, ProofResult } from './pool/messages.js';
import type { ProverPool } from './pool/pool.js';

export interface ProveInferenceOptions {
  witnessPath: string;
  zkeyPath: string;
  input: CircuitInput;
  /** A pool to run on; without one, the proof is made in this process. */
  pool?: ProverPool;
  /** Without a pool: threads of the proof (default 1). */
  threads?: number;
}

/**
 * Rejects with ZkinferError('PROVE') when the input does not satisfy the circuit (circom's
 * assertion message is in `details.circomMessage`), ARTIFACT_MISSING for missing files and
 * ARTIFACT_INVALID for a malformed key.
 */
export async function proveInference(options: ProveInferenceOptions): Promise<ProofResult> {
  const { pool, threads, ...job } = options;
  if (pool) return pool.prove(job);
  // No precomputed window multiples: they cost more than one proof saves.
  const circuit = await CircuitProver.load(job, groth16KeyProver({ precomputeBudget: 0, ...(threads !== undefined ? { threads } : {}) }));
  try {
    return { ...(await circuit.witnessAndProve(job.input)), warm: false };
  } finally {
    await circuit.close();
  }
}
