/**
 * The quantizer and the integer reference interpreter against TF.js's float model: the float
 * interpreter reproduces TF.js, the reference stays within the error bound derived from the
 * scales, the integers respect their widths, and the bounds contain every value seen.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBounds } from '../../model/bounds.js';
import { type FloatModel, argmax, runFloat } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { logitsOpIndex, opScales } from '../../model/ir.js';
import { type LoadedModel, loadTfjsModel } from '../../model/load/tfjs.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { packageRoot } from '../../core/paths.js';
import { randomInputs, writeTinyModel } from '../helpers/fixtures.js';
import { maxOf, minOf } from '../../core/numbers.js';
import { seededRandom } from '../../core/random.js';

const softmax = (logits: Float64Array) => {
  const max = maxOf(logits);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe.each([
  { name: 'zoo mlp_196_25_10', location: () => path.join(packageRoot(), 'zoo', 'mlp_196_25_10'), samples: 'samples.json' },
  { name: 'zoo mlp_196_24_14_10', location: () => path.join(packageRoot(), 'zoo', 'mlp_196_24_14_10'), samples: 'samples.json' },
  { name: 'tiny fixture', location: () => writeTinyModel(), samples: 'calibration.json' },
])('quantizing $name', ({ location, samples }) => {
  let loaded: LoadedModel;
  let inputs: number[][];
  let calibration: number[][];
  beforeAll(async () => {
    const dir = await location();
    loaded = await loadTfjsModel(dir);
    inputs = JSON.parse(await fs.readFile(path.join(dir, samples), 'utf8')).inputs;
    calibration = JSON.parse(await fs.readFile(path.join(dir, 'calibration.json'), 'utf8')).inputs;
  });
  afterAll(() => loaded.dispose());

  it('evaluates the float graph as TF.js does', async () => {
    const predictions = await loaded.predict(inputs);
    inputs.forEach((x, k) => {
      const probabilities = softmax(runFloat(loaded.float, x).logits);
      probabilities.forEach((p, j) => expect(Math.abs(p - predictions[k][j])).toBeLessThan(1e-5));
    });
  });

  it('keeps every dequantized logit within the bound derived from the scales', () => {
    const { model } = quantizeModel(loaded.float, { calibration });
    for (const x of inputs) {
      const q = quantizeInput(x, model.input);
      const reference = runReference(model, q);
      const float = runFloat(loaded.float, x).logits;
      const bound = logitErrorBound(loaded.float, model, q);
      const scales = opScales(model)[logitsOpIndex(model)];
      let worst = 0;
      reference.logits.forEach((v, j) => {
        const error = Math.abs(v * scales[j] - float[j]);
        expect(error).toBeLessThanOrEqual(bound[j] + 1e-9);
        worst = Math.max(worst, error);
      });
      // The bound is a worst case over all rounding directions; the error itself stays small.
      expect(worst).toBeLessThan((maxOf(float) - minOf(float)) * 0.05);
    }
  });

  it('agrees with the float model on the predicted class for nearly every input', () => {
    const { model } = quantizeModel(loaded.float, { calibration });
    const agree = inputs.filter((x) => runReference(model, quantizeInput(x, model.input)).label === argmax(runFloat(loaded.float, x).logits)).length;
    expect(agree / inputs.length).toBeGreaterThanOrEqual(0.9);
  });

  it('uses 8-bit weights and keeps every value inside its analysed bounds', () => {
    const { model } = quantizeModel(loaded.float, { calibration });
    for (const op of model.ops) {
      if (op.kind !== 'dense') continue;
      const flat = op.weights.flat();
      expect(maxOf(flat.map(Math.abs))).toBeLessThanOrEqual(127);
      expect(maxOf(flat.map(Math.abs))).toBeGreaterThanOrEqual(64); // the weight scale uses the bits
    }
    const bounds = analyzeBounds(model);
    for (const x of [...inputs, ...randomInputs(3, 20, inputs[0].length)]) {
      runReference(model, quantizeInput(x, model.input)).values.forEach((values, k) =>
        values.forEach((v, j) => {
          expect(v).toBeGreaterThanOrEqual(bounds[k + 1].lo[j]);
          expect(v).toBeLessThanOrEqual(bounds[k + 1].hi[j]);
        }),
      );
    }
  });
});

describe('quantization options', () => {
  it('falls back to weight-derived ranges without calibration, and says so', async () => {
    const loaded = await loadTfjsModel(await writeTinyModel());
    const { model, warnings } = quantizeModel(loaded.float);
    expect(model.quantization.ranges).toBe('weights');
    expect(warnings.join(' ')).toMatch(/no calibration data/);
    loaded.dispose();
  });

  it('refuses bit widths and input ranges it cannot use', async () => {
    const loaded = await loadTfjsModel(await writeTinyModel());
    expect(() => quantizeModel(loaded.float, { weightBits: 1 })).toThrow(/weight bits must be 2\.\.24/);
    expect(() => quantizeModel(loaded.float, { inputRange: [1, 0] })).toThrow(/input range/);
    expect(() => quantizeModel(loaded.float, { inputBits: 40 })).toThrow(/input bits/);
    loaded.dispose();
  });

  it('quantizes signed inputs symmetrically', async () => {
    const loaded = await loadTfjsModel(await writeTinyModel());
    const { model } = quantizeModel(loaded.float, { inputRange: [-1, 1], inputBits: 8 });
    expect(model.input).toMatchObject({ signed: true, bits: 8 });
    expect(quantizeInput([-1, 1, 0, 0.5, ...new Array(12).fill(0)], model.input).slice(0, 4)).toEqual([-127, 127, 0, 64]);
    loaded.dispose();
  });
});

describe('scales a convolution can read', () => {
  it("a dense layer's outputs reshaped into an image and convolved get one scale (a convolution's weights serve every position), and the logits follow the float model", () => {
    const rng = seededRandom(31);
    const uniform = (n: number, scale = 1) => Float64Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
    // Output j of the dense layer reaches about (j + 1)²: per-output scales would differ 64-fold.
    const kernel = uniform(6 * 8).map((w, at) => w * ((at % 8) + 1) ** 2);
    const float: FloatModel = {
      name: 'dense into conv',
      inputShape: [6],
      layers: [
        { kind: 'dense', name: 'dense', inputSize: 6, units: 8, kernel, bias: uniform(8, 0.1), activation: { kind: 'linear' } },
        { kind: 'reshape', name: 'image', className: 'Reshape', outputShape: [2, 2, 2] },
        { kind: 'conv2d', name: 'conv', inShape: [2, 2, 2], outShape: [2, 2, 3], kernel: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], groups: 1, weights: uniform(6), bias: uniform(3, 0.1), activation: { kind: 'linear' } },
        { kind: 'reshape', name: 'flat', className: 'Flatten', outputShape: [12] },
        { kind: 'dense', name: 'out', inputSize: 12, units: 3, kernel: uniform(36), bias: uniform(3, 0.1), activation: { kind: 'linear' } },
      ],
    };
    const inputs = Array.from({ length: 64 }, () => Array.from(uniform(6)).map((v) => (v + 1) / 2));
    const { model } = quantizeModel(float, { calibration: inputs });
    const scales = opScales(model)[model.ops.findIndex((op) => op.name === 'dense/rescale')]!;
    expect(new Set(scales).size).toBe(1);
    let [error, reach] = [0, 0];
    for (const x of inputs) {
      const expected = runFloat(float, x).logits;
      const logits = runReference(model, quantizeInput(x, model.input)).logits;
      logits.forEach((v, j) => {
        error = Math.max(error, Math.abs(v * opScales(model)[logitsOpIndex(model)]![j]! - expected[j]!));
        reach = Math.max(reach, Math.abs(expected[j]!));
      });
    }
    expect(error / reach).toBeLessThan(0.03);
  });
});

describe('scales a convolution cannot read', () => {
  it("is refused, naming the layer: a max pool's channels (a scale each) reshaped into one channel", () => {
    const rng = seededRandom(32);
    const uniform = (n: number, scale = 1) => Float64Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
    const float: FloatModel = {
      name: 'pool into conv',
      inputShape: [2, 2, 2],
      layers: [
        { kind: 'conv2d', name: 'conv', inShape: [2, 2, 2], outShape: [2, 2, 2], kernel: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], groups: 1, weights: Float64Array.of(1, 0.2, 0.1, 8), bias: uniform(2, 0.1), activation: { kind: 'relu' } },
        { kind: 'pool', name: 'pool', op: 'max', inShape: [2, 2, 2], outShape: [1, 1, 2], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
        { kind: 'reshape', name: 'column', className: 'Reshape', outputShape: [1, 2, 1] },
        { kind: 'conv2d', name: 'mix', inShape: [1, 2, 1], outShape: [1, 2, 2], kernel: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], groups: 1, weights: uniform(2), bias: uniform(2, 0.1), activation: { kind: 'linear' } },
        { kind: 'reshape', name: 'flat', className: 'Flatten', outputShape: [4] },
        { kind: 'dense', name: 'out', inputSize: 4, units: 2, kernel: uniform(8), bias: uniform(2, 0.1), activation: { kind: 'linear' } },
      ],
    };
    const inputs = Array.from({ length: 16 }, () => Array.from(uniform(8)).map((v) => (v + 1) / 2));
    expect(() => quantizeModel(float, { calibration: inputs })).toThrow(/layer 3 'mix'.*scales differ between positions of channel 0/);
  });
});
