/**
 * Layers of ordinary sizes through the steps that once spread whole arrays into Math.min/max and
 * overflowed the call stack: quantize's overflow analysis on a convolution of a hundred thousand
 * outputs, and inspect's report on a dense layer of a million weights; and compile's refusal of
 * it, predicted before circom starts (which would take minutes and then run out of memory).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxOf, minOf } from '../../core/numbers.js';
import { ZkinferError } from '../../core/errors.js';
import { checkDirectMemory, estimateCompile } from '../../circuits/compile-estimate.js';
import { chooseBackend } from '../../circuits/direct/build.js';
import { planCircuit } from '../../circuits/plan.js';
import { compileStep } from '../../pipeline/compile.js';
import { inspectStep } from '../../pipeline/inspect.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { saveModel } from '../helpers/fixtures.js';

describe('large layers', () => {
  it('minOf / maxOf take a million values, and agree with Math.min / Math.max on small and empty lists', () => {
    const many = Float64Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i) * i);
    expect(minOf(many)).toBe(many.reduce((a, b) => Math.min(a, b)));
    expect(maxOf(many)).toBe(many.reduce((a, b) => Math.max(a, b)));
    expect([minOf([3, -1, 2]), maxOf([3, -1, 2])]).toEqual([-1, 3]);
    expect([minOf([]), maxOf([])]).toEqual([Infinity, -Infinity]);
    expect(maxOf([1, NaN, 2])).toBeNaN();
  });

  it('quantize and inspect a conv of 100,000 outputs feeding a dense layer of 1,000,000 weights', { timeout: 300_000 }, async () => {
    const modelDir = await saveModel(
      (tf) => [
        tf.layers.conv2d({ inputShape: [50, 50, 1], filters: 40, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.flatten({}),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
      401,
      { 'metadata.json': { inputRange: [0, 1] } },
    );
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-large-'));
    try {
      const quantized = await quantizeStep({ model: modelDir, out });
      expect(quantized.model.ops.map((o) => o.kind)).toEqual(['conv2d', 'rescale', 'dense', 'argmax']);
      const conv = quantized.overflow.layers[0]!;
      expect(conv.kind).toBe('conv2d');
      expect(conv.valueBits).toBeGreaterThan(0);

      const report = await inspectStep(out);
      const dense = report.layers[2]!;
      expect(dense.outputSize).toBe(10);
      expect(report.layers[0]!.outputSize).toBe(100_000);
      const weights = (quantized.model.ops[2] as { weights: number[][] }).weights.flat();
      expect(weights.length).toBe(1_000_000);
      expect(dense.detail).toContain(`weights ${minOf(weights)}..${maxOf(weights)}`);

      // A million constant weights would not fit in circom2's 4 GiB heap: compile --backend
      // circom says so before starting, naming the layer, and writes no circuit (--backend auto
      // compiles such a circuit directly).
      expect(chooseBackend(quantized.model)).toBe('direct');
      const refused = await compileStep(out, { backend: 'circom' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ZkinferError);
      expect((refused as ZkinferError).code).toBe('MODEL_UNSUPPORTED');
      const nonzero = weights.filter((w) => w !== 0).length;
      expect((refused as ZkinferError).message).toMatch(
        new RegExp(`would need about \\d+\\.\\d GiB in circom2, whose heap ends at 4 GiB; the largest part is op 2: dense '[^']+' \\(about \\d+\\.\\d GiB: 0 constraints, ${nonzero} terms, ${nonzero} weights\\)`),
      );
      expect(await fs.readdir(path.join(out, 'circuit')).catch(() => [])).toEqual([]);
      // The direct path refuses what would not fit in this process's heap the same way, naming the layer with the most constraints.
      const plan = planCircuit(quantized.model);
      expect(() => checkDirectMemory(plan, estimateCompile(quantized.model, plan), 2 ** 30)).toThrow(
        expect.objectContaining({ code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/would need about \d+\.\d GiB to build directly \(\d+ constraints\), beyond this process's 1\.0 GiB heap; the largest part is op 1: rescale '[^']+' \(\d+ constraints\)/) }),
      );
    } finally {
      await fs.rm(out, { recursive: true, force: true });
      await fs.rm(modelDir, { recursive: true, force: true });
    }
  });
});
