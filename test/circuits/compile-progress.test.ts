/**
 * Progress while circom runs: its phases, read from the lines it prints, and its CPU time against
 * an estimate that the finished phases correct.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCircom } from '../../circuits/compile.js';
import { estimateCompile } from '../../circuits/compile-estimate.js';
import { CIRCOM_PHASES, CircomProgress } from '../../circuits/compile-progress.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../../circuits/emit/index.js';
import type { ProgressEvent } from '../../core/progress.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { randomImageModel, randomInputs, seededRng } from '../helpers/random.js';

const phaseOf = (e: ProgressEvent) => CIRCOM_PHASES.findIndex((p) => e.message.startsWith(`circom: ${p.name}`));

describe('compile progress', () => {
  it('a real compile goes through every phase in order, the bar never full before the end', async () => {
    const float = randomImageModel(seededRng(311), [6, 6, 1], [
      { conv: { filters: 2, kernel: [3, 3], padding: 'valid' } },
      { flatten: true },
      { dense: { units: 3, activation: { kind: 'softmax' } } },
    ]);
    const model = quantizeModel(float, { calibration: randomInputs(seededRng(312), 8, 36) }).model;
    const { source, plan } = emitCircuit(model);
    const estimate = estimateCompile(model, plan);
    const events: ProgressEvent[] = [];
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-compile-progress-'));
    try {
      await compileCircom(source, dir, { includes: CIRCUIT_INCLUDES, onProgress: (e) => events.push(e), predictedCpuMs: estimate.phaseCpuMs });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    const phases = events.map(phaseOf);
    // Every phase is reported, in order, and the last line ends them all.
    expect([...new Set(phases)]).toEqual([0, 1, 2, -1]);
    expect(phases).toEqual([...phases].sort((a, b) => (a === -1 ? 3 : a) - (b === -1 ? 3 : b)));
    expect(events.at(-1)!.message).toBe('circom: finishing, CPU s (est.)');
    for (const e of events) {
      expect(e.step).toBe('compile');
      expect(e.done!).toBeLessThan(e.total!);
    }
  });

  it('scales the rest of the estimate by how far off the finished phases were, and ignores lines out of order', () => {
    const events: ProgressEvent[] = [];
    const progress = new CircomProgress((e) => events.push(e), [1000, 1000, 2000]);
    expect(events.at(-1)).toMatchObject({ message: 'circom: building constraints, CPU s (est.)', done: 0, total: 4 });
    progress.cpu(2500);
    expect(events.at(-1)).toMatchObject({ done: 2, total: 4 });
    progress.line('Written successfully: ./model.sym'); // not this phase's end
    expect(phaseOf(events.at(-1)!)).toBe(0);
    progress.cpu(3000);
    progress.line('template instances: 12');
    // The first phase took 3x its prediction: the remaining 3000 ms become 9000.
    expect(events.at(-1)).toMatchObject({ message: 'circom: simplifying constraints, CPU s (est.)', done: 3, total: 12 });
    progress.cpu(20_000); // past the estimate: the bar stretches instead of filling
    expect(events.at(-1)).toMatchObject({ done: 20, total: 21 });
  });

  it('without a prediction, reports the phase and the CPU seconds only', () => {
    const events: ProgressEvent[] = [];
    const progress = new CircomProgress((e) => events.push(e));
    progress.cpu(4200);
    expect(events.at(-1)).toEqual({ step: 'compile', message: 'circom: building constraints, 4 s of CPU' });
  });
});
