/**
 * Keras layers, as TF.js built them, → float layers. Everything zkinfer cannot prove is refused
 * here, by layer name and option, before any work is done. BatchNormalization folds into the Dense
 * or Conv2D right before it (or becomes a per-channel scale-and-shift when nothing can take it);
 * an activation folds into the layer before it when that layer has none.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelError, quoted } from '../../core/errors.js';
import { type Activation, type Conv2DLayer, type DenseLayer, type FloatLayer, LINEAR, attentionLayerShape, sizeOf } from '../float.js';
import { type Padding4, type Shape3, dilateKernel, resolvePadding } from '../geometry.js';
import type { TableFunction } from '../tables.js';
import { activationLayer, affineLayer, foldAffine, foldAffineForward, leakyRelu, requireSoftmaxLast } from './fold.js';
import { KERAS_EPSILON, normalizationAxes } from './normalization.js';

type Config = Record<string, unknown>;
type Where = { name: string; index: number };

interface Context {
  /** The layer a BatchNorm or activation may fold into: its input's, when nothing else reads that. */
  previous: FloatLayer | undefined;
  /** The (first) input's shape (without batch). */
  shape: number[];
  /** Every input's shape, in order. */
  shapes: number[][];
  layer: tf.layers.Layer;
  config: Config;
  where: Where;
}

const unsupported = (where: Where, message: string) => new ModelError('MODEL_UNSUPPORTED', message, where);

/** Keras activation names zkinfer proves, as activations. */
function activationOf(name: unknown, where: Where): Activation {
  switch (name ?? 'linear') {
    case 'linear':
      return LINEAR;
    case 'relu':
      return { kind: 'relu' };
    case 'relu6':
      return { kind: 'relu', max: 6 };
    case 'softmax':
      return { kind: 'softmax' };
    default: {
      const fn = TABLE_ACTIVATIONS[String(name)];
      if (fn) return { kind: 'table', fn };
      throw unsupported(where, `activation '${String(name)}' is not supported (supported: linear, relu, relu6, softmax, ${Object.keys(TABLE_ACTIVATIONS).join(', ')}; and the ReLU, LeakyReLU and ELU layers)`);
    }
  }
}

/** TF.js's activations proven as table lookups (model/tables.ts), with TF.js's parameters. */
const TABLE_ACTIVATIONS: Record<string, TableFunction> = {
  sigmoid: { name: 'sigmoid' },
  tanh: { name: 'tanh' },
  gelu: { name: 'gelu' },
  gelu_new: { name: 'geluTanh' },
  swish: { name: 'silu' },
  hardSigmoid: { name: 'hardSigmoid', alpha: 0.2, beta: 0.5 },
  elu: { name: 'elu', alpha: 1 },
  softplus: { name: 'softplus' },
};

/** A 2-D layer's window option ([rows, columns]; one number for both), or a 1-D layer's ([1, n]: it runs along the columns of a [1, W, C] image). */
function spatialOption(ctx: Context, key: string, axes: 1 | 2, fallback?: unknown): [number, number] {
  const value = ctx.config[key] ?? fallback;
  const v = Array.isArray(value) ? value : new Array<unknown>(axes).fill(value);
  if (v.length !== axes || !v.every((n) => Number.isInteger(n) && (n as number) > 0)) {
    throw new ModelError('MODEL_INVALID', `${key} must be ${axes === 1 ? 'one positive integer' : 'two positive integers'}, found ${quoted(value ?? null)}`, ctx.where);
  }
  return axes === 1 ? [1, v[0] as number] : [v[0] as number, v[1] as number];
}

/**
 * The layer's input as a channels-last image, or a refusal naming what the layer needs: 2-D layers
 * take [height, width, channels], 1-D layers [width, channels], held as the image [1, width, channels].
 */
function image(ctx: Context, className: string, axes: 1 | 2 = 2): Shape3 {
  if (ctx.config.dataFormat !== undefined && ctx.config.dataFormat !== 'channelsLast') {
    throw unsupported(ctx.where, `${className} with dataFormat '${String(ctx.config.dataFormat)}' is not supported (channelsLast only)`);
  }
  if (axes === 1) {
    if (ctx.shape.length !== 2) throw unsupported(ctx.where, `${className} needs a [width, channels] input, found [${ctx.shape}]`);
    return [1, ctx.shape[0], ctx.shape[1]];
  }
  if (ctx.shape.length !== 3) throw unsupported(ctx.where, `${className} needs an [height, width, channels] input, found [${ctx.shape}]`);
  return ctx.shape as Shape3;
}

function paddingMode(ctx: Context, className: string): 'valid' | 'same' {
  const mode = ctx.config.padding ?? 'valid';
  if (mode === 'causal') {
    // Keras pads (kernel - 1) * dilation zeros on the left; TF.js declares the mode but its Conv1D throws on it, so nothing could check zkinfer's result.
    throw unsupported(ctx.where, `${className} padding 'causal' is not supported: TF.js does not compute it (its Conv1D throws), so there is no reference to prove against; use 'valid' or 'same'`);
  }
  if (mode !== 'valid' && mode !== 'same') throw unsupported(ctx.where, `${className} padding '${String(mode)}' is not supported (valid, same)`);
  return mode;
}

function weightValues(ctx: Context): Float64Array[] {
  return ctx.layer.getWeights().map((w) => Float64Array.from(w.dataSync()));
}

function convLayer(ctx: Context, className: string, options: { axes: 1 | 2; groups: number; outChannels: number; kernelFor: (k: Float64Array, rowLength: number) => Float64Array }): Conv2DLayer {
  const inShape = image(ctx, className, options.axes);
  if (!(Number.isInteger(options.outChannels) && options.outChannels > 0)) throw new ModelError('MODEL_INVALID', `${className} needs a positive whole number of output channels (filters), found ${String(options.outChannels)}`, ctx.where);
  const taps = spatialOption(ctx, 'kernelSize', options.axes);
  const strides = spatialOption(ctx, 'strides', options.axes, 1);
  const dilation = spatialOption(ctx, 'dilationRate', options.axes, 1);
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) throw unsupported(ctx.where, `${className} with both strides and dilationRate above 1 is not supported (TF.js computes neither)`);
  const [weights, bias] = weightValues(ctx);
  const perGroup = inShape[2] / options.groups;
  const rowLength = taps[0] * taps[1] * perGroup;
  if (weights?.length !== rowLength * options.outChannels) {
    throw new ModelError('MODEL_INVALID', `kernel has ${weights?.length ?? 0} weights, expected ${rowLength * options.outChannels}`, ctx.where);
  }
  const dilated = dilateKernel(options.kernelFor(weights, rowLength), options.outChannels, taps, perGroup, dilation);
  const { padding, outHW } = resolvePadding(inShape, dilated.window, strides, paddingMode(ctx, className));
  if (!(outHW[0] > 0 && outHW[1] > 0)) throw new ModelError('MODEL_INVALID', `a ${dilated.window.join('x')} window does not fit its input [${ctx.shape}]`, ctx.where);
  return {
    kind: 'conv2d',
    name: ctx.layer.name,
    inShape,
    outShape: [outHW[0], outHW[1], options.outChannels],
    kernel: dilated.window,
    strides,
    padding,
    groups: options.groups,
    weights: dilated.weights,
    bias: ctx.config.useBias === false || !bias ? new Float64Array(options.outChannels) : bias,
    activation: activationOf(ctx.config.activation, ctx.where),
  };
}

/** Keras [KH][KW][IC][OC] → rows [oc][ky][kx][ic]. */
function transposeConvKernel(k: Float64Array, rowLength: number, outChannels: number): Float64Array {
  const out = new Float64Array(k.length);
  for (let t = 0; t < rowLength; t++) for (let oc = 0; oc < outChannels; oc++) out[oc * rowLength + t] = k[t * outChannels + oc];
  return out;
}

type Converter = (ctx: Context) => FloatLayer | undefined;

const RESHAPES = new Set(['Flatten', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout', 'Reshape']);

const converters: Record<string, Converter> = {
  InputLayer: () => undefined,

  Dense(ctx) {
    if (ctx.shape.length !== 1) throw unsupported(ctx.where, `Dense on a ${ctx.shape.length}-D input [${ctx.shape}] acts on its last axis only; add a Flatten layer before it`);
    const units = Number(ctx.config.units);
    const [kernel, bias] = weightValues(ctx);
    if (kernel.length !== ctx.shape[0] * units) throw new ModelError('MODEL_INVALID', `kernel has ${kernel.length} weights, expected ${ctx.shape[0]}x${units}`, ctx.where);
    const layer: DenseLayer = {
      kind: 'dense',
      name: ctx.layer.name,
      inputSize: ctx.shape[0],
      units,
      kernel,
      bias: ctx.config.useBias === false || !bias ? new Float64Array(units) : bias,
      activation: activationOf(ctx.config.activation, ctx.where),
    };
    return layer;
  },

  Conv1D: (ctx) => plainConv(ctx, 'Conv1D', 1),
  Conv2D: (ctx) => plainConv(ctx, 'Conv2D', 2),

  DepthwiseConv2D(ctx) {
    // TF.js's DepthwiseConv2D ignores its dilation rate (and Keras's does not): no one semantics to prove.
    if (spatialOption(ctx, 'dilationRate', 2, 1).some((d) => d > 1)) throw unsupported(ctx.where, `DepthwiseConv2D dilationRate ${quoted(ctx.config.dilationRate)} is not supported: TF.js ignores it (Keras does not), so the model means two different things`);
    const channels = image(ctx, 'DepthwiseConv2D')[2];
    const multiplier = Number(ctx.config.depthMultiplier ?? 1);
    // Keras [KH][KW][IC][M]: output channel ic * M + m reads input channel ic.
    return convLayer(ctx, 'DepthwiseConv2D', { axes: 2, groups: channels, outChannels: channels * multiplier, kernelFor: (k, rowLength) => transposeConvKernel(k, rowLength, channels * multiplier) });
  },

  AveragePooling1D: (ctx) => poolLayer(ctx, 'AveragePooling1D', 'avg', 1),
  MaxPooling1D: (ctx) => poolLayer(ctx, 'MaxPooling1D', 'max', 1),
  AveragePooling2D: (ctx) => poolLayer(ctx, 'AveragePooling2D', 'avg', 2),
  MaxPooling2D: (ctx) => poolLayer(ctx, 'MaxPooling2D', 'max', 2),
  GlobalAveragePooling1D: (ctx) => globalPoolLayer(ctx, 'GlobalAveragePooling1D', 'avg', 1),
  GlobalMaxPooling1D: (ctx) => globalPoolLayer(ctx, 'GlobalMaxPooling1D', 'max', 1),
  GlobalAveragePooling2D: (ctx) => globalPoolLayer(ctx, 'GlobalAveragePooling2D', 'avg', 2),
  GlobalMaxPooling2D: (ctx) => globalPoolLayer(ctx, 'GlobalMaxPooling2D', 'max', 2),

  ZeroPadding2D(ctx) {
    const inShape = image(ctx, 'ZeroPadding2D');
    const raw = ctx.config.padding;
    // A number, [rows, columns] (both sides alike), or [[top, bottom], [left, right]].
    const both = Array.isArray(raw) ? (raw as unknown[]) : [raw, raw];
    const rows = both.map((p) => (Array.isArray(p) ? (p as unknown[]) : [p, p]));
    const padding = [rows[0]?.[0], rows[1]?.[0], rows[0]?.[1], rows[1]?.[1]] as Padding4;
    if (rows.length !== 2 || rows.some((r) => r.length !== 2) || !padding.every((p) => Number.isInteger(p) && p >= 0)) {
      throw new ModelError('MODEL_INVALID', `padding must be non-negative integers, found ${quoted(raw ?? null)}`, ctx.where);
    }
    return { kind: 'pad', name: ctx.layer.name, inShape, outShape: [inShape[0] + padding[0] + padding[2], inShape[1] + padding[1] + padding[3], inShape[2]], padding };
  },

  BatchNormalization(ctx) {
    const axis = Number(ctx.config.axis ?? -1);
    if (axis !== -1 && axis !== ctx.shape.length) throw unsupported(ctx.where, `BatchNormalization over axis ${axis} is not supported (the channel axis, -1, only)`);
    const channels = ctx.shape[ctx.shape.length - 1];
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((base) => namedWeight(ctx, base));
    if (!mean || !variance) throw new ModelError('MODEL_INVALID', 'has no moving mean or variance', ctx.where);
    const epsilon = Number(ctx.config.epsilon ?? 1e-3);
    const a = Float64Array.from({ length: channels }, (_, j) => (gamma ? gamma[j] : 1) / Math.sqrt(variance[j] + epsilon));
    const c = Float64Array.from({ length: channels }, (_, j) => (beta ? beta[j] : 0) - mean[j] * a[j]);
    if (foldAffine(ctx.previous, a, c)) return undefined;
    return affineLayer(ctx.layer.name, ctx.shape.length === 3 ? (ctx.shape as Shape3) : [1, 1, channels], a, c);
  },

  LayerNormalization(ctx) {
    // Over the last axis only (Keras's default, and what transformers use): one row per position.
    const rank = ctx.shape.length;
    const axes = (Array.isArray(ctx.config.axis) ? ctx.config.axis : [ctx.config.axis ?? -1]).map((a) => Number(a));
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank)) throw unsupported(ctx.where, `LayerNormalization over axis ${quoted(ctx.config.axis)} is not supported (the last axis, -1, only)`);
    const size = ctx.shape[rank - 1]!;
    const epsilon = Number(ctx.config.epsilon ?? 1e-3);
    if (!(epsilon >= 0 && Number.isFinite(epsilon))) throw new ModelError('MODEL_INVALID', `LayerNormalization epsilon must be a non-negative number, found ${quoted(ctx.config.epsilon)}`, ctx.where);
    const [gamma, beta] = [ctx.config.scale === false ? undefined : namedWeight(ctx, 'gamma'), ctx.config.center === false ? undefined : namedWeight(ctx, 'beta')].map((w) => (w ? Float64Array.from(w) : undefined));
    return { kind: 'norm', name: ctx.layer.name, mode: 'layer', size, epsilon, ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}) };
  },

  Rescaling(ctx) {
    // y = scale * x + offset, as TF.js computes it: numbers, or one per channel (broadcast over the last axis).
    const channels = ctx.shape.at(-1) ?? 1;
    const perChannel = (key: string, fallback?: number) => {
      const value = ctx.config[key] ?? fallback;
      const values = typeof value === 'number' ? new Array<number>(channels).fill(value) : value;
      if (!Array.isArray(values) || values.length !== channels || !values.every(Number.isFinite)) {
        throw new ModelError('MODEL_INVALID', `Rescaling ${key} must be a finite number or ${channels} of them (one per channel), found ${quoted(value ?? null)}`, ctx.where);
      }
      return Float64Array.from(values as number[]);
    };
    const scale = perChannel('scale');
    const offset = perChannel('offset', 0);
    return affineOf(ctx, (e) => scale[e % channels], (e) => offset[e % channels]);
  },

  Normalization(ctx) {
    const axes = normalizationAxes(ctx.config.axis, ctx.shape.length);
    if (typeof axes === 'string') throw new ModelError('MODEL_INVALID', `Normalization ${axes}`, ctx.where);
    const kept = axes.map((a) => ctx.shape[a - 1]);
    const size = sizeOf(kept);
    const statistic = (key: string): Float64Array => {
      const value = ctx.config[key] ?? namedWeight(ctx, key);
      const values = typeof value === 'number' ? new Array<number>(size).fill(value) : value ? Array.from(value as ArrayLike<number>) : undefined;
      if (!values || values.length !== size || !values.every(Number.isFinite) || (key === 'variance' && values.some((v) => v < 0))) {
        throw new ModelError('MODEL_INVALID', `Normalization ${key} must be ${key === 'variance' ? 'non-negative ' : ''}finite numbers, ${size} of them (one per index of axes [${axes}]), found ${value === undefined ? 'none' : quoted(value instanceof Float32Array ? Array.from(value) : value)}`, ctx.where);
      }
      return Float64Array.from(values);
    };
    const mean = statistic('mean');
    const deviation = statistic('variance').map((v) => Math.max(Math.sqrt(v), KERAS_EPSILON));
    const invert = ctx.config.invert ?? false;
    if (typeof invert !== 'boolean') throw new ModelError('MODEL_INVALID', `Normalization invert must be true or false, found ${quoted(invert)}`, ctx.where);
    // Element e's statistics: its coordinates on the kept axes, row-major.
    const strides = ctx.shape.map((_, a) => sizeOf(ctx.shape.slice(a + 1)));
    const at = (e: number) => axes.reduce((index, a, k) => index * kept[k] + (Math.floor(e / strides[a - 1]) % ctx.shape[a - 1]), 0);
    return invert ? affineOf(ctx, (e) => deviation[at(e)], (e) => mean[at(e)]) : affineOf(ctx, (e) => 1 / deviation[at(e)], (e) => -mean[at(e)] / deviation[at(e)]);
  },

  Activation: (ctx) => activationLayerOf(ctx, activationOf(ctx.config.activation, ctx.where)),
  Softmax: (ctx) => activationLayerOf(ctx, { kind: 'softmax' }),
  ReLU(ctx) {
    const { maxValue, negativeSlope, threshold } = ctx.config;
    if ((threshold ?? 0) !== 0) throw unsupported(ctx.where, `ReLU threshold ${String(threshold)} is not supported (0 only)`);
    if ((negativeSlope ?? 0) !== 0) return activationLayerOf(ctx, leakyRelu(Number(negativeSlope), (m) => unsupported(ctx.where, m)));
    return activationLayerOf(ctx, maxValue === undefined || maxValue === null ? { kind: 'relu' } : { kind: 'relu', max: Number(maxValue) });
  },
  LeakyReLU: (ctx) => activationLayerOf(ctx, leakyRelu(Number(ctx.config.alpha ?? 0.3), (m) => unsupported(ctx.where, m))),
  ELU: (ctx) => activationLayerOf(ctx, { kind: 'table', fn: { name: 'elu', alpha: Number(ctx.config.alpha ?? 1) } }),
};

/** Conv1D, Conv2D: every input channel to every filter (Keras's groups only at 1: TF.js has none). */
function plainConv(ctx: Context, className: string, axes: 1 | 2): Conv2DLayer {
  if (ctx.config.groups !== undefined && ctx.config.groups !== 1) throw unsupported(ctx.where, `${className} groups ${String(ctx.config.groups)} is not supported (TF.js has no grouped convolution${axes === 2 ? '; use DepthwiseConv2D' : ''})`);
  const filters = Number(ctx.config.filters);
  return convLayer(ctx, className, { axes, groups: 1, outChannels: filters, kernelFor: (k, rowLength) => transposeConvKernel(k, rowLength, filters) });
}

function poolLayer(ctx: Context, className: string, op: 'avg' | 'max', axes: 1 | 2): FloatLayer {
  const inShape = image(ctx, className, axes);
  const pool = spatialOption(ctx, 'poolSize', axes, axes === 1 ? 2 : undefined);
  const strides = spatialOption(ctx, 'strides', axes, ctx.config.poolSize ?? pool[1]);
  const { padding, outHW } = resolvePadding(inShape, pool, strides, paddingMode(ctx, className));
  if (!(outHW[0] > 0 && outHW[1] > 0)) throw new ModelError('MODEL_INVALID', `a ${pool.join('x')} pool does not fit its input [${ctx.shape}]`, ctx.where);
  return { kind: 'pool', name: ctx.layer.name, op, inShape, outShape: [outHW[0], outHW[1], inShape[2]], pool, strides, padding };
}

/** One value per channel: the pool's window is the whole image (or sequence). */
function globalPoolLayer(ctx: Context, className: string, op: 'avg' | 'max', axes: 1 | 2): FloatLayer {
  const inShape = image(ctx, className, axes);
  return { kind: 'pool', name: ctx.layer.name, op, inShape, outShape: [1, 1, inShape[2]], pool: [inShape[0], inShape[1]], strides: [1, 1], padding: [0, 0, 0, 0] };
}

/** A layer's weight by its Keras name: TF.js makes variable names unique across a process ('moving_mean_1'), so match the base name. */
function namedWeight(ctx: Context, base: string): Float32Array | undefined {
  return ctx.layer.weights.find((w) => new RegExp(`/${base}(_\\d+)?$`).test(w.name))?.read().dataSync() as Float32Array | undefined;
}

/**
 * y[e] = a(e) * x[e] + c(e), element by element: folded into the Dense or Conv2D before it when it
 * depends on the channel only and that layer has no activation, else an affine layer (which
 * foldAffineForward folds into the layer after it where it can).
 */
function affineOf(ctx: Context, a: (e: number) => number, c: (e: number) => number): FloatLayer | undefined {
  const size = sizeOf(ctx.shape);
  const channels = ctx.shape.at(-1) ?? 1;
  const [multiplier, offset] = [a, c].map((f) => Float64Array.from({ length: size }, (_, e) => f(e)));
  const perChannel = [multiplier, offset].every((v) => v.every((value, e) => value === v[e % channels]));
  if (perChannel && foldAffine(ctx.previous, multiplier.slice(0, channels), offset.slice(0, channels))) return undefined;
  return { kind: 'affine', name: ctx.layer.name, multiplier, offset };
}

function activationLayerOf(ctx: Context, activation: Activation): FloatLayer | undefined {
  return activationLayer(ctx.previous, ctx.layer.name, activation);
}

/** Add, Average: a sum of same-shaped tensors with these coefficients (no broadcasting). */
function sumLayer(ctx: Context, className: string, coefficients: number[]): FloatLayer {
  if (ctx.shapes.some((s) => JSON.stringify(s) !== JSON.stringify(ctx.shape))) throw unsupported(ctx.where, `${className} of tensors of different shapes (${ctx.shapes.map((s) => `[${s}]`).join(', ')}) broadcasts, which is not supported: give both inputs the same shape`);
  return { kind: 'add', name: ctx.layer.name, coefficients, activation: LINEAR };
}

const merges: Record<string, Converter> = {
  Add: (ctx) => sumLayer(ctx, 'Add', ctx.shapes.map(() => 1)),
  Average: (ctx) => sumLayer(ctx, 'Average', ctx.shapes.map(() => 1 / ctx.shapes.length)),
  Multiply(ctx) {
    if (ctx.shapes.length !== 2) throw unsupported(ctx.where, `Multiply of ${ctx.shapes.length} tensors is not supported (two, one product each)`);
    sumLayer(ctx, 'Multiply', [1, 1]); // the same shape check
    return { kind: 'mul', name: ctx.layer.name };
  },
  Concatenate(ctx) {
    const rank = ctx.shape.length;
    const axis = Number(ctx.config.axis ?? -1);
    if ((rank !== 1 && rank !== 3) || (axis !== -1 && axis !== rank)) throw unsupported(ctx.where, `Concatenate over axis ${axis} of rank-${rank} tensors is not supported (the last axis of [n] or [height, width, channels] tensors)`);
    const inShapes = ctx.shapes.map((s): Shape3 => (rank === 3 ? (s as Shape3) : [1, 1, s[0]]));
    if (inShapes.some((s) => s.length !== 3 || s[0] !== inShapes[0][0] || s[1] !== inShapes[0][1])) throw unsupported(ctx.where, `Concatenate of [${ctx.shapes.map((s) => `[${s}]`).join(', ')}]: every input needs the same height and width`);
    return { kind: 'concat', name: ctx.layer.name, inShapes, outShape: [inShapes[0][0], inShapes[0][1], inShapes.reduce((sum, s) => sum + s[2], 0)] };
  },
};

/** The output size zkinfer computed for a layer, to check against TF.js's own shape. */
function computedSize(layer: FloatLayer, shape: number[]): number {
  switch (layer.kind) {
    case 'dense':
      return layer.units;
    case 'reshape':
      return sizeOf(layer.outputShape);
    case 'activation':
    case 'add':
    case 'affine':
    case 'mul':
    case 'norm':
      return sizeOf(shape);
    case 'matmul':
    case 'transpose':
    case 'softmax':
      return sizeOf(attentionLayerShape(layer, shape));
    default:
      return sizeOf(layer.outShape);
  }
}

/**
 * Convert TF.js layers to float layers, and the shape of what the last one outputs. `inbound[k]`
 * lists the layers layer k reads (-1: the model's input); by default each reads the one before.
 */
export function convertLayers(layers: tf.layers.Layer[], inputShape: number[], inbound?: number[][]): { layers: FloatLayer[]; outputShape: number[] } {
  const out: FloatLayer[] = [];
  const from = (index: number) => inbound?.[index] ?? [index - 1];
  const readers = new Map<number, number>();
  layers.forEach((_, index) => from(index).forEach((i) => readers.set(i, (readers.get(i) ?? 0) + 1)));
  // Each TF.js layer's value: the float layer holding it (-1: the input) and its shape.
  const at: number[] = [];
  const shapes: number[][] = [];
  let shape = inputShape;
  layers.forEach((layer, index) => {
    const className = layer.getClassName();
    const where = { name: layer.name, index };
    const sources = from(index);
    const inputs = sources.length === 0 ? [-1] : sources.map((i) => (i < 0 ? -1 : at[i]));
    const inShapes = sources.length === 0 ? [inputShape] : sources.map((i) => (i < 0 ? inputShape : shapes[i]));
    shape = inShapes[0];
    // Folding into the input's layer changes its value for every reader: only when this layer is its one reader.
    const foldable = sources.length === 1 && inputs[0] >= 0 && inputs[0] === out.length - 1 && readers.get(sources[0]) === 1;
    let converted: FloatLayer | undefined;
    if (RESHAPES.has(className)) {
      const next = (layer.outputShape as (number | null)[]).slice(1) as number[];
      if (sizeOf(next) !== sizeOf(shape)) throw new ModelError('MODEL_INVALID', `${className} changes the size from [${shape}] to [${next}]`, where);
      converted = { kind: 'reshape', name: layer.name, className, outputShape: next };
    } else {
      const convert = converters[className] ?? merges[className];
      if (!convert) {
        throw unsupported(where, `layer type ${className} is not supported yet (supported: ${[...Object.keys(converters).filter((k) => k !== 'InputLayer'), ...Object.keys(merges), 'Flatten', 'Reshape', 'Dropout'].join(', ')})`);
      }
      if (inputs.length > 1 && !merges[className]) throw unsupported(where, `${className} with ${inputs.length} inputs is not supported (one)`);
      converted = convert({ previous: foldable ? out[out.length - 1] : undefined, shape, shapes: inShapes, layer, config: layer.getConfig() as Config, where });
    }
    const tfShape = (layer.outputShape as (number | null)[]).slice(1) as number[];
    if (converted) {
      // TF.js's shape is authoritative (a global pool gives [C], not [1, 1, C]); ours must agree in size.
      if (computedSize(converted, shape) !== sizeOf(tfShape)) {
        throw new ModelError('MODEL_INVALID', `zkinfer computes ${computedSize(converted, shape)} outputs where TF.js has [${tfShape}]`, where);
      }
      out.push(inputs.length === 1 && inputs[0] === out.length - 1 ? converted : { ...converted, inputs });
      at.push(out.length - 1);
    } else at.push(inputs[0]);
    shapes.push(tfShape);
    shape = tfShape;
  });
  requireSoftmaxLast(out);
  return { layers: foldAffineForward(out), outputShape: shape };
}
