/**
 * The models beyond chains that the direct path is held to circom and to its witness program on
 * (test/circuits/direct.test.ts, direct-program.test.ts), each in the visibilities it is tested
 * in: the graph cases (add, concat, mul, residual reads), table activations through every plan
 * shape, a quantized self-attention block (LayerNorm, matmul, softmax along rows, transposes),
 * products of activations with private weights, RMSNorm, and a softmax as public probabilities.
 */
import type { Visibility } from '../../circuits/visibility.js';
import { QMODEL_FORMAT, type QModel, type QOp, parseQModel, quantizeInput } from '../../model/ir.js';
import { planNorm } from '../../model/norm.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { buildTable } from '../../model/tables.js';
import { attentionBlockModel } from '../../zoo/attention.js';
import { CONV_CASES, DENSE_CASES, GRAPH_CASES, type ModelCase } from './model-cases.js';
import { seededRng } from './random.js';

export interface DirectCase {
  name: string;
  seed: number;
  model: () => QModel;
  visibilities: Visibility[];
  /** Inputs beyond the edges and random ones (real activations, for models whose random inputs are all extreme). */
  inputs?: (model: QModel) => number[][];
}

const PUBLIC: Visibility = { input: 'private', output: 'public', params: 'fixed' };
const HASHED_ALL: Visibility = { input: 'hashed', output: 'hashed', params: 'hashed', recipient: 'public' };

const quantized = (c: ModelCase) => quantizeModel(c.float(), c.options).model;

function qmodel(name: string, shape: number[], bits: number, ops: QOp[]): QModel {
  const model: QModel = { format: QMODEL_FORMAT, name, input: { shape, bits, signed: true, scale: 1 / 2 ** (bits - 1) }, ops, quantization: { weightBits: 8, activationBits: bits, ranges: 'weights', calibrationSamples: 0 } };
  return parseQModel(JSON.parse(JSON.stringify(model)), name);
}

/**
 * One table op over 11-bit inputs, one value per shift: saturating with two extra bits (2) or one
 * (3), the whole table (4), a sub-table (5), a smaller one (8), a constant (12); sigmoid, and GELU
 * (whose flat tail makes multiplexer nodes that differ by a constant: linear, and free).
 */
function tablePlansModel(fn: 'sigmoid' | 'gelu'): QModel {
  const shifts = [2, 3, 4, 5, 8, 12];
  const [inScale, outScale] = fn === 'sigmoid' ? [8 / 128, 1 / 255] : [6 / 128, 6 / 128];
  const model: QModel = {
    format: QMODEL_FORMAT,
    name: `table plans ${fn}`,
    input: { shape: [shifts.length], bits: 11, signed: true, scale: 1 },
    ops: [{ kind: 'table', name: fn, fn: { name: fn }, shift: shifts, bits: 8, inScale, outScale, table: buildTable({ name: fn }, 8, inScale, outScale) }],
    quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 },
  };
  return parseQModel(JSON.parse(JSON.stringify(model)), model.name);
}

/** dense → relu → a product of the activations with themselves ([2, 3] · [3, 2]) → rescale → dense → argmax: matmul without an add, so params can be hashed. */
function matmulModel(): QModel {
  const rng = seededRng(301);
  const ints = (n: number, m: number) => Array.from({ length: n }, () => Array.from({ length: m }, () => Math.floor(rng() * 7) - 3));
  return qmodel('matmul of activations', [6], 4, [
    { kind: 'dense', name: 'd1', inputSize: 6, outputSize: 6, weights: ints(6, 6), bias: ints(1, 6)[0]!, scale: new Array(6).fill(1 / 64) },
    { kind: 'rescale', name: 'r1', shift: new Array(6).fill(2), activation: { kind: 'relu' } },
    { kind: 'matmul', name: 'self', batch: 1, rows: 2, inner: 3, cols: 2, inputs: [1, 1] },
    { kind: 'rescale', name: 'r2', shift: new Array(4).fill(4), activation: { kind: 'linear' } },
    { kind: 'dense', name: 'd2', inputSize: 4, outputSize: 3, weights: ints(3, 4), bias: [1, 0, -1], scale: new Array(3).fill(1 / 64) },
    { kind: 'argmax', name: 'argmax' },
  ]);
}

/** An identity dense layer and RMSNorm along rows of 3 values of 5 bits. */
function rmsNormModel(): QModel {
  const n = 6;
  const scale = 1 / 16;
  return qmodel('rms norm', [n], 5, [
    { kind: 'dense', name: 'values', inputSize: n, outputSize: n, weights: Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => (i === j ? 1 : 0))), bias: new Array<number>(n).fill(0), scale: new Array<number>(n).fill(scale) },
    { kind: 'norm', name: 'norm', ...planNorm('rms', 3, 1e-3, scale, 16) },
  ]);
}

const ATTENTION = { tokens: 3, width: 4, heads: 2, classes: 3 };
function attentionCalibration(): number[][] {
  const rng = seededRng(42);
  return Array.from({ length: 24 }, () => Array.from({ length: ATTENTION.tokens * ATTENTION.width }, () => rng() * 2 - 1));
}

export const DIRECT_CASES: DirectCase[] = [
  ...GRAPH_CASES.map((c, k): DirectCase => ({ name: c.name, seed: c.seed, model: () => quantized(c), visibilities: k === 0 ? [PUBLIC, { input: 'hashed', output: 'hashed', params: 'fixed', recipient: 'public' }] : [PUBLIC] })),
  // In the first visibility with the chains (DENSE_CASES, CONV_CASES), here with everything hashed.
  ...CONV_CASES.filter((c) => c.ops?.includes('table')).map((c): DirectCase => ({ name: c.name, seed: c.seed, model: () => quantized(c), visibilities: [HASHED_ALL] })),
  { name: 'a table op through every plan shape: sigmoid', seed: 401, model: () => tablePlansModel('sigmoid'), visibilities: [PUBLIC] },
  { name: 'a table op through every plan shape: GELU', seed: 402, model: () => tablePlansModel('gelu'), visibilities: [PUBLIC] },
  {
    name: 'a quantized self-attention block: LayerNorm, Q, K, V, Q·Kᵀ, row softmax, ·V, heads merged, residual',
    seed: 403,
    model: () => quantizeModel(attentionBlockModel(ATTENTION, seededRng(41)), { calibration: attentionCalibration(), inputRange: [-1, 1] }).model,
    visibilities: [PUBLIC, { input: 'public', output: 'private', params: 'fixed', recipient: 'public' }],
    inputs: (model) => attentionCalibration().slice(0, 3).map((x) => quantizeInput(x, model.input)),
  },
  { name: 'products of activations (matmul) with private weights', seed: 404, model: matmulModel, visibilities: [PUBLIC, HASHED_ALL] },
  { name: 'RMSNorm', seed: 405, model: rmsNormModel, visibilities: [PUBLIC] },
  {
    name: 'a softmax of the logits as public probabilities',
    seed: 406,
    model: () => quantizeModel(DENSE_CASES[0]!.float(), { ...DENSE_CASES[0]!.options, output: 'probabilities' }).model,
    visibilities: [{ input: 'private', output: 'probabilities', params: 'fixed' }, { input: 'hashed', output: 'probabilities', params: 'hashed' }],
  },
];
