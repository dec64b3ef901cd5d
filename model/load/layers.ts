/**
 * Keras layers, as TF.js built them, → float layers. Everything zkinfer cannot prove is refused
 * here, by layer name and option, before any work is done. BatchNormalization folds into the Dense
 * or Conv2D right before it (or becomes a per-channel scale-and-shift when nothing can take it);
 * an activation folds into the layer before it when that layer has none.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelError } from '../../core/errors.js';
import { type Activation, type Conv2DLayer, type DenseLayer, type FloatLayer, LINEAR, sizeOf } from '../float.js';
import { type Padding4, type Shape3, resolvePadding } from '../geometry.js';
import type { TableFunction } from '../tables.js';
import { activationLayer, affineLayer, foldAffine, leakyRelu, requireSoftmaxLast } from './fold.js';

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

function pair(value: unknown, what: string, where: Where): [number, number] {
  const v = Array.isArray(value) ? value : [value, value];
  if (v.length !== 2 || !v.every((n) => Number.isInteger(n) && (n as number) > 0)) throw new ModelError('MODEL_INVALID', `${what} must be two positive integers`, where);
  return [v[0] as number, v[1] as number];
}

/** A rank-3 channels-last input shape, or a refusal naming what the layer needs. */
function image(ctx: Context, className: string): Shape3 {
  if (ctx.config.dataFormat !== undefined && ctx.config.dataFormat !== 'channelsLast') {
    throw unsupported(ctx.where, `${className} with dataFormat '${String(ctx.config.dataFormat)}' is not supported (channelsLast only)`);
  }
  if (ctx.shape.length !== 3) throw unsupported(ctx.where, `${className} needs an [height, width, channels] input, found [${ctx.shape}]`);
  return ctx.shape as Shape3;
}

function paddingMode(ctx: Context, className: string): 'valid' | 'same' {
  const mode = ctx.config.padding ?? 'valid';
  if (mode !== 'valid' && mode !== 'same') throw unsupported(ctx.where, `${className} padding '${String(mode)}' is not supported (valid, same)`);
  return mode;
}

function noDilation(ctx: Context, className: string): void {
  const rate = ctx.config.dilationRate;
  if (rate !== undefined && pair(rate, 'dilationRate', ctx.where).some((r) => r !== 1)) {
    throw unsupported(ctx.where, `${className} dilationRate [${String(rate)}] is not supported (1 only)`);
  }
}

function weightValues(ctx: Context): Float64Array[] {
  return ctx.layer.getWeights().map((w) => Float64Array.from(w.dataSync()));
}

function convLayer(ctx: Context, className: string, options: { groups: number; outChannels: number; kernelFor: (k: Float64Array, rowLength: number) => Float64Array }): Conv2DLayer {
  const inShape = image(ctx, className);
  noDilation(ctx, className);
  const kernel = pair(ctx.config.kernelSize, 'kernelSize', ctx.where);
  const strides = pair(ctx.config.strides ?? 1, 'strides', ctx.where);
  const { padding, outHW } = resolvePadding(inShape, kernel, strides, paddingMode(ctx, className));
  const [weights, bias] = weightValues(ctx);
  const rowLength = kernel[0] * kernel[1] * (inShape[2] / options.groups);
  if (weights.length !== rowLength * options.outChannels) {
    throw new ModelError('MODEL_INVALID', `kernel has ${weights.length} weights, expected ${rowLength * options.outChannels}`, ctx.where);
  }
  return {
    kind: 'conv2d',
    name: ctx.layer.name,
    inShape,
    outShape: [outHW[0], outHW[1], options.outChannels],
    kernel,
    strides,
    padding,
    groups: options.groups,
    weights: options.kernelFor(weights, rowLength),
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

  Conv2D(ctx) {
    if (ctx.config.groups !== undefined && ctx.config.groups !== 1) throw unsupported(ctx.where, `Conv2D groups ${String(ctx.config.groups)} is not supported (use DepthwiseConv2D)`);
    const filters = Number(ctx.config.filters);
    return convLayer(ctx, 'Conv2D', { groups: 1, outChannels: filters, kernelFor: (k, rowLength) => transposeConvKernel(k, rowLength, filters) });
  },

  DepthwiseConv2D(ctx) {
    const channels = image(ctx, 'DepthwiseConv2D')[2];
    const multiplier = Number(ctx.config.depthMultiplier ?? 1);
    // Keras [KH][KW][IC][M]: output channel ic * M + m reads input channel ic.
    return convLayer(ctx, 'DepthwiseConv2D', { groups: channels, outChannels: channels * multiplier, kernelFor: (k, rowLength) => transposeConvKernel(k, rowLength, channels * multiplier) });
  },

  AveragePooling2D: (ctx) => poolLayer(ctx, 'AveragePooling2D', 'avg', false),
  MaxPooling2D: (ctx) => poolLayer(ctx, 'MaxPooling2D', 'max', false),
  GlobalAveragePooling2D: (ctx) => poolLayer(ctx, 'GlobalAveragePooling2D', 'avg', true),
  GlobalMaxPooling2D: (ctx) => poolLayer(ctx, 'GlobalMaxPooling2D', 'max', true),

  ZeroPadding2D(ctx) {
    const inShape = image(ctx, 'ZeroPadding2D');
    const raw = ctx.config.padding;
    const rows = Array.isArray(raw) && Array.isArray(raw[0]) ? (raw as number[][]) : [pair(raw, 'padding', ctx.where), pair(raw, 'padding', ctx.where)].map((p, i) => (i === 0 ? [p[0], p[0]] : [p[1], p[1]]));
    const padding: Padding4 = [rows[0][0], rows[1][0], rows[0][1], rows[1][1]];
    if (!padding.every((p) => Number.isInteger(p) && p >= 0)) throw new ModelError('MODEL_INVALID', 'padding must be non-negative integers', ctx.where);
    return { kind: 'pad', name: ctx.layer.name, inShape, outShape: [inShape[0] + padding[0] + padding[2], inShape[1] + padding[1] + padding[3], inShape[2]], padding };
  },

  BatchNormalization(ctx) {
    const axis = Number(ctx.config.axis ?? -1);
    if (axis !== -1 && axis !== ctx.shape.length) throw unsupported(ctx.where, `BatchNormalization over axis ${axis} is not supported (the channel axis, -1, only)`);
    const channels = ctx.shape[ctx.shape.length - 1];
    // TF.js makes variable names unique across a process ('moving_mean_1'): match the base name.
    const named = (base: string) => ctx.layer.weights.find((w) => new RegExp(`/${base}(_\\d+)?$`).test(w.name))?.read().dataSync();
    const gamma = named('gamma');
    const beta = named('beta');
    const mean = named('moving_mean');
    const variance = named('moving_variance');
    if (!mean || !variance) throw new ModelError('MODEL_INVALID', 'has no moving mean or variance', ctx.where);
    const epsilon = Number(ctx.config.epsilon ?? 1e-3);
    const a = Float64Array.from({ length: channels }, (_, j) => (gamma ? gamma[j] : 1) / Math.sqrt(variance[j] + epsilon));
    const c = Float64Array.from({ length: channels }, (_, j) => (beta ? beta[j] : 0) - mean[j] * a[j]);
    if (foldAffine(ctx.previous, a, c)) return undefined;
    return affineLayer(ctx.layer.name, ctx.shape.length === 3 ? (ctx.shape as Shape3) : [1, 1, channels], a, c);
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

function poolLayer(ctx: Context, className: string, op: 'avg' | 'max', global: boolean): FloatLayer {
  const inShape = image(ctx, className);
  if (global) {
    return { kind: 'pool', name: ctx.layer.name, op, inShape, outShape: [1, 1, inShape[2]], pool: [inShape[0], inShape[1]], strides: [1, 1], padding: [0, 0, 0, 0] };
  }
  const pool = pair(ctx.config.poolSize, 'poolSize', ctx.where);
  const strides = pair(ctx.config.strides ?? pool, 'strides', ctx.where);
  const { padding, outHW } = resolvePadding(inShape, pool, strides, paddingMode(ctx, className));
  return { kind: 'pool', name: ctx.layer.name, op, inShape, outShape: [outHW[0], outHW[1], inShape[2]], pool, strides, padding };
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
      return sizeOf(shape);
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
  return { layers: out, outputShape: shape };
}
