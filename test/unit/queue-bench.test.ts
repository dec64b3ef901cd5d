/** The queue bench's summary: each queue round against the pool round beside it, median and spread over rounds. */
import { describe, expect, it } from 'vitest';
import { type QueueBenchRun, cpuByProcess, proverIdleMsPerProof, queueOverhead } from '../../bench/queue.js';
import { ZkinferError } from '../../core/errors.js';

const run = (path: 'pool' | 'queue', provers: number, round: number, proofsPerMinute: number, cpuMsPerProof: number, idleMsPerProof = 0): QueueBenchRun => ({
  path,
  provers,
  round,
  proofs: 40,
  seconds: (60 * 40) / proofsPerMinute,
  proofsPerMinute,
  cpuMsPerProof,
  cpuMsPerProofBy: { producer: cpuMsPerProof / 10, workers: path === 'queue' ? 1 : 0, provers: cpuMsPerProof - cpuMsPerProof / 10 - (path === 'queue' ? 2 : 0), redis: path === 'queue' ? 1 : 0 },
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

describe('cpuByProcess', () => {
  it('takes the median over rounds of each process kind, per path and prover count', () => {
    const runs = [run('queue', 2, 1, 700, 150), run('pool', 1, 1, 500, 120), run('queue', 2, 2, 700, 170), run('queue', 2, 3, 700, 130), run('pool', 1, 2, 500, 140)];
    const rows = cpuByProcess(runs);
    expect(rows.map((r) => [r.path, r.provers, r.rounds])).toEqual([
      ['pool', 1, 2],
      ['queue', 2, 3],
    ]);
    // Pool, 1 prover: producer 12 and 14 (median 13), provers 108 and 126 (117).
    expect(rows[0]!.median.producer).toBeCloseTo(13, 12);
    expect(rows[0]!.median.provers).toBeCloseTo(117, 12);
    expect(rows[0]!.median.workers).toBe(0);
    // Queue, 2 provers: producer 15, 17, 13 (median 15); provers 133, 151, 115 (median 133).
    expect(rows[1]!.median.producer).toBeCloseTo(15, 12);
    expect(rows[1]!.median.provers).toBeCloseTo(150 - 15 - 2, 12);
    expect([rows[1]!.median.workers, rows[1]!.median.redis]).toEqual([1, 1]);
  });
});
