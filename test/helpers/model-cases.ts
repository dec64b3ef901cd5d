/**
 * The small models circuit tests run on, one per layer kind and option: dense (signed and
 * unsigned inputs, calibrated and weight-derived ranges, several packed field elements) and
 * convolutional (valid/same padding, strides, relu/relu6/leaky, depthwise, avg/max/global pools,
 * zero padding, a lone BatchNorm, fully convolutional). Both the reference-equality tests and
 * the soundness audit use them, so every option is held to both.
 */
import type { Activation, FloatModel } from '../../model/float.js';
import type { QuantizeOptions } from '../../model/quantize/index.js';
import { type LayerSketch, randomDenseModel, randomImageModel, randomInputs, seededRng } from './random.js';

export interface ModelCase {
  name: string;
  /** The seed of the model's weights (and of the test inputs). */
  seed: number;
  float: () => FloatModel;
  options: QuantizeOptions;
  /** The QModel's op kinds, where a test states them. */
  ops?: string[];
}

const dense = (name: string, sizes: number[], options: QuantizeOptions): ModelCase => {
  const seed = sizes.reduce((a, b) => a * 31 + b, 0);
  return { name, seed, float: () => randomDenseModel(seededRng(seed), sizes), options };
};

const calibrate = (size: number): QuantizeOptions => ({ calibration: randomInputs(seededRng(size), 24, size) });

export const DENSE_CASES: ModelCase[] = [
  dense('12-6-4 unsigned 8-bit input, calibrated', [12, 6, 4], { calibration: randomInputs(seededRng(1), 32, 12) }),
  dense('10-8-5-3 signed 6-bit input, weight-derived ranges', [10, 8, 5, 3], { inputRange: [-1, 1], inputBits: 6 }),
  dense('40-3-2 (more inputs than one packed field element)', [40, 3, 2], { calibration: randomInputs(seededRng(2), 16, 40) }),
];

/** Convs, max and average pools, paddings and dense layers, each twice; with `dense`, a third dense layer with that activation. */
function everyOpTwice(conv?: Activation, dense?: Activation): LayerSketch[] {
  return [
    { conv: { filters: 2, kernel: [3, 3], padding: 'same' } },
    { pool: { op: 'max', size: [2, 2] } },
    { pool: { op: 'avg', size: [2, 2], strides: [1, 1] } },
    { pad: [1, 1, 1, 1] },
    { conv: { filters: 2, kernel: [3, 3], ...(conv ? { activation: conv } : {}) } },
    { pad: [0, 1, 0, 1] },
    { pool: { op: 'avg', size: [2, 2] } },
    { pool: { op: 'max', global: true } },
    { flatten: true },
    { dense: { units: 3 } },
    ...(dense ? [{ dense: { units: 4, activation: dense } }] : []),
    { dense: { units: 3, activation: { kind: 'softmax' } } },
  ];
}

export const CONV_CASES: ModelCase[] = [
  {
    name: 'conv valid + relu, average pool, dense',
    seed: 101,
    float: () => randomImageModel(seededRng(101), [8, 8, 1], [{ conv: { filters: 3, kernel: [3, 3] } }, { pool: { op: 'avg' } }, { flatten: true }, { dense: { units: 4, activation: { kind: 'softmax' } } }]),
    options: calibrate(64),
    ops: ['conv2d', 'rescale', 'avgPool', 'dense', 'argmax'],
  },
  {
    name: 'non-square kernel, same padding, strides 2, relu6, max pool with same padding',
    seed: 102,
    float: () =>
      randomImageModel(seededRng(102), [7, 7, 2], [
        { conv: { filters: 2, kernel: [3, 2], strides: [2, 2], padding: 'same', activation: { kind: 'relu', max: 6 } } },
        { pool: { op: 'max', size: [2, 2], padding: 'same' } },
        { flatten: true },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: { ...calibrate(98), activationBits: 6 },
  },
  {
    name: 'depthwise convolution with leaky relu, global average pool',
    seed: 103,
    float: () =>
      randomImageModel(seededRng(103), [6, 6, 2], [
        { conv: { filters: 2, kernel: [3, 3], padding: 'same', depthwise: true, activation: { kind: 'leakyRelu', alpha: 0.2 } } },
        { pool: { op: 'avg', global: true } },
        { flatten: true },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(72),
  },
  {
    name: 'zero padding, asymmetric strides, a separate relu, global max pool',
    seed: 104,
    float: () =>
      randomImageModel(seededRng(104), [5, 5, 1], [
        { pad: [1, 0, 1, 2] },
        { conv: { filters: 2, kernel: [2, 2], strides: [1, 2], activation: { kind: 'linear' } } },
        { activation: { kind: 'relu' } },
        { pool: { op: 'max', global: true } },
        { flatten: true },
        { dense: { units: 2, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(25),
  },
  {
    name: 'max pool, then a per-channel scale and shift (a lone BatchNorm), leaky relu',
    seed: 105,
    float: () =>
      randomImageModel(seededRng(105), [6, 6, 1], [
        { conv: { filters: 2, kernel: [3, 3] } },
        { pool: { op: 'max', size: [2, 2] } },
        { conv: { filters: 1, kernel: [1, 1], depthwise: true, activation: { kind: 'leakyRelu', alpha: 0.3 } } },
        { flatten: true },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(36),
  },
  {
    // 5 channels into 4 logits: with fewer channels than logits, the logits would obey a linear
    // relation of their own, which circom rightly keeps as one more constraint.
    name: 'fully convolutional: the last conv makes the logits, read through a global average pool',
    seed: 106,
    float: () =>
      randomImageModel(seededRng(106), [6, 6, 1], [
        { conv: { filters: 5, kernel: [3, 3] } },
        { conv: { filters: 4, kernel: [1, 1], activation: { kind: 'linear' } } },
        { pool: { op: 'avg', global: true } },
        { activation: { kind: 'softmax' } },
      ]),
    options: calibrate(36),
    ops: ['conv2d', 'rescale', 'conv2d', 'avgPool', 'argmax'],
  },
  {
    // Every op kind at least twice (an argmax only ends a model), so that no emitter's names can
    // collide with its own second use or with another emitter's: two max pools once did.
    name: 'every op kind twice: two convs, max pools, average pools, paddings, dense layers',
    seed: 107,
    float: () => randomImageModel(seededRng(107), [8, 8, 1], everyOpTwice()),
    options: calibrate(64),
    ops: ['conv2d', 'rescale', 'maxPool', 'avgPool', 'pad', 'conv2d', 'rescale', 'pad', 'avgPool', 'maxPool', 'dense', 'rescale', 'dense', 'argmax'],
  },
  {
    // The same with table activations: a convolution's sigmoid and a dense layer's GELU.
    name: 'every op kind twice, table activations included: a sigmoid convolution and a GELU dense layer',
    seed: 108,
    float: () => randomImageModel(seededRng(108), [8, 8, 1], everyOpTwice({ kind: 'table', fn: { name: 'sigmoid' } }, { kind: 'table', fn: { name: 'gelu' } })),
    options: calibrate(64),
    ops: ['conv2d', 'rescale', 'maxPool', 'avgPool', 'pad', 'conv2d', 'table', 'pad', 'avgPool', 'maxPool', 'dense', 'rescale', 'dense', 'table', 'dense', 'argmax'],
  },
];

/** Graphs: branches that meet in an add, a concat or a product, and one value read by several layers. */
export const GRAPH_CASES: ModelCase[] = [
  {
    name: 'residual: two convolutions, their sum through a relu (the first read twice), pooled',
    seed: 201,
    float: () =>
      randomImageModel(seededRng(201), [6, 6, 1], [
        { conv: { filters: 3, kernel: [3, 3], padding: 'same' } },
        { conv: { filters: 3, kernel: [3, 3], padding: 'same', activation: { kind: 'linear' } } },
        { add: { activation: { kind: 'relu' } }, from: [0, 1] },
        { pool: { op: 'avg', size: [2, 2] } },
        { flatten: true },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(36),
    ops: ['conv2d', 'rescale', 'conv2d', 'rescale', 'add', 'rescale', 'avgPool', 'dense', 'argmax'],
  },
  {
    name: 'concat of channels from two branches of the input, then of two flat dense outputs',
    seed: 202,
    float: () =>
      randomImageModel(seededRng(202), [6, 6, 1], [
        { conv: { filters: 2, kernel: [3, 3], padding: 'same' } },
        { conv: { filters: 3, kernel: [3, 3], padding: 'same' }, from: [-1] },
        { concat: true, from: [0, 1] },
        { pool: { op: 'max', size: [2, 2] } },
        { flatten: true },
        { dense: { units: 4 } },
        { dense: { units: 3 }, from: [4] },
        { concat: true, from: [5, 6] },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(36),
  },
  {
    name: 'element-wise product of two branches, constants multiplied and subtracted, a difference of tensors',
    seed: 203,
    float: () =>
      randomImageModel(seededRng(203), [10] as unknown as [number, number, number], [
        { dense: { units: 6 } },
        { dense: { units: 6, activation: { kind: 'linear' } }, from: [-1] },
        { mul: true, from: [0, 1] },
        { affine: {} },
        { add: { coefficients: [1, -1], activation: { kind: 'relu' } }, from: [3, 0] },
        { affine: { positive: true } },
        { mul: true, from: [5, 5] },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(10),
    ops: ['dense', 'rescale', 'dense', 'rescale', 'mul', 'rescale', 'add', 'rescale', 'add', 'rescale', 'mul', 'rescale', 'dense', 'argmax'],
  },
  {
    name: 'a table activation on a residual sum: tanh of two dense branches added',
    seed: 204,
    float: () =>
      randomImageModel(seededRng(204), [10] as unknown as [number, number, number], [
        { dense: { units: 6 } },
        { dense: { units: 6, activation: { kind: 'linear' } } },
        { add: { activation: { kind: 'table', fn: { name: 'tanh' } } }, from: [0, 1] },
        { dense: { units: 3, activation: { kind: 'softmax' } } },
      ]),
    options: calibrate(10),
    ops: ['dense', 'rescale', 'dense', 'rescale', 'add', 'table', 'dense', 'argmax'],
  },
];
