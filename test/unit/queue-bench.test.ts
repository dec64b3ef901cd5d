/** The queue bench's summary: each queue round against the pool round beside it, median and spread over rounds. */
import { describe, expect, it } from 'vitest';
import { type QueueBenchRun, proverIdleMsPerProof, queueOverhead } from '../../bench/queue.js';
import { ZkinferError } from '../../core/errors.js';

const run = (path: 'pool' | 'queue', provers: number, round: number, proofsPerMinute: number, cpuMsPerProof: number, idleMsPerProof = 0): QueueBenchRun => ({
  path,
  provers,
  round,
  proofs: 40,
  seconds: (60 * 40) / proofsPerMinute,
  proofsPerMinute,
  cpuMsPerProof,
  idleMsPerProof,
});

describe('queueOverhead', () => {
  it('compares each queue round with the pool round of the same round and prover count, and takes the median over rounds', () => {
    const runs = [
      // 1 prover: round 2's pool is slow (other work on the machine): the queue looks faster there.
      run('pool', 1, 1, 500, 130, 1),
      run('queue', 1, 1, 475, 143, 9),
      run('queue', 1, 2, 400, 150, 2),
      run('pool', 1, 2, 400, 150, 4),
      run('pool', 1, 3, 600, 120, 0.5),
      run('queue', 1, 3, 540, 132, 6.5),
      // 2 provers, listed out of order: pairing goes by round, not by position.
      run('queue', 2, 2, 720, 160),
      run('pool', 2, 1, 800, 150),
      run('pool', 2, 2, 900, 160),
      run('queue', 2, 1, 600, 165),
    ];
    const [one, two] = queueOverhead(runs);
    expect(one!.provers).toBe(1);
    // Shares 0.05, 0, 0.1; CPU 0.1, 0, 0.1.
    expect(one!.share.count).toBe(3);
    expect(one!.share.median).toBeCloseTo(0.05, 12);
    expect(one!.share.min).toBeCloseTo(0, 12);
    expect(one!.share.max).toBeCloseTo(0.1, 12);
    expect(one!.cpuShare.median).toBeCloseTo(0.1, 12);
    expect(one!.cpuShare.min).toBeCloseTo(0, 12);
    // Idle: 8, -2, 6 ms more per proof.
    expect([one!.idleMsMore.median, one!.idleMsMore.min, one!.idleMsMore.max]).toEqual([6, -2, 8]);
    expect(two!.provers).toBe(2);
    // Shares 0.25 (round 1) and 0.2 (round 2): an even count's median is the mean of the middle two.
    expect(two!.share.median).toBeCloseTo(0.225, 12);
    expect([two!.share.min, two!.share.max].map((v) => Number(v.toFixed(12)))).toEqual([0.2, 0.25]);
    expect(two!.cpuShare.median).toBeCloseTo((0.1 + 0) / 2, 12);
  });

  it('refuses a queue round with no pool round beside it', () => {
    expect(() => queueOverhead([run('pool', 1, 1, 500, 130), run('queue', 1, 2, 500, 130)])).toThrow(ZkinferError);
    expect(() => queueOverhead([run('pool', 1, 1, 500, 130), run('queue', 1, 2, 500, 130)])).toThrow(/no pool run to compare with round 2 of 1 prover/);
    expect(() => queueOverhead([run('pool', 2, 1, 500, 130)])).toThrow(/no queue run with 2 prover/);
  });

  it("a prover's idle time per proof: the provers' wall time less the proofs' own times, over the proofs", () => {
    // 2 provers for 1.5 s is 3,000 ms of prover time; 20 proofs of 140 ms leave 200 ms idle: 10 ms a proof.
    const proofs = Array.from({ length: 20 }, () => ({ witnessMs: 40, proveMs: 100 }));
    expect(proverIdleMsPerProof(1.5, 2, proofs)).toBeCloseTo(10, 12);
    // A prover busy all the time is never idle.
    expect(proverIdleMsPerProof(2.8, 1, proofs)).toBeCloseTo(0, 12);
  });
});
