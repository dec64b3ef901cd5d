/**
 * The float graph: a trained model as plain data, independent of TF.js. The loader (model/load)
 * produces it; the quantizer consumes it. `runFloat` evaluates it in float64, which is what
 * calibration and fidelity measurements use; tests hold it to TF.js's own predictions.
 * Tensors are flat, row-major, channels last. Layers form a graph in topological order, as the
 * QModel's ops do (model/ir.ts): `inputs` names earlier layers (-1: the model's input), by default
 * the layer before.
 */
import { type ConvGeometry, type Padding4, type Shape3, convTermTable, poolWindowTable } from './geometry.js';
import { transposeSources } from './ir.js';
import { type NormMode, floatNorm } from './norm.js';
import { floatSoftmax } from './softmax.js';
import { type TableFunction, evaluateTable } from './tables.js';

/**
 * Activations zkinfer proves. ReLU with `max` is relu6 / clipped ReLU. Table activations (sigmoid,
 * tanh, GELU, ...: model/tables.ts) are proven as table lookups wherever they are. Softmax as an
 * activation only ends a model and is left out of the proof: it is proven as the argmax (a
 * softmax inside the model, attention's, is a SoftmaxLayer).
 */
/** leakyRelu: one slope, or one per element of the layer's output (PReLU's slope per channel). */
export type Activation = { kind: 'linear' } | { kind: 'relu'; max?: number } | { kind: 'leakyRelu'; alpha: number | readonly number[] } | { kind: 'table'; fn: TableFunction } | { kind: 'softmax' };

/** A leaky ReLU's slope at element j. */
export function leakySlope(activation: { alpha: number | readonly number[] }, j: number): number {
  return typeof activation.alpha === 'number' ? activation.alpha : activation.alpha[j]!;
}

export const LINEAR: Activation = { kind: 'linear' };

/** Where a layer's input(s) come from: indices of earlier layers, -1 the model's input; absent, the layer before. */
interface Inputs {
  inputs?: number[];
}

export interface DenseLayer extends Inputs, Inputs {
  kind: 'dense';
  name: string;
  inputSize: number;
  units: number;
  /** Keras layout: kernel[i * units + j] is the weight from input i to unit j. */
  kernel: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

/** A 2-D convolution; depthwise convolutions are grouped ones (groups = input channels). */
export interface Conv2DLayer extends ConvGeometry, Inputs {
  kind: 'conv2d';
  name: string;
  /** weights[oc][ky][kx][g], flat: row oc is the terms of convTerms(...) in order. */
  weights: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

export interface PoolLayer extends Inputs, Inputs {
  kind: 'pool';
  name: string;
  op: 'avg' | 'max';
  inShape: Shape3;
  /** [OH, OW, C]; global pools have OH = OW = 1. */
  outShape: Shape3;
  pool: [number, number];
  strides: [number, number];
  padding: Padding4;
}

/** ZeroPadding2D. */
export interface PadLayer extends Inputs, Inputs {
  kind: 'pad';
  name: string;
  inShape: Shape3;
  outShape: Shape3;
  padding: Padding4;
}

/** An activation that could not be folded into the layer before it. */
export interface ActivationLayer extends Inputs, Inputs {
  kind: 'activation';
  name: string;
  activation: Activation;
}

/** Flatten and other layers that only reshape a row-major tensor (Dropout at inference too). */
export interface ReshapeLayer extends Inputs, Inputs {
  kind: 'reshape';
  name: string;
  /** The Keras class it came from, for messages. */
  className: string;
  outputShape: number[];
}

/** y = sum_i coefficients[i] * x_i (Add: all 1; Sub: 1, -1; Average: 1/n) of same-shaped tensors, then the activation. */
export interface AddLayer extends Inputs {
  kind: 'add';
  name: string;
  coefficients: number[];
  activation: Activation;
}

/** y[j] = multiplier[j] * x[j] + offset[j]: a Mul, Add or Sub by constants (Rescaling, Normalization). */
export interface AffineLayer extends Inputs {
  kind: 'affine';
  name: string;
  multiplier: Float64Array;
  offset: Float64Array;
}

/** Channels side by side (model/ir.ts's ConcatOp): flat tensors are [1, 1, n]. */
export interface ConcatLayer extends Inputs {
  kind: 'concat';
  name: string;
  inShapes: Shape3[];
  outShape: Shape3;
}

/** y[j] = a[j] * b[j] of two same-shaped tensors. */
export interface MulLayer extends Inputs {
  kind: 'mul';
  name: string;
}

/**
 * LayerNormalization (mode 'layer') or RMSNorm ('rms') over the last axis, of `size` values:
 * y = gamma * (x - mean) / sqrt(var + epsilon) + beta (no mean for rms), gamma and beta per index
 * of that axis (absent: 1 and 0).
 */
export interface NormLayer extends Inputs {
  kind: 'norm';
  name: string;
  mode: NormMode;
  size: number;
  epsilon: number;
  gamma?: Float64Array;
  beta?: Float64Array;
}

/** A batched product of two tensors, [batch, rows, inner] x [batch, inner, cols] (model/ir.ts's MatMulOp). */
export interface MatMulLayer extends Inputs {
  kind: 'matmul';
  name: string;
  batch: number;
  rows: number;
  inner: number;
  cols: number;
}

/** Axes permuted: output axis a is input axis perm[a] (model/ir.ts's TransposeOp). */
export interface TransposeLayer extends Inputs {
  kind: 'transpose';
  name: string;
  inShape: number[];
  perm: number[];
}

/** Softmax along rows of `size` values (the last axis) inside a model: attention's weights. */
export interface SoftmaxLayer extends Inputs {
  kind: 'softmax';
  name: string;
  size: number;
}

export type FloatLayer = DenseLayer | Conv2DLayer | PoolLayer | PadLayer | ActivationLayer | ReshapeLayer | AddLayer | AffineLayer | ConcatLayer | MulLayer | NormLayer | MatMulLayer | TransposeLayer | SoftmaxLayer;

export interface FloatModel {
  name: string;
  /** Shape of one input, without the batch dimension. */
  inputShape: number[];
  layers: FloatLayer[];
  /** Class names, when the model comes with them. */
  labels?: string[];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The output shape of a matmul, transpose or row softmax layer, given its (first) input's. */
export function attentionLayerShape(layer: MatMulLayer | TransposeLayer | SoftmaxLayer, shape: number[]): number[] {
  if (layer.kind === 'matmul') return [layer.batch, layer.rows, layer.cols];
  return layer.kind === 'transpose' ? layer.perm.map((a) => layer.inShape[a]!) : shape;
}

export function applyActivation(values: Float64Array, activation: Activation): Float64Array {
  switch (activation.kind) {
    case 'relu': {
      const max = activation.max ?? Infinity;
      return values.map((v) => Math.min(Math.max(0, v), max));
    }
    case 'leakyRelu':
      return values.map((v, j) => (v >= 0 ? v : leakySlope(activation, j) * v));
    case 'table':
      return values.map((v) => evaluateTable(activation.fn, v));
    default:
      return values; // linear; a final softmax is left out: the proof shows the logits
  }
}

/** One layer's float semantics: x is its (first) input, `all` every input in order. */
type FloatStep<K extends FloatLayer['kind']> = (layer: Extract<FloatLayer, { kind: K }>, x: Float64Array, all: Float64Array[]) => Float64Array;

const floatSteps: { [K in FloatLayer['kind']]: FloatStep<K> } = {
  dense(layer, x) {
    const y = Float64Array.from(layer.bias);
    for (let i = 0; i < layer.inputSize; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * layer.units;
      for (let j = 0; j < layer.units; j++) y[j] += xi * layer.kernel[row + j];
    }
    return applyActivation(y, layer.activation);
  },
  conv2d(layer, x) {
    const { table, rowLength } = convTermTable(layer);
    const channels = layer.outShape[2];
    const y = new Float64Array(table.length / rowLength);
    for (let j = 0; j < y.length; j++) {
      const c = j % channels;
      let acc = layer.bias[c];
      for (let t = 0, at = j * rowLength, w = c * rowLength; t < rowLength; t++, at++, w++) {
        const input = table[at];
        if (input >= 0) acc += layer.weights[w] * x[input];
      }
      y[j] = acc;
    }
    return applyActivation(y, layer.activation);
  },
  pool(layer, x) {
    const channels = layer.outShape[2];
    const windows = poolWindowTable(layer);
    const y = new Float64Array(windows.length * channels);
    windows.forEach((positions, position) => {
      for (let c = 0; c < channels; c++) {
        let best = -Infinity;
        let sum = 0;
        for (const p of positions) {
          best = Math.max(best, x[p + c]);
          sum += x[p + c];
        }
        y[position * channels + c] = layer.op === 'max' ? best : sum / positions.length;
      }
    });
    return y;
  },
  pad(layer, x) {
    const [h, w, c] = layer.inShape;
    const [, ow] = layer.outShape;
    const y = new Float64Array(sizeOf(layer.outShape));
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        for (let ch = 0; ch < c; ch++) y[((iy + layer.padding[0]) * ow + ix + layer.padding[1]) * c + ch] = x[(iy * w + ix) * c + ch];
      }
    }
    return y;
  },
  activation: (layer, x) => applyActivation(x, layer.activation),
  reshape: (_layer, x) => x,
  add: (layer, x, all) => applyActivation(x.map((_, j) => all.reduce((sum, input, i) => sum + layer.coefficients[i] * input[j], 0)), layer.activation),
  affine: (layer, x) => x.map((v, j) => layer.multiplier[j] * v + layer.offset[j]),
  concat: (layer, _x, all) => runConcat(layer, all),
  mul: (_layer, a, [, b]) => a.map((v, j) => v * b[j]),
  matmul(layer, a, [, b]) {
    const { batch, rows, inner, cols } = layer;
    const y = new Float64Array(batch * rows * cols);
    for (let h = 0; h < batch; h++) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          let acc = 0;
          for (let t = 0; t < inner; t++) acc += a[(h * rows + i) * inner + t] * b[(h * inner + t) * cols + j];
          y[(h * rows + i) * cols + j] = acc;
        }
      }
    }
    return y;
  },
  transpose: (layer, x) => Float64Array.from(transposeSources(layer), (i) => x[i]),
  softmax(layer, x) {
    const y = new Float64Array(x.length);
    for (let at = 0; at < x.length; at += layer.size) y.set(floatSoftmax(x.subarray(at, at + layer.size)), at);
    return y;
  },
  norm(layer, x) {
    const y = new Float64Array(x.length);
    for (let at = 0; at < x.length; at += layer.size) {
      floatNorm(layer.mode, x.subarray(at, at + layer.size), layer.epsilon).forEach((z, i) => (y[at + i] = (layer.gamma?.[i] ?? 1) * z + (layer.beta?.[i] ?? 0)));
    }
    return y;
  },
};

/** The inputs' channels side by side, position by position. */
export function runConcat(layer: Pick<ConcatLayer, 'inShapes' | 'outShape'>, inputs: Float64Array[]): Float64Array {
  const [h, w] = layer.outShape;
  const y: number[] = [];
  for (let p = 0; p < h * w; p++) layer.inShapes.forEach((shape, i) => y.push(...inputs[i].subarray(p * shape[2], (p + 1) * shape[2])));
  return Float64Array.from(y);
}

/** The layers whose outputs layer k reads (-1: the model's input). */
export function layerInputs(model: FloatModel, k: number): number[] {
  return model.layers[k].inputs ?? [k - 1];
}

/** Run `step` over the layers in order, each given its inputs' values: every layer's value (as ir.ts's walkOps does for ops). */
export function walkLayers<T>(model: FloatModel, input: T, step: (layer: FloatLayer, inputs: T[], k: number) => T): T[] {
  const values: T[] = [];
  model.layers.forEach((layer, k) => values.push(step(layer, layerInputs(model, k).map((i) => (i < 0 ? input : values[i])), k)));
  return values;
}

export interface FloatTrace {
  /** The output of every layer, after its activation (softmax excepted: see logits). */
  layerOutputs: Float64Array[];
  /** The final layer's values before a softmax: what the circuit's logits approximate. */
  logits: Float64Array;
}

/** One layer's output from its inputs' values (in layerInputs' order). */
export function runLayer(layer: FloatLayer, inputs: Float64Array[]): Float64Array {
  return (floatSteps[layer.kind] as FloatStep<FloatLayer['kind']>)(layer, inputs[0]!, inputs);
}

/** Evaluate the float graph on one flat input. A final softmax is left out: it does not change the argmax. */
export function runFloat(model: FloatModel, input: ArrayLike<number>): FloatTrace {
  const layerOutputs = walkLayers<Float64Array>(model, Float64Array.from(input), (layer, inputs) => runLayer(layer, inputs));
  return { layerOutputs, logits: layerOutputs[layerOutputs.length - 1] };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

