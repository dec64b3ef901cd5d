/** Prove one inference: witness generation and a Groth16 proof, on a worker thread. */
import { ProverPool } from './pool/pool.js';
import type { CircuitInput, ProofResult } from './pool/messages.js';

export interface ProveInferenceOptions {
  wasmPath: string;
  zkeyPath: string;
  input: CircuitInput;
  /** A pool to run on; without one, a pool of one worker is made and closed for this proof. */
  pool?: ProverPool;
}

/**
 * Rejects with ZkinferError('PROVE') when the input does not satisfy the circuit (circom's
 * assertion message is in `details.circomMessage`), and ARTIFACT_MISSING for missing files.
 */
export async function proveInference(options: ProveInferenceOptions): Promise<ProofResult> {
  const { pool, ...job } = options;
  if (pool) return pool.prove(job);
  const own = await ProverPool.create({ size: 1 });
  try {
    return await own.prove(job);
  } finally {
    await own.close();
  }
}
