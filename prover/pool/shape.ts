/**
 * How many prover workers, and how many threads each, a machine can afford for one proving key,
 * for what the caller wants most:
 *
 * - throughput (the default): one single-threaded worker per core, as memory allows. A proof
 *   alone on a core wastes nothing on its threads' coordination and waiting, so the most proofs
 *   per minute come from as many of them side by side as there are cores.
 * - latency: one worker whose proofs take every core (prover/threads/): each proof finishes
 *   soonest, and proofs queue behind each other.
 *
 * Memory caps the workers; a worker with threads costs about what a single-threaded one does
 * (its threads share the key's memory).
 */
import * as os from 'node:os';
import { ZkinferError } from '../../core/errors.js';
import { DEFAULT_PRECOMPUTE_BUDGET } from '../groth16.js';

export interface PoolShape {
  size: number;
  threadsPerWorker: number;
}

export type PoolGoal = 'latency' | 'throughput';
export const POOL_GOALS: readonly PoolGoal[] = ['latency', 'throughput'];

/** A shape, and why it was chosen (for the user). */
export interface PoolChoice extends PoolShape {
  reason: string;
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
  // A worker builds all of them when they fit the budget, else H's alone when those fit: never more than the budget.
  return WORKER_BASE_BYTES + ZKEY_MEMORY_FACTOR * zkeyBytes + Math.min(PRECOMPUTED_FACTOR * zkeyBytes, DEFAULT_PRECOMPUTE_BUDGET);
}

/**
 * The pool's shape: what the caller set, the rest chosen for `goal` (default throughput) from
 * the cores and the memory, with the reason in words.
 */
export function choosePoolShape(inputs: ShapeInputs, requested: Partial<PoolShape> = {}, goal: PoolGoal = 'throughput'): PoolChoice {
  for (const [name, value] of Object.entries(requested)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new ZkinferError('USAGE', `${name === 'size' ? 'the pool size' : 'threads per worker'} must be an integer of at least 1, got ${value}`);
    }
  }
  const cores = Math.max(1, inputs.cores);
  const fit = Math.max(1, Math.floor((MEMORY_SHARE * inputs.freeMemory) / estimateWorkerBytes(inputs.zkeyBytes)));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const memoryNote = (wanted: number) => (fit < wanted ? `; memory allows ${plural(fit, 'worker')} for this key` : '');
  const { size, threadsPerWorker } = requested;
  if (size !== undefined && threadsPerWorker !== undefined) return { size, threadsPerWorker, reason: 'as set' };
  if (threadsPerWorker !== undefined) {
    const wanted = Math.max(1, Math.floor(cores / threadsPerWorker));
    return { size: Math.min(wanted, fit), threadsPerWorker, reason: `${plural(threadsPerWorker, 'thread')} per worker as set, and as many workers as fill the ${plural(cores, 'core')}${memoryNote(wanted)}` };
  }
  if (goal === 'latency') {
    const workers = size ?? 1;
    const threads = Math.max(1, Math.floor(cores / workers));
    return { size: workers, threadsPerWorker: threads, reason: `latency: ${workers === 1 ? 'one worker' : `${workers} workers as set`}, each proof on ${plural(threads, 'thread')} of the ${plural(cores, 'core')}, so that it finishes soonest` };
  }
  if (size !== undefined) return { size, threadsPerWorker: 1, reason: `throughput: ${plural(size, 'worker')} as set, each proof on one thread` };
  return {
    size: Math.min(cores, fit),
    threadsPerWorker: 1,
    reason: `throughput: one single-threaded worker per core (${plural(cores, 'core')})${memoryNote(cores)}: proofs side by side lose nothing to their threads' coordination`,
  };
}

export function machineShapeInputs(zkeyBytes: number): ShapeInputs {
  return { cores: os.availableParallelism(), freeMemory: os.freemem(), zkeyBytes };
}
