/**
 * How the benchmark reports a model it cannot finish: 'failed', with the error's code and message
 * (a layer zkinfer refuses is a failure like any other: every zoo model must go through). And its
 * summaries and tables.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchModel } from '../../bench/model.js';
import { median, spreadOf } from '../../bench/stats.js';
import { formatSpread } from '../../bench/format.js';
import { loadTf } from '../../model/load/backend.js';
import { saveLayersModel } from '../../zoo/layers-model.js';

const context = (dir: string) => ({ test: { inputs: [new Float32Array(16).fill(0.5)], labels: Uint8Array.of(0) }, samples: 1, dir });

async function writeModel(activation: 'tanh' | 'relu'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-unit-'));
  const { tf } = await loadTf();
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation, inputShape: [16] }), tf.layers.dense({ units: 4, activation: 'softmax' })] });
  await saveLayersModel(model, dir);
  model.dispose();
  return dir;
}

describe('benchModel', () => {
  it("reports a model with a layer zkinfer cannot prove as 'failed' with MODEL_UNSUPPORTED and the loader's reason", async () => {
    const modelDir = await writeModel('tanh');
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-out-'));
    const result = await benchModel({ name: 'tanh_mlp', architecture: '16 → Dense 8 tanh → Dense 4 softmax', modelDir }, context(out));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MODEL_UNSUPPORTED');
    expect(result.error?.message).toMatch(/tanh/);
    expect(result.parameters).toBe(16 * 8 + 8 + 8 * 4 + 4);
    expect(result.accuracy).toBeUndefined();
    expect(result.constraints).toBeUndefined();
  });

  it("reports any other error as 'failed' with its code", async () => {
    const modelDir = await writeModel('relu');
    await fs.writeFile(path.join(modelDir, 'weights.bin'), Buffer.alloc(12)); // truncated weights
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-out-'));
    const result = await benchModel({ name: 'broken', architecture: '', modelDir }, context(out));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MODEL_INVALID');
    expect(result.error?.message).toMatch(/weights/);
  });
});

describe('summaries', () => {
  it('takes the median of odd and even counts, and the spread', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spreadOf([])).toBeUndefined();
    expect(spreadOf([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, count: 3 });
    expect(formatSpread(spreadOf([900, 1500, 1000]))).toBe('1.00 s (900 ms–1.50 s)');
    expect(formatSpread(spreadOf([42]))).toBe('42 ms');
  });
});
