/** The threaded prover's pure parts: the ranges, the plan of a proof, the phase times, the bench's projection. */
import { describe, expect, it } from 'vitest';
import { threadsTable } from '../../bench/report.js';
import { runBench } from '../../bench/run.js';
import { projectProofMs, scheduleMs } from '../../bench/threads.js';
import { POINT_SECTIONS, msmPoints, planProof, splitRange, type ProofTask } from '../../prover/groth16-steps.js';
import { coveredMs } from '../../prover/threads/team.js';

describe('splitRange', () => {
  it('cuts n items into ranges that cover them once, sizes differing by at most one', () => {
    expect(splitRange(10, 3)).toEqual([
      { from: 0, count: 4 },
      { from: 4, count: 3 },
      { from: 7, count: 3 },
    ]);
    expect(splitRange(2, 3)).toEqual([
      { from: 0, count: 1 },
      { from: 1, count: 1 },
    ]);
    expect(splitRange(0, 2)).toEqual([]);
    expect(splitRange(7, 1)).toEqual([{ from: 0, count: 7 }]);
  });
});

describe('planProof', () => {
  const layout = { nVars: 1001, nPublic: 12, domainSize: 1024 };
  for (const threads of [1, 2, 3, 5]) {
    it(`on ${threads} thread(s): every MSM's points once, each task after what it needs`, () => {
      const parts = new Map<string, number>();
      const plan = planProof(layout, threads, (section, part) => {
        const pointer = 1000 + POINT_SECTIONS.indexOf(section) * 100 + part;
        parts.set(`${section}:${part}`, pointer);
        return pointer;
      });
      const kinds = plan.map((step) => step.task.kind);
      const indexOf = (test: (task: ProofTask) => boolean) => plan.flatMap((step, i) => (test(step.task) ? [i] : []));
      for (const [i, step] of plan.entries()) for (const before of step.after) expect(before).toBeLessThan(i);
      // The QAP: witness ranges cover the witness, abc ranges the domain after all of them, the
      // three transforms after all of those, quotient ranges after the transforms.
      const witness = indexOf((t) => t.kind === 'witness');
      expect(witness.map((i) => plan[i]!.task)).toEqual(splitRange(layout.nVars, threads).map((range) => ({ kind: 'witness', ...range })));
      for (const i of witness) expect(plan[i]!.after).toEqual([]);
      const abc = indexOf((t) => t.kind === 'abc');
      for (const i of abc) expect(plan[i]!.after).toEqual(witness);
      const transforms = indexOf((t) => t.kind === 'transform');
      expect(transforms).toHaveLength(3);
      for (const i of transforms) expect(plan[i]!.after).toEqual(abc);
      for (const kind of ['abc', 'quotient'] as const) {
        const ranges = plan.flatMap((s) => (s.task.kind === kind ? [{ from: s.task.from, count: s.task.count }] : []));
        expect(ranges).toEqual(splitRange(layout.domainSize, threads));
      }
      for (const i of indexOf((t) => t.kind === 'quotient')) expect(plan[i]!.after).toEqual(transforms);
      // Each MSM: its ranges cover its points exactly once, each into its own partial sum.
      for (const section of POINT_SECTIONS) {
        const msms = plan.filter((s) => s.task.kind === 'msm' && s.task.section === section).map((s) => s.task as Extract<ProofTask, { kind: 'msm' }>);
        expect(new Set(msms.map((m) => m.out)).size).toBe(msms.length);
        if (section === 'h') {
          // H: every part over all the points, part k of the windows, after every quotient range.
          expect(msms).toHaveLength(threads);
          msms.forEach((m, k) => {
            expect({ from: m.from, count: m.count }).toEqual({ from: 0, count: layout.domainSize });
            expect(m.part).toEqual(threads > 1 ? { index: k, of: threads } : undefined);
          });
          for (const m of indexOf((t) => t.kind === 'msm' && t.section === section)) expect(plan[m]!.after).toEqual(indexOf((t) => t.kind === 'quotient'));
        } else {
          // The witness MSMs: point ranges covering their points once, waiting for nothing.
          expect(msms.map(({ from, count }) => ({ from, count }))).toEqual(splitRange(msmPoints(layout, section), threads));
          expect(msms.every((m) => m.part === undefined)).toBe(true);
          for (const m of indexOf((t) => t.kind === 'msm' && t.section === section)) expect(plan[m]!.after).toEqual([]);
        }
      }
      // The blinding last, after every MSM, adding exactly the partial sums the MSMs wrote.
      expect(kinds.at(-1)).toBe('finish');
      const finish = plan.at(-1)!;
      expect(finish.after).toEqual(indexOf((t) => t.kind === 'msm'));
      expect(finish.task).toEqual({ kind: 'finish', partials: Object.fromEntries(POINT_SECTIONS.map((s) => [s, [...parts.entries()].filter(([key]) => key.split(':')[0] === s).map(([, v]) => v)])) });
    });
  }
});

describe('coveredMs', () => {
  it('is the length of the union of the intervals', () => {
    expect(coveredMs([])).toBe(0);
    expect(coveredMs([[0, 10]])).toBe(10);
    expect(coveredMs([[0, 10], [5, 12], [20, 25]])).toBe(17);
    expect(coveredMs([[5, 12], [0, 10], [1, 2]])).toBe(12);
  });
});

describe('projectProofMs', () => {
  const phases = { witness: 500, qap: 100, fft: 600, msm: 2800, finish: 10 };
  it('keeps the witness and the blinding serial, the FFTs on at most three threads, and divides the rest by the cores', () => {
    expect(projectProofMs(phases, 1)).toBe(4010);
    expect(projectProofMs(phases, 2)).toBe(510 + 300 + 1450);
    expect(projectProofMs(phases, 16)).toBe(510 + 200 + 2900 / 16);
    expect(() => projectProofMs(phases, 0)).toThrow(/cores must be a positive integer, got 0/);
  });
});

describe('scheduleMs', () => {
  it("lays the tasks out as the scheduler does: each free thread takes the earliest ready task", () => {
    // 0 and 1 first; 2 after 0; 3 after 1 and 2.
    const plan = [{ after: [] }, { after: [] }, { after: [0] }, { after: [1, 2] }];
    expect(scheduleMs(plan, [10, 30, 5, 7], 1)).toBe(52);
    // Thread A: 0 (0-10), 2 (10-15); thread B: 1 (0-30); then 3 (30-37).
    expect(scheduleMs(plan, [10, 30, 5, 7], 2)).toBe(37);
    expect(scheduleMs(plan, [10, 30, 5, 7], 8)).toBe(37);
    // A real plan on one thread takes the sum of its tasks.
    const real = planProof({ nVars: 100, nPublic: 3, domainSize: 128 }, 3, () => 0);
    const durations = real.map((_, i) => i + 1);
    expect(scheduleMs(real, durations, 1)).toBe(durations.reduce((a, b) => a + b, 0));
    expect(scheduleMs(real, durations, 3)).toBeLessThan(durations.reduce((a, b) => a + b, 0));
  });
});

describe('the bench section', () => {
  const run = (threads: number, wallMs: number, loads: number[]) => ({
    threads,
    idleWallMs: wallMs / 2,
    wallMs,
    cpuMs: 3000,
    phases: { witness: { wallMs: 500, busyMs: 400 }, qap: { wallMs: 60, busyMs: 50 }, fft: { wallMs: 600, busyMs: 550 }, msm: { wallMs: 2000, busyMs: 1900 }, finish: { wallMs: 5, busyMs: 2 } },
    loadAverages: loads,
  });
  it('shows every phase with both thread counts, the speed-ups, and the load average at each proof', () => {
    const result = { model: 'lenet', proofs: 2, single: run(1, 4000, [1.25, 2]), multi: run(2, 2400, [3, 4.5]), speedup: { witness: 1, qap: 1.5, fft: 1.6, msm: 1.9, finish: 1, proof: 1.67 }, ratio: 0.6, idleRatio: 0.6, projected16Ms: 900 };
    const table = threadsTable(result);
    expect(table.headers).toEqual(['phase', '1 thread: wall', '1 thread: thread time', '2 threads: wall', '2 threads: thread time', 'speed-up']);
    expect(table.rows.map((r) => r[0])).toEqual(['witness', 'qap', 'fft', 'msm', 'finish', 'proof (witness included)']);
    expect(table.rows[3]!.at(-1)).toBe('1.90×');
    expect(table.lines.join('\n')).toMatch(/load average \(1 min\) at each proof: 1 thread 1\.3, 2\.0; 2 threads 3\.0, 4\.5\./);
    expect(table.lines.join('\n')).toMatch(/take 0\.60 of one thread's time/);
  });

  it('refuses --threads without LeNet among the models, or fewer than 2, before any work', async () => {
    await expect(runBench({ models: ['mlp_196_25_10'], threads: 2 })).rejects.toMatchObject({ code: 'USAGE', message: '--threads measures lenet_28_6_16_120_84_10: add it to --models' });
    await expect(runBench({ models: ['lenet_28_6_16_120_84_10'], threads: 1 })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/give at least 2, got 1/) });
  });
});
