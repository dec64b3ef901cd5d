/**
 * Convolutional models from TF.js: every supported layer and option is loaded with TF.js's own
 * semantics (the float interpreter reproduces TF.js's predictions), quantizes within the error
 * bound derived from the scales, and anything unsupported is refused by layer and option.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { runFloat } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { logitsOpIndex, opScales } from '../../model/ir.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { type Tf, saveModel } from '../helpers/fixtures.js';
import { maxOf } from '../../core/numbers.js';

const models: [string, (tf: Tf) => tfTypes.layers.Layer[]][] = [
  [
    'conv valid/same with strides, relu6, batch norm folded, max and average pools',
    (tf) => [
      tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: 'same' }),
      tf.layers.batchNormalization({}),
      tf.layers.activation({ activation: 'relu6' }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 2, activation: 'relu' }),
      tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  ],
  [
    'zero padding, depthwise conv, leaky relu, a lone batch norm, global pools',
    (tf) => [
      tf.layers.zeroPadding2d({ inputShape: [6, 6, 2], padding: [[1, 0], [2, 1]] }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid' }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.batchNormalization({}),
      tf.layers.reLU({ maxValue: 4 }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3 }),
    ],
  ],
  [
    'dilated convolutions: Conv2D same with rates [2, 3], Conv2D valid with rate 2',
    (tf) => [
      tf.layers.conv2d({ inputShape: [9, 10, 2], filters: 3, kernelSize: [2, 3], dilationRate: [2, 3], padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ filters: 2, kernelSize: 2, dilationRate: 2 }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: 3 }),
    ],
  ],
  [
    'global max pool and a clipped relu layer',
    (tf) => [
      tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'linear' }),
      tf.layers.reLU({ maxValue: 2.5 }),
      tf.layers.globalMaxPooling2d({}),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  ],
];

describe.each(models)('%s', (_name, build) => {
  it('evaluates as TF.js does and quantizes within the derived error bound', async () => {
    const dir = await saveModel(build, 17);
    const loaded = await loadTfjsModel(dir);
    const size = loaded.float.inputShape.reduce((a, b) => a * b, 1);
    const random = seededRandom(23);
    const inputs = Array.from({ length: 12 }, () => Array.from({ length: size }, () => random()));
    const predictions = await loaded.predict(inputs);
    const softmaxEnd = JSON.stringify(loaded.float.layers).includes('"softmax"');
    for (const [k, x] of inputs.entries()) {
      const logits = runFloat(loaded.float, x).logits;
      const expected = softmaxEnd ? (() => {
        const m = maxOf(logits);
        const e = Array.from(logits, (v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / s);
      })() : Array.from(logits);
      expected.forEach((v, j) => expect(Math.abs(v - predictions[k][j])).toBeLessThan(1e-4));
    }
    const { model } = quantizeModel(loaded.float, { calibration: inputs });
    const scales = opScales(model)[logitsOpIndex(model)];
    for (const x of inputs) {
      const q = quantizeInput(x, model.input);
      const bound = logitErrorBound(loaded.float, model, q);
      const float = runFloat(loaded.float, x).logits;
      runReference(model, q).logits.forEach((v, j) => expect(Math.abs(v * scales[j] - float[j])).toBeLessThanOrEqual(bound[j] + 1e-9));
    }
    loaded.dispose();
  });
});

describe('refusals, by layer and option', () => {
  async function refusal(build: (tf: Tf) => tfTypes.layers.Layer[]): Promise<ZkinferError> {
    const dir = await saveModel(build, 5);
    const error = await loadTfjsModel(dir).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ZkinferError);
    return error as ZkinferError;
  }

  it('refuses convolutions with both strides and a dilation rate above 1 (TF.js computes neither)', async () => {
    const error = await refusal((tf) => [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }), tf.layers.flatten({}), tf.layers.dense({ units: 2 })]);
    expect(error.message).toMatch(/layer 0 '.*': Conv2D with both strides and dilationRate above 1 is not supported/);
  });

  it("refuses a dilated DepthwiseConv2D, whose dilation TF.js ignores", async () => {
    const error = await refusal((tf) => [tf.layers.depthwiseConv2d({ inputShape: [8, 8, 2], kernelSize: 2, dilationRate: 2 }), tf.layers.flatten({}), tf.layers.dense({ units: 2 })]);
    expect(error.message).toMatch(/layer 0 '.*': DepthwiseConv2D dilationRate \[2,2\] is not supported: TF.js ignores it/);
  });

  it('refuses a convolution on a flat input', async () => {
    const dir = await saveModel((tf) => [tf.layers.reshape({ inputShape: [16], targetShape: [4, 4, 1] }), tf.layers.conv2d({ filters: 2, kernelSize: 2 }), tf.layers.flatten({}), tf.layers.dense({ units: 2 })], 5);
    // A Reshape to [4, 4, 1] is fine; the refusal case is a Dense on an image:
    await expect(loadTfjsModel(dir)).resolves.toMatchObject({ float: { inputShape: [16] } });
    const error = await refusal((tf) => [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2 }), tf.layers.dense({ units: 2 })]);
    expect(error.message).toMatch(/Dense on a 3-D input \[3,3,2\] acts on its last axis only; add a Flatten layer/);
  });

  it('refuses an activation it cannot prove, naming it', async () => {
    const error = await refusal((tf) => [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2, activation: 'mish' }), tf.layers.flatten({}), tf.layers.dense({ units: 2 })]);
    expect(error.code).toBe('MODEL_UNSUPPORTED');
    expect(error.message).toMatch(/activation 'mish' is not supported/);
  });
});
