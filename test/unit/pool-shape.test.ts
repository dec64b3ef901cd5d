import { describe, expect, it } from 'vitest';
import { DEFAULT_PRECOMPUTE_BUDGET } from '../../prover/groth16.js';
import { PRECOMPUTED_FACTOR, WORKER_BASE_BYTES, ZKEY_MEMORY_FACTOR, choosePoolShape, estimateWorkerBytes } from '../../prover/pool/shape.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('choosePoolShape', () => {
  it('gives one single-threaded worker per core when memory allows', () => {
    expect(choosePoolShape({ cores: 2, freeMemory: 16 * GiB, zkeyBytes: 3 * MiB })).toMatchObject({ size: 2, threadsPerWorker: 1, reason: 'throughput: one single-threaded worker per core (2 cores): proofs side by side lose nothing to their threads\' coordination' });
    expect(choosePoolShape({ cores: 8, freeMemory: 16 * GiB, zkeyBytes: 3 * MiB })).toMatchObject({ size: 8, threadsPerWorker: 1 });
  });

  it('caps workers by memory, and keeps a lone worker single-threaded (zkinfer\'s prover)', () => {
    const zkeyBytes = 400 * MiB;
    const perWorker = WORKER_BASE_BYTES + ZKEY_MEMORY_FACTOR * zkeyBytes + DEFAULT_PRECOMPUTE_BUDGET;
    expect(estimateWorkerBytes(zkeyBytes)).toBe(perWorker);
    // Room for three workers within three quarters of the free memory.
    expect(choosePoolShape({ cores: 8, freeMemory: Math.ceil((3 * perWorker) / 0.75), zkeyBytes })).toMatchObject({ size: 3, threadsPerWorker: 1, reason: expect.stringMatching(/per core \(8 cores\); memory allows 3 workers for this key:/) });
    expect(choosePoolShape({ cores: 4, freeMemory: perWorker, zkeyBytes })).toMatchObject({ size: 1, threadsPerWorker: 1 });
    // Never fewer than one worker, even when the estimate says none fits.
    expect(choosePoolShape({ cores: 2, freeMemory: 1 * MiB, zkeyBytes })).toMatchObject({ size: 1, threadsPerWorker: 1 });
    expect(choosePoolShape({ cores: 1, freeMemory: 1 * MiB, zkeyBytes })).toMatchObject({ size: 1, threadsPerWorker: 1 });
  });

  it('counts the precomputed bases: all of a small key\'s, at most the budget for a larger key (H\'s alone, or none)', () => {
    const small = 3 * MiB;
    expect(estimateWorkerBytes(small)).toBe(WORKER_BASE_BYTES + (ZKEY_MEMORY_FACTOR + PRECOMPUTED_FACTOR) * small);
    const large = Math.ceil(DEFAULT_PRECOMPUTE_BUDGET / PRECOMPUTED_FACTOR) + MiB;
    expect(estimateWorkerBytes(large)).toBe(WORKER_BASE_BYTES + ZKEY_MEMORY_FACTOR * large + DEFAULT_PRECOMPUTE_BUDGET);
  });

  it('takes what the caller sets, and refuses what cannot be', () => {
    const machine = { cores: 2, freeMemory: 16 * GiB, zkeyBytes: 3 * MiB };
    expect(choosePoolShape(machine, { size: 1 })).toMatchObject({ size: 1, threadsPerWorker: 1 });
    expect(choosePoolShape(machine, { size: 1, threadsPerWorker: 2 })).toMatchObject({ size: 1, threadsPerWorker: 2 });
    expect(choosePoolShape(machine, { size: 1, threadsPerWorker: 1 })).toMatchObject({ size: 1, threadsPerWorker: 1 });
    // Threads set alone: as many workers as fill the cores, never more threads than cores.
    expect(choosePoolShape(machine, { threadsPerWorker: 2 })).toMatchObject({ size: 1, threadsPerWorker: 2 });
    expect(choosePoolShape({ ...machine, cores: 16 }, { threadsPerWorker: 4 })).toMatchObject({ size: 4, threadsPerWorker: 4, reason: '4 threads per worker as set, and as many workers as fill the 16 cores' });
    expect(choosePoolShape(machine, { size: 1, threadsPerWorker: 2 }, 'throughput').reason).toBe('as set');
    expect(() => choosePoolShape(machine, { size: 0 })).toThrow(/pool size must be an integer of at least 1, got 0/);
    expect(() => choosePoolShape(machine, { threadsPerWorker: 1.5 })).toThrow(/threads per worker must be an integer of at least 1, got 1.5/);
  });

  it('for latency, proves each proof on every core in one worker; for throughput, one single-threaded worker per core', () => {
    const machine = { cores: 16, freeMemory: 64 * GiB, zkeyBytes: 3 * MiB };
    expect(choosePoolShape(machine, {}, 'latency')).toEqual({
      size: 1,
      threadsPerWorker: 16,
      reason: 'latency: one worker, each proof on 16 threads of the 16 cores, so that it finishes soonest',
    });
    expect(choosePoolShape(machine, {}, 'throughput')).toMatchObject({ size: 16, threadsPerWorker: 1 });
    // Workers set: the cores shared among them.
    expect(choosePoolShape(machine, { size: 4 }, 'latency')).toMatchObject({ size: 4, threadsPerWorker: 4, reason: expect.stringMatching(/^latency: 4 workers as set, each proof on 4 threads/) });
    expect(choosePoolShape(machine, { size: 32 }, 'latency')).toMatchObject({ size: 32, threadsPerWorker: 1 });
    expect(choosePoolShape(machine, { size: 3 }, 'throughput')).toEqual({ size: 3, threadsPerWorker: 1, reason: 'throughput: 3 workers as set, each proof on one thread' });
    // One core: latency and throughput are the same shape.
    expect(choosePoolShape({ ...machine, cores: 1 }, {}, 'latency')).toMatchObject({ size: 1, threadsPerWorker: 1 });
    expect(choosePoolShape({ ...machine, cores: 2 }, {}, 'latency')).toMatchObject({ size: 1, threadsPerWorker: 2 });
  });
});
