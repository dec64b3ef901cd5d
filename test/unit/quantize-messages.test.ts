/**
 * What `zkinfer quantize` tells the user must be true of the model and data at hand: no warning
 * about an input range the calibration data defines.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR } from '../../model/data/fashion-mnist.js';
import { readManifest } from '../../pipeline/manifest.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { saveModel } from '../helpers/fixtures.js';

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
});
