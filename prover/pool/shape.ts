/**
 * How many prover workers, and how many threads each, a machine can afford for one proving key.
 * Throughput comes from one proof per core (single-threaded curves, no copying between threads);
 * memory caps the number of workers. Every worker is single-threaded unless the caller asks for
 * threads, even a lone one: zkinfer's own prover (single-threaded) proved LeNet in 3.1 s on one
 * core of the 2-core development machine, snarkjs's on ffjavascript's threads in 6.6 s on both.
 */
import * as os from 'node:os';
import { ZkinferError } from '../../core/errors.js';
import { DEFAULT_PRECOMPUTE_BUDGET } from '../groth16.js';

export interface PoolShape {
  size: number;
  threadsPerWorker: number;
}

export interface ShapeInputs {
  cores: number;
  /** Memory available to new processes, in bytes. */
  freeMemory: number;
  /** The proving key's size in bytes (a worker holds it, and a proof copies its sections). */
  zkeyBytes: number;
}

/** A warm worker's resident memory besides the key: Node, snarkjs, the prover's and the circuit's WebAssembly. */
export const WORKER_BASE_BYTES = 160 * 2 ** 20;
/** The key as read, its copy in WebAssembly memory, the MSM work space, and the QAP and witness buffers. */
export const ZKEY_MEMORY_FACTOR = 4;
/** The precomputed window multiples of the key's points, about this many times the key (prover/groth16.ts). */
export const PRECOMPUTED_FACTOR = 32;
/** Leave this share of the free memory to everything else. */
const MEMORY_SHARE = 0.75;

export function estimateWorkerBytes(zkeyBytes: number): number {
  const precomputed = PRECOMPUTED_FACTOR * zkeyBytes;
  // A worker builds them only when they fit the budget.
  return WORKER_BASE_BYTES + ZKEY_MEMORY_FACTOR * zkeyBytes + (precomputed <= DEFAULT_PRECOMPUTE_BUDGET ? precomputed : 0);
}

export function choosePoolShape(inputs: ShapeInputs, requested: Partial<PoolShape> = {}): PoolShape {
  for (const [name, value] of Object.entries(requested)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new ZkinferError('USAGE', `${name === 'size' ? 'the pool size' : 'threads per worker'} must be an integer of at least 1, got ${value}`);
    }
  }
  const cores = Math.max(1, inputs.cores);
  const fit = Math.max(1, Math.floor((MEMORY_SHARE * inputs.freeMemory) / estimateWorkerBytes(inputs.zkeyBytes)));
  const size = requested.size ?? Math.min(cores, fit);
  const threadsPerWorker = requested.threadsPerWorker ?? 1;
  return { size, threadsPerWorker };
}

export function machineShapeInputs(zkeyBytes: number): ShapeInputs {
  return { cores: os.availableParallelism(), freeMemory: os.freemem(), zkeyBytes };
}
