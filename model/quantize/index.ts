/**
 * Float graph → QModel.
 *
 * Scheme: symmetric, zero-point-free integers. Each activation channel gets a scale from its
 * measured range (per channel: it is free, the next layer's weights absorb it). Each dense or
 * convolution output channel j picks a weight scale s_acc[j] = s_out[j] / 2^k[j], so requantizing
 * its accumulator to the activation scale is an exact power-of-two shift (cheap in a circuit: it
 * shares the activation's bit decomposition), while the weights still use nearly all of their bits.
 * The last layer with weights keeps one common scale for all its outputs, so an argmax over them
 * compares like with like, and is not rescaled at all: logits keep their full precision for free.
 * Pooling and padding keep scales per channel; an average pool's division goes into the scale.
 * Where a graph's branches meet, an Add or Subtract is exact and free when it can be: the Dense or
 * Conv2D layers that feed it get power-of-two activation scales, so its inputs' scales differ by
 * powers of two, its integer weights are small powers of two and the sum needs no requantizing
 * (it is one or a few bits wider than its inputs, which the next layer's accumulator absorbs).
 * Otherwise it is a linear layer of its own (weights align the inputs' scales, rounded like any
 * weight, then a rescale back to the activation width). A Concatenate keeps each input's scales, and a
 * product of two tensors multiplies their scales before a rescale brings it back to the
 * activation width. Constant multipliers and offsets are linear layers of one term.
 */
import { ModelError, ZkinferError } from '../../core/errors.js';
import { analyzeBounds } from '../bounds.js';
import { type Activation, type Conv2DLayer, type DenseLayer, type FloatLayer, type FloatModel, LINEAR, attentionLayerShape, layerInputs, sizeOf, walkLayers } from '../float.js';
import { averageMultipliers, groupInputChannels } from '../geometry.js';
import { type QInput, type QModel, type QOp, type RescaleActivation, QMODEL_FORMAT, concatSources, transposeSources } from '../ir.js';
import { type TableFunction, MAX_TABLE_BITS, buildTable, outputMagnitude, saturation, tableOffset } from '../tables.js';
import { type LayerRanges, calibrationRanges, weightDerivedRanges } from './ranges.js';
import { planNorm } from '../norm.js';
import { planSoftmax } from '../softmax.js';
import { maxOf } from '../../core/numbers.js';

export interface QuantizeOptions {
  /** Weight width in bits, signed (default 8). */
  weightBits?: number;
  /**
   * Target activation width in bits (default 8), or one per layer with weights (Dense, Conv2D, in
   * order; the last one's is unused: logits keep full precision). Activations are not clipped, so
   * this sets resolution, and with it how many bits the next layer's values and checks take.
   */
  activationBits?: number | readonly number[];
  /**
   * The width of the values a norm, a product of two tensors or a softmax reads, and of the sums
   * and branches that make them (wideLayers: a transformer's residual stream, Q, K, V and the
   * scores), at least the activation width (default 16). Their rounding is what such ops are
   * sensitive to (a LayerNorm divides it by a row's spread); the weights and the other
   * activations keep their widths.
   */
  wideBits?: number;
  /** Input width in bits (default 8). */
  inputBits?: number;
  /** The float range of input values (default [0, 1]). */
  inputRange?: [number, number];
  /** Float inputs to measure activation ranges on; without them, worst-case ranges from the weights. */
  calibration?: readonly ArrayLike<number>[];
  /**
   * What the model shows besides the class: the logits (default), or their softmax as well
   * (`--output probabilities`): a softmax op before the argmax, in 2^-16 units (model/softmax.ts).
   */
  output?: 'logits' | 'probabilities';
}

/** The wide width's default: 16 bits (bench/RESULTS.md, the tiny ViT's accuracy by width). */
export const DEFAULT_WIDE_BITS = 16;

export interface QuantizeResult {
  model: QModel;
  warnings: string[];
  /** Where each float layer's value is in the QModel: the op that holds it (-1: the input) and its scales. */
  layerValues: { at: number; scales: number[] }[];
}

interface LayerContext {
  index: number;
  /** Scale of each element of the layer's (first) input. */
  inScales: number[];
  /** Scales of each of its inputs, in order. */
  allScales: number[][];
  /** Channels of its output (the last dimension; 1 for a scalar). */
  channels: number;
  /** Measured or derived |output| per element. */
  range: Float64Array;
  /** Whether this is the last layer with weights (its output is the logits). */
  isFinal: boolean;
  weightMax: number;
  activationMax: { unsigned: number; signed: number };
  /** The layer's activation width (activationMax's bits). */
  activationBits: number;
  /** Its output feeds an Add: its activation scales are rounded up to powers of two (see exactSum). */
  powerOfTwoScales: boolean;
  /** Its output feeds a norm, a product of two tensors or a softmax (model/quantize oneScaleLayers): every output gets one scale, the layer's (they add its values). */
  oneScale: boolean;
  /** The largest |value| of its (first) input, measured or derived. */
  inputMax: number;
}

interface LayerQuantization {
  ops: QOp[];
  outScales: number[];
}

type LayerQuantizer<K extends FloatLayer['kind']> = (layer: Extract<FloatLayer, { kind: K }>, ctx: LayerContext) => LayerQuantization;

function quantizeInputSpec(model: FloatModel, bits: number, [lo, hi]: [number, number]): QInput {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new ModelError('QUANTIZATION', `input range [${lo}, ${hi}] must be two finite numbers, low < high`);
  }
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new ModelError('QUANTIZATION', `input bits must be 2..16, found ${bits}`);
  const signed = lo < 0;
  const scale = signed ? Math.max(-lo, hi) / (2 ** (bits - 1) - 1) : hi / (2 ** bits - 1);
  return { shape: [...model.inputShape], bits, signed, scale };
}

/** numerator / 2^bits nearest a slope in (0, 1), itself in [2^-bits, 1 - 2^-bits] as model/ir.ts requires. */
const leakNumeratorOf = (alpha: number, bits: number) => Math.min(2 ** bits - 1, Math.max(1, Math.round(alpha * 2 ** bits)));

/** The smallest exact fraction numerator / 2^bits within 0.5% of a leaky ReLU's slope. */
function leakFraction(alpha: number): { numerator: number; bits: number } {
  for (let bits = 1; ; bits++) {
    const numerator = leakNumeratorOf(alpha, bits);
    if (Math.abs(numerator / 2 ** bits - alpha) <= alpha * 0.005 || bits === 12) return { numerator, bits };
  }
}

/** Slopes per element over one 2^bits: the widest any slope needs alone, so each is as close as its own fraction. */
function leakFractions(alphas: readonly number[]): { numerator: number[]; bits: number } {
  const bits = maxOf([...new Set(alphas)].map((a) => leakFraction(a).bits));
  return { numerator: alphas.map((a) => leakNumeratorOf(a, bits)), bits };
}

/** The integer form of a float activation, on outputs at `scales`. */
function rescaleActivation(activation: Activation, scales: readonly number[]): RescaleActivation {
  switch (activation.kind) {
    case 'relu':
      return activation.max === undefined ? { kind: 'relu' } : { kind: 'relu', max: scales.map((s) => Math.round(activation.max! / s)) };
    case 'leakyRelu':
      return { kind: 'leaky', ...(typeof activation.alpha === 'number' ? leakFraction(activation.alpha) : leakFractions(activation.alpha)) };
    default:
      return { kind: 'linear' };
  }
}

const leakScale = (a: RescaleActivation) => (a.kind === 'leaky' ? 2 ** -a.bits : 1);

/** The codes a table activation's input takes, and their scale. */
interface TableInput {
  bits: number;
  inScale: number;
}

/**
 * A table activation's input: codes of the layer's activation width (at most MAX_TABLE_BITS), one
 * scale for the whole layer (one table serves every value) covering the largest measured |x|, or
 * only as far as f is not yet level (sigmoid, tanh: inputs past that saturate at the domain's
 * ends, which costs nothing in accuracy); never finer than the largest weight term allows, so
 * every channel reaches it by a right shift.
 */
function tableInput(fn: TableFunction, layerMax: number, termMax: readonly number[], ctx: LayerContext): TableInput {
  const bits = Math.min(ctx.activationBits, MAX_TABLE_BITS);
  const reach = Math.min(layerMax || 1, saturation(fn));
  return { bits, inScale: Math.max(reach / (tableOffset(bits) - 1), maxOf(termMax) / ctx.weightMax) };
}

/** The table op of f on codes at `input`'s scale; its output scale spreads f's range over the codes (unsigned when f >= 0). */
function tableOp(name: string, fn: TableFunction, shift: number[], input: TableInput): { op: QOp; outScale: number } {
  const end = tableOffset(input.bits) * input.inScale;
  const nonNegative = ['sigmoid', 'hardSigmoid', 'softplus', 'exp'].includes(fn.name);
  const levels = nonNegative ? 2 ** input.bits - 1 : tableOffset(input.bits) - 1;
  const outScale = outputMagnitude(fn, end) / levels || 1;
  const table = buildTable(fn, input.bits, input.inScale, outScale);
  return { op: { kind: 'table', name: `${name}/${fn.name}`, fn, shift, bits: input.bits, inScale: input.inScale, outScale, table }, outScale };
}

/** Per-channel view of per-element values of a channels-last tensor with `channels` channels. */
function perChannel(values: ArrayLike<number>, channels: number, reduce: (a: number, b: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) out[i % channels] = i < channels ? values[i] : reduce(out[i % channels], values[i]);
  return out;
}

/**
 * Quantize the weights of one linear layer with rows of float weights (per output channel):
 * the scales of its accumulators, its integer weights and biases, and the rescale after it.
 * `rows[j][t] * inScale[j][t]` is the float contribution of term t to output channel j.
 */
function quantizeLinear(
  rows: Float64Array[],
  inScale: (j: number, t: number) => number,
  bias: Float64Array,
  activation: Activation,
  channelRange: number[],
  ctx: LayerContext,
): { weights: number[][]; biasInt: number[]; accScales: number[]; shifts: number[] | undefined; outScales: number[]; table?: TableInput } {
  const m = rows.map((row, j) => row.reduce((max, w, t) => Math.max(max, Math.abs(w * inScale(j, t))), 0));
  let accScales: number[];
  let shifts: number[] | undefined;
  // A table activation needs its input at the table's one scale, even on the last layer.
  const table = activation.kind === 'table' ? tableInput(activation.fn, maxOf(channelRange), m, ctx) : undefined;
  if (ctx.isFinal && !table) {
    const common = maxOf(m) / ctx.weightMax || 1;
    accScales = m.map(() => common);
  } else {
    const levels = activation.kind === 'relu' ? ctx.activationMax.unsigned : ctx.activationMax.signed;
    const layerMax = maxOf(channelRange);
    // A norm's input shares one scale, no finer than every channel's weights allow (k >= 0 below, so the weights keep their bits).
    const common = ctx.oneScale ? Math.max((layerMax || 1) / levels, maxOf(m) / ctx.weightMax) : undefined;
    shifts = [];
    const chosen = shifts;
    accScales = m.map((mj, j) => {
      const measured = common ?? (channelRange[j] || layerMax || 1) / levels;
      // Rounded up, not to nearest: the values still fit the activation width, at up to one bit less resolution.
      const target = table ? table.inScale : ctx.powerOfTwoScales ? 2 ** Math.ceil(Math.log2(measured)) : measured;
      const k = mj === 0 ? 0 : Math.floor(Math.log2((target * ctx.weightMax) / mj));
      chosen.push(Math.max(0, k));
      // k < 0: the weights need a finer scale than the activation target; keep weight precision.
      // (Never for a table, whose input must be at its scale exactly: tableInput makes k >= 0 up to
      // rounding; nor for a norm's input, whose common scale does the same.)
      return k >= 0 || table || common !== undefined ? target / 2 ** Math.max(0, k) : mj / ctx.weightMax;
    });
  }
  const weights = rows.map((row, j) => Array.from(row, (w, t) => Math.round((w * inScale(j, t)) / accScales[j]) || 0));
  const biasInt = accScales.map((s, j) => Math.round(bias[j] / s) || 0);
  const outScales = accScales.map((s, j) => s * 2 ** (shifts?.[j] ?? 0));
  return { weights, biasInt, accScales, shifts, outScales, ...(table ? { table } : {}) };
}

/** The rescale (or table activation, given its input) after a linear layer (per element), when it does anything. */
function rescaleAfter(name: string, shiftsPerElement: number[], activation: Activation, elementScales: number[], table?: TableInput): { op?: QOp; outScales: number[] } {
  if (activation.kind === 'table') {
    if (!table) throw new ZkinferError('INTERNAL', `${name}: the ${activation.fn.name} activation has no table input scale`);
    const made = tableOp(name, activation.fn, shiftsPerElement, table);
    return { op: made.op, outScales: elementScales.map(() => made.outScale) };
  }
  const integer = rescaleActivation(activation, elementScales);
  if (integer.kind === 'linear' && shiftsPerElement.every((s) => s === 0)) return { outScales: elementScales };
  const leak = leakScale(integer);
  return {
    op: { kind: 'rescale', name: `${name}/rescale`, shift: shiftsPerElement, activation: integer },
    outScales: elementScales.map((s) => s * leak),
  };
}

/** A positive factor alone only relabels the integers: no op, a new scale. */
const relabelsOnly = (layer: FloatLayer) => layer.kind === 'affine' && layer.offset.every((o) => o === 0) && layer.multiplier.every((m) => m > 0);

/** Layers that end in a linear combination: the last of them makes the logits. */
const LINEAR_LAYERS: ReadonlySet<FloatLayer['kind']> = new Set(['dense', 'conv2d', 'add', 'affine']);

const quantizers: { [K in FloatLayer['kind']]: LayerQuantizer<K> } = {
  reshape: (_layer, ctx) => ({ ops: [], outScales: ctx.inScales }),

  dense(layer: DenseLayer, ctx) {
    if (layer.inputSize !== ctx.inScales.length) {
      throw new ModelError('MODEL_INVALID', `expects ${layer.inputSize} inputs, its input has ${ctx.inScales.length}`, { name: layer.name, index: ctx.index });
    }
    const rows = Array.from({ length: layer.units }, (_, j) => Float64Array.from({ length: layer.inputSize }, (_, i) => layer.kernel[i * layer.units + j]));
    const q = quantizeLinear(rows, (_j, i) => ctx.inScales[i], layer.bias, layer.activation, Array.from(ctx.range), ctx);
    const dense: QOp = { kind: 'dense', name: layer.name, inputSize: layer.inputSize, outputSize: layer.units, weights: q.weights, bias: q.biasInt, scale: q.accScales };
    const rescale = rescaleAfter(layer.name, q.shifts ?? q.accScales.map(() => 0), layer.activation, q.outScales, q.table);
    return { ops: rescale.op ? [dense, rescale.op] : [dense], outScales: rescale.outScales };
  },

  conv2d(layer: Conv2DLayer, ctx) {
    const channels = layer.outShape[2];
    const rowLength = layer.weights.length / channels;
    const { perGroup, outPerGroup } = groupInputChannels(layer);
    const rows = Array.from({ length: channels }, (_, oc) => layer.weights.subarray(oc * rowLength, (oc + 1) * rowLength));
    // Input scales depend on the channel only (its weights serve every position): element (0, 0, ic) has index ic.
    const inChannels = layer.inShape[2];
    const mixed = ctx.inScales.findIndex((s, e) => Math.abs(s / ctx.inScales[e % inChannels]! - 1) > 1e-12);
    if (mixed >= 0) {
      throw new ModelError('MODEL_UNSUPPORTED', `its input's scales differ between positions of channel ${mixed % inChannels} (element ${mixed}: ${ctx.inScales[mixed]} against ${ctx.inScales[mixed % inChannels]}), and a convolution's weights serve every position alike; its input layer quantizes channels of another shape`, { name: layer.name, index: ctx.index });
    }
    const inScale = (oc: number, t: number) => ctx.inScales[Math.floor(oc / outPerGroup) * perGroup + (t % perGroup)];
    const q = quantizeLinear(rows, inScale, layer.bias, layer.activation, perChannel(ctx.range, channels, Math.max), ctx);
    const conv: QOp = {
      kind: 'conv2d',
      name: layer.name,
      inShape: layer.inShape,
      outShape: layer.outShape,
      kernel: layer.kernel,
      strides: layer.strides,
      padding: layer.padding,
      groups: layer.groups,
      weights: q.weights,
      bias: q.biasInt,
      scale: q.accScales,
    };
    const elements = layer.outShape[0] * layer.outShape[1] * channels;
    const elementScales = Array.from({ length: elements }, (_, e) => q.outScales[e % channels]);
    const shifts = Array.from({ length: elements }, (_, e) => q.shifts?.[e % channels] ?? 0);
    const rescale = rescaleAfter(layer.name, shifts, layer.activation, elementScales, q.table);
    return { ops: rescale.op ? [conv, rescale.op] : [conv], outScales: rescale.outScales };
  },

  pool(layer, ctx) {
    const channels = layer.outShape[2];
    const elements = layer.outShape[0] * layer.outShape[1] * channels;
    const geometry = { inShape: layer.inShape, outShape: layer.outShape, pool: layer.pool, strides: layer.strides, padding: layer.padding };
    const divisor = layer.op === 'avg' ? averageMultipliers(geometry).lcm : 1;
    return {
      ops: [{ kind: layer.op === 'avg' ? 'avgPool' : 'maxPool', name: layer.name, ...geometry }],
      outScales: Array.from({ length: elements }, (_, e) => ctx.inScales[e % channels] / divisor),
    };
  },

  pad(layer, ctx) {
    const channels = layer.outShape[2];
    const elements = layer.outShape[0] * layer.outShape[1] * channels;
    return {
      ops: [{ kind: 'pad', name: layer.name, inShape: layer.inShape, outShape: layer.outShape, padding: layer.padding }],
      outScales: Array.from({ length: elements }, (_, e) => ctx.inScales[e % channels]),
    };
  },

  activation(layer, ctx) {
    let table: TableInput | undefined;
    if (layer.activation.kind === 'table') {
      // One table serves every value only when they share a scale; a Dense or Conv2D before it gives them one.
      const scale = ctx.inScales[0]!;
      if (ctx.inScales.some((s) => s !== scale)) {
        throw new ModelError('MODEL_UNSUPPORTED', `a ${layer.activation.fn.name} activation is supported after a Dense or Conv2D layer (or on values of one scale), not here`, { name: layer.name, index: ctx.index });
      }
      table = { bits: Math.min(ctx.activationBits, MAX_TABLE_BITS), inScale: scale };
    }
    const rescale = rescaleAfter(layer.name, ctx.inScales.map(() => 0), layer.activation, ctx.inScales, table);
    return { ops: rescale.op ? [rescale.op] : [], outScales: rescale.outScales };
  },

  add(layer, ctx) {
    const sizes = ctx.allScales.map((s) => s.length);
    if (sizes.some((n) => n !== sizes[0])) throw new ModelError('MODEL_INVALID', `adds inputs of different sizes (${sizes.join(', ')})`, { name: layer.name, index: ctx.index });
    return exactSum(layer.name, layer.coefficients, layer.activation, ctx) ?? combination(layer.name, ctx.allScales[0].map(() => Float64Array.from(layer.coefficients)), (j, t) => ctx.allScales[t][j], new Float64Array(sizes[0]), layer.activation, ctx);
  },

  affine(layer, ctx) {
    if (relabelsOnly(layer)) return { ops: [], outScales: ctx.inScales.map((s, j) => s * layer.multiplier[j]) };
    return combination(layer.name, Array.from(layer.multiplier, (m) => Float64Array.of(m)), (j) => ctx.inScales[j], layer.offset, LINEAR, ctx);
  },

  concat: (layer, ctx) => ({
    ops: [{ kind: 'concat', name: layer.name, inShapes: layer.inShapes, outShape: layer.outShape }],
    outScales: concatSources(layer).map(([i, e]) => ctx.allScales[i][e]),
  }),

  norm(layer, ctx) {
    const where = { name: layer.name, index: ctx.index };
    const scale = ctx.inScales[0]!;
    if (ctx.inScales.some((s) => Math.abs(s / scale - 1) > 1e-12)) {
      throw new ModelError('MODEL_UNSUPPORTED', `a ${layer.mode === 'layer' ? 'LayerNormalization' : 'RMSNorm'} needs its input at one scale (it adds its values): put it after a Dense or Conv2D layer, whose outputs then share one, not here`, where);
    }
    if (ctx.inScales.length % layer.size !== 0) throw new ModelError('MODEL_INVALID', `normalises rows of ${layer.size} values, and its input has ${ctx.inScales.length}`, where);
    const params = planNorm(layer.mode, layer.size, layer.epsilon, scale, ctx.inputMax / scale);
    const norm: QOp = { kind: 'norm', name: layer.name, ...params };
    // gamma and beta: a linear layer of one term per value, reading the normalised values at √size / 2^K.
    const zScale = Math.sqrt(layer.size) * 2 ** -params.rsqrtBits;
    const gamma = ctx.inScales.map((_, j) => Float64Array.of(layer.gamma?.[j % layer.size] ?? 1));
    const beta = Float64Array.from(ctx.inScales, (_, j) => layer.beta?.[j % layer.size] ?? 0);
    const affine = combination(`${layer.name}/affine`, gamma, () => zScale, beta, LINEAR, ctx);
    return { ops: [norm, ...affine.ops], outScales: affine.outScales };
  },

  mul(layer, ctx) {
    const [a, b] = ctx.allScales;
    if (a.length !== b.length) throw new ModelError('MODEL_INVALID', `multiplies inputs of different sizes (${a.length}, ${b.length})`, { name: layer.name, index: ctx.index });
    const products = a.map((s, j) => s * b[j]);
    // Back to the activation width: the product's scale times the power of two nearest below the target.
    const ranges = perChannel(ctx.range, ctx.channels, Math.max);
    const layerMax = maxOf(ranges);
    const shifts = products.map((s, j) => (ctx.isFinal ? 0 : Math.max(0, Math.floor(Math.log2((ranges[j % ctx.channels] || layerMax || 1) / ctx.activationMax.signed / s)))));
    const rescale = rescaleAfter(layer.name, shifts, LINEAR, products.map((s, j) => s * 2 ** shifts[j]));
    return { ops: [{ kind: 'mul', name: layer.name }, ...(rescale.op ? [rescale.op] : [])], outScales: rescale.outScales };
  },

  transpose: (layer, ctx) => ({
    ops: [{ kind: 'transpose', name: layer.name, inShape: layer.inShape, perm: layer.perm }],
    outScales: transposeSources(layer).map((i) => ctx.inScales[i]!),
  }),

  matmul(layer, ctx) {
    const where = { name: layer.name, index: ctx.index };
    // Each output sums products over the inner axis: like with like only when each input has one scale.
    const [a, b] = ctx.allScales.map((scales, i) => oneScaleOf(scales, `a product of two tensors needs each at one scale (it sums their products), and input ${i} has several: put it after a Dense or Conv2D layer`, where));
    const product = a * b;
    // Back to the activation width by one shift for every value (the scores' softmax needs one scale).
    const shift = ctx.isFinal ? 0 : Math.max(0, Math.floor(Math.log2((maxOf(Array.from(ctx.range)) || 1) / ctx.activationMax.signed / product)));
    const op: QOp = { kind: 'matmul', name: layer.name, batch: layer.batch, rows: layer.rows, inner: layer.inner, cols: layer.cols };
    const size = layer.batch * layer.rows * layer.cols;
    const rescale = rescaleAfter(layer.name, new Array<number>(size).fill(shift), LINEAR, new Array<number>(size).fill(product * 2 ** shift));
    return { ops: [op, ...(rescale.op ? [rescale.op] : [])], outScales: rescale.outScales };
  },

  softmax(layer, ctx) {
    const where = { name: layer.name, index: ctx.index };
    const scale = oneScaleOf(ctx.inScales, 'a softmax needs its input at one scale (its exp table serves every value): put it after a Dense, Conv2D or MatMul layer', where);
    if (ctx.inScales.length % layer.size !== 0) throw new ModelError('MODEL_INVALID', `takes a softmax along rows of ${layer.size} values, and its input has ${ctx.inScales.length}`, where);
    const params = planSoftmax(layer.size, scale);
    return { ops: [{ kind: 'softmax', name: layer.name, ...params }], outScales: ctx.inScales.map(() => 2 ** -params.probabilityBits) };
  },
};

/** The one scale of a tensor's values, or a MODEL_UNSUPPORTED error saying why it needs one. */
function oneScaleOf(scales: readonly number[], why: string, where: { name: string; index: number }): number {
  const scale = scales[0]!;
  if (scales.some((s) => Math.abs(s / scale - 1) > 1e-12)) throw new ModelError('MODEL_UNSUPPORTED', why, where);
  return scale;
}

/** A norm, a product of two tensors and a softmax: they add the values they read, and see each one's precision relative to a row's (a norm divides by its row's spread). */
const readsRows = (layer: FloatLayer) => layer.kind === 'norm' || layer.kind === 'matmul' || layer.kind === 'softmax';

/** A layer that only relabels its input's values, all alike (a reshape, a transpose, one positive factor). */
const relabelsAlike = (layer: FloatLayer) => layer.kind === 'reshape' || layer.kind === 'transpose' || (relabelsOnly(layer) && layer.kind === 'affine' && layer.multiplier.every((m) => m === layer.multiplier[0]));

/** The layers whose outputs `reads` reads, and, walking back through the layers that `passes` (when they are marked), the layers before those. */
function layersFeeding(model: FloatModel, reads: (layer: FloatLayer) => boolean, passes: (layer: FloatLayer) => boolean): Set<number> {
  const marked = new Set<number>();
  for (let k = model.layers.length - 1; k >= 0; k--) {
    const layer = model.layers[k]!;
    if (reads(layer) || (marked.has(k) && passes(layer))) layerInputs(model, k).forEach((i) => marked.add(i));
  }
  return marked;
}

/** The layers whose outputs must share one scale: the inputs of a norm, a product of two tensors and a softmax, through relabels. */
const oneScaleLayers = (model: FloatModel) => layersFeeding(model, readsRows, relabelsAlike);

/**
 * Layers a convolution reads, through reshapes and transposes, as channels other than their own (a
 * flat vector reshaped into an image): one scale for all their values, since the convolution's
 * weights serve every position alike. (A reshape that keeps the last axis, or splits it into whole
 * images of channels, keeps each value's scale a function of its channel.)
 */
function convolvedAsOtherChannels(model: FloatModel, shapes: number[][]): Set<number> {
  const marked = new Set<number>();
  model.layers.forEach((layer, k) => {
    if (layer.kind !== 'conv2d') return;
    let [source] = layerInputs(model, k);
    let transposed = false;
    while (source! >= 0 && (model.layers[source!]!.kind === 'reshape' || model.layers[source!]!.kind === 'transpose')) {
      transposed ||= model.layers[source!]!.kind === 'transpose';
      [source] = layerInputs(model, source!);
    }
    // Value e has the source's channel e mod Cs and the convolution's e mod Cc: the first follows from the second when Cs divides Cc.
    if (source! >= 0 && (transposed || layer.inShape[2] % (shapes[source!]!.at(-1) ?? 1) !== 0)) marked.add(source!);
  });
  return marked;
}

/**
 * The layers whose outputs take the wide width (QuantizeOptions.wideBits): the inputs of a norm, a
 * product of two tensors and a softmax, and the inputs of an add or an elementwise layer that is
 * wide itself, which pass their rounding on unweighted (a transformer's residual stream:
 * the embedding, the position's offset and every branch added into it), through relabels.
 */
const wideLayers = (model: FloatModel) => layersFeeding(model, readsRows, (layer) => relabelsAlike(layer) || layer.kind === 'add' || elementwise(layer));

/** One term per output: an affine layer, or a depthwise 1x1 convolution (ONNX's Add of a per-element constant, a position embedding). */
const elementwise = (layer: FloatLayer) =>
  layer.kind === 'affine' || (layer.kind === 'conv2d' && layer.kernel[0] === 1 && layer.kernel[1] === 1 && layer.groups === layer.inShape[2] && layer.groups === layer.outShape[2]);

/**
 * A linear combination of same-sized inputs, element by element (rows[j][t]: the float factor of
 * input t at element j), quantized as a dense layer's weights are: an add op, then its rescale.
 */
function combination(name: string, rows: Float64Array[], inScale: (j: number, t: number) => number, offset: Float64Array, activation: Activation, ctx: LayerContext): LayerQuantization {
  const channelRange = perChannel(ctx.range, ctx.channels, Math.max);
  const q = quantizeLinear(rows, inScale, offset, activation, rows.map((_, j) => channelRange[j % ctx.channels]), ctx);
  const add: QOp = { kind: 'add', name, weights: rows[0].length ? Array.from(rows[0], (_, t) => q.weights.map((row) => row[t])) : [], bias: q.biasInt, scale: q.accScales };
  const rescale = rescaleAfter(name, q.shifts ?? q.accScales.map(() => 0), activation, q.outScales, q.table);
  return { ops: rescale.op ? [add, rescale.op] : [add], outScales: rescale.outScales };
}

/**
 * An Add whose terms (coefficient times input scale) are, element by element, integer multiples of
 * the smallest: the sum at that smallest scale, with those integers as weights and no rounding at
 * all, and no rescale (a ReLU or leaky ReLU after it rescales by shift 0). Its output is as wide as
 * its inputs plus the weights' bits: with equal scales, one bit more. Undefined when the scales do
 * not line up (or the add makes the logits, which need one scale, or ends in a table, or feeds a
 * layer that needs one scale and the sums' scales differ): the caller
 * then quantizes it as a linear layer.
 */
function exactSum(name: string, coefficients: readonly number[], activation: Activation, ctx: LayerContext): LayerQuantization | undefined {
  if (ctx.isFinal || activation.kind === 'table') return undefined;
  const size = ctx.allScales[0].length;
  const scale: number[] = [];
  const weights: number[][] = coefficients.map(() => []);
  for (let j = 0; j < size; j++) {
    const terms = coefficients.map((k, t) => k * ctx.allScales[t][j]);
    const smallest = Math.min(...terms.map(Math.abs));
    if (!(smallest > 0)) return undefined;
    for (let t = 0; t < terms.length; t++) {
      const w = terms[t] / smallest;
      if (!Number.isInteger(w) || Math.abs(w) > ctx.weightMax) return undefined;
      weights[t].push(w);
    }
    scale.push(smallest);
  }
  // A sum a norm, a product or a softmax reads (a transformer's residual stream) needs one scale.
  if (ctx.oneScale && scale.some((s) => s !== scale[0])) return undefined;
  const add: QOp = { kind: 'add', name, weights, bias: new Array<number>(size).fill(0), scale };
  const rescale = rescaleAfter(name, scale.map(() => 0), activation, scale);
  return { ops: rescale.op ? [add, rescale.op] : [add], outScales: rescale.outScales };
}

/** The shape of every layer's output, from the input's: its last dimension is the channels that share scales. */
function layerShapes(model: FloatModel): number[][] {
  return walkLayers<number[]>(model, model.inputShape, (layer, [shape]) => {
    switch (layer.kind) {
      case 'dense':
        return [layer.units];
      case 'reshape':
        return layer.outputShape;
      case 'activation':
      case 'add':
      case 'affine':
      case 'mul':
        return shape;
      // Rows of the last axis: gamma and beta are per element of a row, whatever shape the input had (a flat [1, 1, n·size] residual stream).
      case 'norm':
        return [sizeOf(shape) / layer.size, layer.size];
      case 'matmul':
      case 'transpose':
      case 'softmax':
        return attentionLayerShape(layer, shape);
      default:
        return layer.outShape;
    }
  });
}

export function quantizeModel(model: FloatModel, options: QuantizeOptions = {}): QuantizeResult {
  const weightBits = options.weightBits ?? 8;
  const weighted = model.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d').length;
  const perLayer = typeof options.activationBits === 'object' ? [...options.activationBits] : new Array<number>(weighted).fill(options.activationBits ?? 8);
  if (perLayer.length !== weighted) throw new ModelError('QUANTIZATION', `activation bits: ${perLayer.length} given, the model has ${weighted} layers with weights`);
  const wideBits = options.wideBits ?? DEFAULT_WIDE_BITS;
  for (const [what, bits] of [['weight', weightBits], ['wide activation', wideBits], ...perLayer.map((b) => ['activation', b] as const)] as const) {
    if (!Number.isInteger(bits) || bits < 2 || bits > 24) throw new ModelError('QUANTIZATION', `${what} bits must be 2..24, found ${bits}`);
  }
  const inputRange = options.inputRange ?? [0, 1];
  const input = quantizeInputSpec(model, options.inputBits ?? 8, inputRange);
  const warnings: string[] = [];
  const calibration = options.calibration ?? [];
  let ranges: LayerRanges;
  if (calibration.length > 0) {
    ranges = calibrationRanges(model, calibration);
  } else {
    ranges = weightDerivedRanges(model, inputRange[0], inputRange[1]);
    warnings.push('no calibration data: activation scales come from worst-case weight bounds, which costs accuracy; pass calibration inputs');
  }

  // The last linear layer makes the logits: it keeps one common scale and no rescale.
  const finalIndex = model.layers.reduce((last, l, i) => (LINEAR_LAYERS.has(l.kind) && !relabelsOnly(l) ? i : last), -1);
  if (!model.layers.some((l) => l.kind === 'dense' || l.kind === 'conv2d')) throw new ModelError('MODEL_UNSUPPORTED', 'the model has no Dense or Conv2D layer: nothing to prove');
  const ops: QOp[] = [];
  const shapes = layerShapes(model);
  const feedsAdd = new Set(model.layers.flatMap((layer, k) => (layer.kind === 'add' ? layerInputs(model, k) : [])));
  const feedsOneScale = new Set([...oneScaleLayers(model), ...convolvedAsOtherChannels(model, shapes)]);
  const wide = wideLayers(model);
  let wideUsed = false;
  const inputMax = Math.max(Math.abs(inputRange[0]), Math.abs(inputRange[1]));
  let weightedSoFar = 0;
  // Each float layer's value: the op holding it (-1: the model's input) and its scales.
  const tensors = walkLayers<{ at: number; scales: number[] }>(model, { at: -1, scales: new Array<number>(sizeOf(model.inputShape)).fill(input.scale) }, (layer, inputs, index) => {
    // Layers without weights keep their input's resolution; use the last weighted layer's bits for their activations.
    const layerBits = perLayer[Math.min(weightedSoFar, weighted - 1)];
    const bits = wide.has(index) ? Math.max(layerBits, wideBits) : layerBits;
    if (bits > layerBits) wideUsed = true;
    if (layer.kind === 'dense' || layer.kind === 'conv2d') weightedSoFar++;
    const ctx: LayerContext = {
      index,
      inScales: inputs[0].scales,
      allScales: inputs.map((t) => t.scales),
      channels: shapes[index].at(-1) ?? 1,
      range: ranges[index],
      isFinal: index === finalIndex,
      weightMax: 2 ** (weightBits - 1) - 1,
      activationMax: { unsigned: 2 ** bits - 1, signed: 2 ** (bits - 1) - 1 },
      activationBits: bits,
      powerOfTwoScales: feedsAdd.has(index),
      oneScale: feedsOneScale.has(index),
      inputMax: layerInputs(model, index)[0]! < 0 ? inputMax : maxOf(Array.from(ranges[layerInputs(model, index)[0]!]!)),
    };
    const result = (quantizers[layer.kind] as LayerQuantizer<FloatLayer['kind']>)(layer, ctx);
    if (result.ops.length === 0) return { at: inputs[0].at, scales: result.outScales };
    // The layer's first op reads the layer's inputs (named unless it is the op just before); the rest follow it.
    const from = inputs.map((t) => t.at);
    const [first, ...rest] = result.ops;
    ops.push(from.length === 1 && from[0] === ops.length - 1 ? first : { ...first, inputs: from }, ...rest);
    return { at: ops.length - 1, scales: result.outScales };
  });
  const output = tensors[tensors.length - 1];
  if (output.at !== ops.length - 1) throw new ModelError('MODEL_UNSUPPORTED', 'the last layer computes nothing of its own (it only reshapes or relabels an earlier value); end the model with the layer that makes its outputs');
  if (output.scales.length >= 2) {
    if (output.scales.some((s) => Math.abs(s / output.scales[0] - 1) > 1e-9)) {
      throw new ModelError('MODEL_UNSUPPORTED', 'the outputs have different scales, so an argmax over them would compare unlike values; end the model with a Dense, Conv2D or Add layer', { name: model.layers[model.layers.length - 1].name, index: model.layers.length - 1 });
    }
    if (options.output === 'probabilities') {
      // Both read the logits: the class stays their argmax, whatever the probabilities' rounding ties.
      const logits = ops.length - 1;
      ops.push({ kind: 'softmax', name: 'softmax', inputs: [logits], ...planSoftmax(output.scales.length, output.scales[0]!) }, { kind: 'argmax', name: 'argmax', inputs: [logits] });
    } else ops.push({ kind: 'argmax', name: 'argmax' });
  } else if (options.output === 'probabilities') {
    throw new ModelError('MODEL_UNSUPPORTED', `--output probabilities needs at least two outputs to share a softmax, and the model has ${output.scales.length}`);
  }

  const qmodel: QModel = {
    format: QMODEL_FORMAT,
    name: model.name,
    input,
    ops,
    ...(model.labels ? { labels: model.labels } : {}),
    quantization: {
      weightBits,
      activationBits: maxOf(perLayer),
      ...(new Set(perLayer).size > 1 ? { layerActivationBits: perLayer } : {}),
      ...(wideUsed ? { wideActivationBits: wideBits } : {}),
      ranges: calibration.length > 0 ? 'calibration' : 'weights',
      calibrationSamples: calibration.length,
    },
  };
  analyzeBounds(qmodel); // refuses models whose integers could outgrow exact arithmetic
  return { model: qmodel, warnings, layerValues: tensors };
}
