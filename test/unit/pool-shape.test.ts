import { describe, expect, it } from 'vitest';
import { DEFAULT_PRECOMPUTE_BUDGET } from '../../prover/groth16.js';
import { PRECOMPUTED_FACTOR, WORKER_BASE_BYTES, ZKEY_MEMORY_FACTOR, choosePoolShape, estimateWorkerBytes } from '../../prover/pool/shape.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('choosePoolShape', () => {
  it('gives one single-threaded worker per core when memory allows', () => {
    expect(choosePoolShape({ cores: 2, freeMemory: 16 * GiB, zkeyBytes: 3 * MiB })).toEqual({ size: 2, threadsPerWorker: 1 });
    expect(choosePoolShape({ cores: 8, freeMemory: 16 * GiB, zkeyBytes: 3 * MiB })).toEqual({ size: 8, threadsPerWorker: 1 });
  });

  it('caps workers by memory, and keeps a lone worker single-threaded (zkinfer\'s prover)', () => {
    const zkeyBytes = 400 * MiB;
    const perWorker = WORKER_BASE_BYTES + ZKEY_MEMORY_FACTOR * zkeyBytes;
    expect(estimateWorkerBytes(zkeyBytes)).toBe(perWorker);
    // Room for three workers within three quarters of the free memory.
    expect(choosePoolShape({ cores: 8, freeMemory: Math.ceil((3 * perWorker) / 0.75), zkeyBytes })).toEqual({ size: 3, threadsPerWorker: 1 });
    expect(choosePoolShape({ cores: 4, freeMemory: perWorker, zkeyBytes })).toEqual({ size: 1, threadsPerWorker: 1 });
    // Never fewer than one worker, even when the estimate says none fits.
    expect(choosePoolShape({ cores: 2, freeMemory: 1 * MiB, zkeyBytes })).toEqual({ size: 1, threadsPerWorker: 1 });
    expect(choosePoolShape({ cores: 1, freeMemory: 1 * MiB, zkeyBytes })).toEqual({ size: 1, threadsPerWorker: 1 });
  });

  it('counts the precomputed bases of a key small enough to have them', () => {
    const small = 3 * MiB;
    expect(estimateWorkerBytes(small)).toBe(WORKER_BASE_BYTES + (ZKEY_MEMORY_FACTOR + PRECOMPUTED_FACTOR) * small);
    const large = Math.ceil(DEFAULT_PRECOMPUTE_BUDGET / PRECOMPUTED_FACTOR) + MiB;
    expect(estimateWorkerBytes(large)).toBe(WORKER_BASE_BYTES + ZKEY_MEMORY_FACTOR * large);
  });

  it('takes what the caller sets, and refuses what cannot be', () => {
    const machine = { cores: 2, freeMemory: 16 * GiB, zkeyBytes: 3 * MiB };
    expect(choosePoolShape(machine, { size: 1 })).toEqual({ size: 1, threadsPerWorker: 1 });
    expect(choosePoolShape(machine, { size: 1, threadsPerWorker: 2 })).toEqual({ size: 1, threadsPerWorker: 2 });
    expect(choosePoolShape(machine, { size: 1, threadsPerWorker: 1 })).toEqual({ size: 1, threadsPerWorker: 1 });
    expect(choosePoolShape(machine, { threadsPerWorker: 2 })).toEqual({ size: 2, threadsPerWorker: 2 });
    expect(() => choosePoolShape(machine, { size: 0 })).toThrow(/pool size must be an integer of at least 1, got 0/);
    expect(() => choosePoolShape(machine, { threadsPerWorker: 1.5 })).toThrow(/threads per worker must be an integer of at least 1, got 1.5/);
  });
});
