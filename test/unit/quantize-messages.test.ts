/**
 * What `zkinfer quantize` and `zkinfer report` tell the user must be true of the model and data at
 * hand: no warning about an input range the calibration data defines, and no class agreement or
 * top-1 accuracy for a model with one output (a regression), which gets its output's error instead.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR } from '../../model/data/fashion-mnist.js';
import { readManifest } from '../../pipeline/manifest.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { buildReport } from '../../pipeline/report.js';
import { renderReport } from '../../pipeline/report-html.js';
import { saveModel } from '../helpers/fixtures.js';
import { runCli } from '../helpers/node-script.js';

const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await fs.rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-messages-'));
  cleanup.push(dir);
  return dir;
}

describe('quantize messages', () => {
  it('an IDX calibration folder defines the input range: no "assuming [0, 1]" warning; without data, the warning stays', async () => {
    // No metadata.json: the range can come only from the data.
    const model = await saveModel((tf) => [tf.layers.dense({ inputShape: [784], units: 4, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })], 501);
    cleanup.push(model);
    const idx = await tempDir();
    const withIdx = await quantizeStep({ model, out: idx, calibration: DEFAULT_FASHION_MNIST_DIR, calibrationSamples: 8, holdoutSamples: 8 });
    expect(withIdx.warnings.filter((w) => /input range/.test(w))).toEqual([]);
    expect((await readManifest(idx)).stages.quantize!.settings.inputRange).toEqual([0, 1]);

    const bare = await quantizeStep({ model, out: await tempDir(), noCalibration: true });
    expect(bare.warnings).toContain('input range not given (--input-range), nor in metadata.json, nor defined by the calibration data: assuming [0, 1]');
  });

  it('a one-output model: quantize and report give its mean and largest error, against the float model and the targets, not agreement', { timeout: 120_000 }, async () => {
    const inputs = Array.from({ length: 24 }, (_, k) => Array.from({ length: 6 }, (_, i) => ((k * 7 + i * 3) % 10) / 10));
    const targets = inputs.map((x) => x[0] - x[1] + 0.5);
    const model = await saveModel((tf) => [tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu' }), tf.layers.dense({ units: 1 })], 502, {
      'metadata.json': { inputRange: [0, 1] },
      'calibration.json': { inputs, targets },
    });
    cleanup.push(model);
    const out = await tempDir();
    const run = await runCli(['quantize', model, '--out', out], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/agreement|top-1/);
    expect(run.stdout).toMatch(/on the calibration inputs: one output: error against the float model mean \S+, max \S+; error against the targets: quantized mean \S+, max \S+ \(float model mean \S+, max \S+\)/);

    const report = await buildReport(out, { bits: [5, 6] });
    expect(report.fidelity).not.toHaveProperty('agreement');
    expect(report.fidelity.targetError).toEqual({ float: { mean: expect.any(Number), max: expect.any(Number) }, quantized: { mean: expect.any(Number), max: expect.any(Number) } });
    expect(report.fidelity.targetError!.quantized.max).toBeGreaterThanOrEqual(report.fidelity.targetError!.quantized.mean);
    expect(report.sweep.map((p) => Object.keys(p).sort())).toEqual([['bits', 'constraints', 'outputError'], ['bits', 'constraints', 'outputError']]);
    const html = renderReport(report);
    expect(html).not.toMatch(/agreement|top-1/);
    expect(html).toContain('id="error-vs-bits"');
    expect(html).toContain('error against the targets, quantized');
  });
});
