/**
 * ONNX op types → float layers, one handler per op type, in two tables: FOLD computes a node whose
 * inputs are all constants (the shape subgraphs exporters write around Flatten and Reshape), DATA
 * maps a node on the model's activation onto the float graph. The float graph keeps images
 * channels last, so an NCHW tensor's weights are converted here and reshapes and transposes only
 * relabel (tensors.ts's order); nothing is moved at run time. Every handler refuses what it cannot
 * map, naming the node, its op type, the opset and the attribute.
 */
import type { Activation, FloatLayer } from '../../float.js';
import { type Padding4, type Shape3, windowOutput } from '../../geometry.js';
import { activationLayer, affineLayer, foldAffine, leakyRelu } from '../fold.js';
import type { NodeContext } from './node.js';
import {
  type ConstValue,
  type DataValue,
  type Value,
  axisOf,
  broadcastIndex,
  MAX_ELEMENTS,
  broadcastShape,
  channelsLastOrder,
  reshapeTarget,
  sameOrder,
  sizeOfShape,
  transposeIndex,
} from './tensors.js';

export type Handler<V extends Value> = (ctx: NodeContext) => V;

const GRAPH_SUPPORT =
  'needs graph support (a residual Add of two tensors, Concat, or a tensor feeding several nodes), which zkinfer does not have yet: only a chain of layers is supported';

/** Nonlinear activations: refused until they have integer semantics of their own. */
export const NONLINEAR = new Set(['Sigmoid', 'Tanh', 'Gelu', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'HardSigmoid', 'HardSwish', 'Mish', 'Erf', 'Exp', 'Log', 'Sqrt', 'Pow', 'Abs', 'Sin', 'Cos', 'Reciprocal', 'ThresholdedRelu']);

export function nonlinearRefusal(ctx: NodeContext): Error {
  const works = 'supported activations: Relu, LeakyRelu, Clip(0, max), PRelu with one slope, and Softmax or ArgMax at the end';
  if (ctx.opType === 'Sigmoid' && ctx.isLast) {
    return ctx.unsupported(`a final Sigmoid is not supported yet; on a binary classifier it can be proven as its logit with the threshold at 0 (sigmoid > 0.5 exactly when the logit > 0): export the model without the final Sigmoid; ${works}`);
  }
  return ctx.unsupported(`the nonlinear activation ${ctx.opType} is not supported yet (${works})`);
}

export function graphRefusal(ctx: NodeContext, what: string): Error {
  return ctx.unsupported(`${what} ${GRAPH_SUPPORT}`);
}

const list = (c: ConstValue) => Array.from(c.values);

function intsInput(ctx: NodeContext, k: number, what: string): number[] {
  const c = ctx.constInput(k, what);
  if (c.dtype !== 'int' || c.shape.length > 1) throw ctx.invalid(`input ${k} (${what}) must be a 1-D integer tensor`);
  return list(c);
}

/** Axes given as an attribute (older opsets) or as input 1 (newer ones). */
function axesOf(ctx: NodeContext, inputSince: number): number[] | undefined {
  return ctx.opset >= inputSince ? (ctx.input(1) ? intsInput(ctx, 1, 'axes') : undefined) : ctx.ints('axes');
}

/** A tensor relabelled with a new shape: constants keep their values, the data keeps its order. */
function relabel<V extends Value>(ctx: NodeContext, value: V, shape: number[]): V {
  if (sizeOfShape(shape) !== sizeOfShape(value.shape)) throw ctx.invalid(`cannot relabel [${value.shape.join(', ')}] as [${shape.join(', ')}]`);
  return { ...value, shape };
}

function normalizedAxes(ctx: NodeContext, axes: number[], rank: number): number[] {
  return axes.map((a) => {
    const axis = axisOf(a, rank);
    if (axis === undefined) throw ctx.invalid(`axis ${a} is out of range for rank ${rank}`);
    return axis;
  });
}

/** Transposing the data moves nothing: element i of the result is element index[i] of x, where x keeps it. */
function transposeData(x: DataValue, perm: readonly number[]): DataValue {
  const { shape, index } = transposeIndex(x.shape, perm);
  return { kind: 'data', shape, order: Int32Array.from(index, (i) => (x.order ? x.order[i] : i)) };
}

/** The handlers that only relabel, for constants and data alike. */
const RELABEL: Record<string, Handler<Value>> = {
  Identity: (ctx) => ctx.required(0),
  Dropout(ctx) {
    // Inference drops nothing, unless a training_mode input (opset 12) turns dropout on.
    if (ctx.input(2) && ctx.constInput(2, 'training_mode').values[0] !== 0) throw ctx.unsupported('Dropout with training_mode true drops values at random; export the model in inference mode (model.eval())');
    return ctx.required(0);
  },
  Reshape(ctx) {
    const x = ctx.required(0);
    const target = ctx.opset >= 5 ? intsInput(ctx, 1, 'shape') : ctx.ints('shape') ?? [];
    const shape = reshapeTarget(x.shape, target, ctx.int('allowzero', 0) === 1);
    if (typeof shape === 'string') throw ctx.invalid(shape);
    return relabel(ctx, x, shape);
  },
  Flatten(ctx) {
    const x = ctx.required(0);
    const axis = ctx.int('axis', 1);
    const at = axis < 0 ? axis + x.shape.length : axis;
    if (at < 0 || at > x.shape.length) throw ctx.invalid(`axis ${axis} is out of range for rank ${x.shape.length}`);
    return relabel(ctx, x, [sizeOfShape(x.shape.slice(0, at)), sizeOfShape(x.shape.slice(at))]);
  },
  Squeeze(ctx) {
    const x = ctx.required(0);
    const axes = axesOf(ctx, 13);
    const drop = axes ? normalizedAxes(ctx, axes, x.shape.length) : x.shape.flatMap((d, k) => (d === 1 ? [k] : []));
    if (drop.some((k) => x.shape[k] !== 1)) throw ctx.invalid(`cannot squeeze axes [${axes}] of shape [${x.shape.join(', ')}]: not all have size 1`);
    return relabel(ctx, x, x.shape.filter((_, k) => !drop.includes(k)));
  },
  Unsqueeze(ctx) {
    const x = ctx.required(0);
    const axes = axesOf(ctx, 13);
    if (!axes) throw ctx.invalid('needs axes');
    const rank = x.shape.length + axes.length;
    const inserted = normalizedAxes(ctx, axes, rank);
    const rest = [...x.shape];
    return relabel(ctx, x, Array.from({ length: rank }, (_, k) => (inserted.includes(k) ? 1 : rest.shift()!)));
  },
  Transpose(ctx) {
    const x = ctx.required(0);
    const perm = ctx.ints('perm') ?? x.shape.map((_, k) => x.shape.length - 1 - k);
    if (perm.length !== x.shape.length || new Set(perm).size !== perm.length || perm.some((p) => p < 0 || p >= perm.length)) {
      throw ctx.invalid(`perm [${perm}] is not a permutation of the axes of [${x.shape.join(', ')}]`);
    }
    if (x.kind === 'data') return transposeData(x, perm);
    const { shape, index } = transposeIndex(x.shape, perm);
    return { ...x, shape, values: Float64Array.from(index, (i) => x.values[i]) };
  },
};

// ---------------------------------------------------------------------------------------------
// Constant folding

function elementwise(ctx: NodeContext, f: (a: number, b: number) => number): ConstValue {
  const a = ctx.constInput(0, 'A');
  const b = ctx.constInput(1, 'B');
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw ctx.invalid(`shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast`);
  const ia = broadcastIndex(a.shape, shape)!;
  const ib = broadcastIndex(b.shape, shape)!;
  const dtype = a.dtype === 'float' || b.dtype === 'float' ? 'float' : 'int';
  const values = Float64Array.from(ia, (i, k) => {
    const v = f(a.values[i], b.values[ib[k]]);
    return dtype === 'int' ? Math.trunc(v) : v;
  });
  return { kind: 'const', dtype, shape, values };
}

/** ONNX element types the folded shape arithmetic casts between. */
const CAST_TO: Record<number, ConstValue['dtype']> = { 1: 'float', 11: 'float', 10: 'float', 6: 'int', 7: 'int', 3: 'int', 2: 'int', 9: 'bool' };

export const FOLD: Record<string, Handler<ConstValue>> = {
  ...(RELABEL as Record<string, Handler<ConstValue>>),
  Constant: (ctx) => ctx.constantValue(),
  /** The shape of the data is known: the input shape is fixed. */
  Shape(ctx) {
    const shape = ctx.required(0).shape;
    // start and end (opset 15) slice the shape as Python does: negative counts from the end, out of range clamps.
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + shape.length : v, 0), shape.length);
    const dims = shape.slice(clamp(ctx.int('start', 0)), clamp(ctx.int('end', shape.length)));
    return { kind: 'const', dtype: 'int', shape: [dims.length], values: Float64Array.from(dims) };
  },
  Gather(ctx) {
    const data = ctx.constInput(0, 'data');
    const indices = ctx.constInput(1, 'indices');
    const axis = axisOf(ctx.int('axis', 0), data.shape.length);
    if (axis === undefined) throw ctx.invalid(`axis ${ctx.int('axis', 0)} is out of range for rank ${data.shape.length}`);
    const outer = sizeOfShape(data.shape.slice(0, axis));
    const inner = sizeOfShape(data.shape.slice(axis + 1));
    const n = data.shape[axis];
    const values: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const raw of indices.values) {
        const index = raw < 0 ? raw + n : raw;
        if (!(index >= 0 && index < n)) throw ctx.invalid(`index ${raw} is out of range for an axis of size ${n}`);
        for (let i = 0; i < inner; i++) values.push(data.values[(o * n + index) * inner + i]);
      }
    }
    return { kind: 'const', dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)], values: Float64Array.from(values) };
  },
  Concat(ctx) {
    const parts = ctx.inputs.map((_, k) => ctx.constInput(k, `input ${k}`));
    const rank = parts[0].shape.length;
    const axis = axisOf(ctx.int('axis', 0), rank);
    if (axis === undefined || parts.some((p) => p.shape.length !== rank || p.shape.some((d, k) => k !== axis && d !== parts[0].shape[k]))) {
      throw ctx.invalid(`cannot concatenate [${parts.map((p) => `[${p.shape.join(', ')}]`).join(', ')}] on axis ${ctx.int('axis', 0)}`);
    }
    const outer = sizeOfShape(parts[0].shape.slice(0, axis));
    const values: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const p of parts) {
        const chunk = sizeOfShape(p.shape.slice(axis));
        values.push(...p.values.subarray(o * chunk, (o + 1) * chunk));
      }
    }
    const shape = [...parts[0].shape];
    shape[axis] = parts.reduce((sum, p) => sum + p.shape[axis], 0);
    return { kind: 'const', dtype: parts.some((p) => p.dtype === 'float') ? 'float' : parts[0].dtype, shape, values: Float64Array.from(values) };
  },
  Cast(ctx) {
    const x = ctx.constInput(0, 'input');
    const to = ctx.int('to', 0);
    const dtype = CAST_TO[to];
    if (!dtype) throw ctx.unsupported(`a Cast to element type ${to} is not supported in folded shape arithmetic`);
    return { ...x, dtype, values: dtype === 'float' ? x.values : x.values.map((v) => (dtype === 'bool' ? Number(v !== 0) : Math.trunc(v))) };
  },
  ConstantOfShape(ctx) {
    const shape = intsInput(ctx, 0, 'shape');
    if (shape.some((d) => d < 0) || sizeOfShape(shape) > MAX_ELEMENTS) throw ctx.unsupported(`a constant of shape [${shape.join(', ')}] is beyond ${MAX_ELEMENTS} elements or invalid`);
    const fill = ctx.has('value') ? ctx.constantValue() : undefined;
    return { kind: 'const', dtype: fill?.dtype ?? 'float', shape, values: new Float64Array(sizeOfShape(shape)).fill(fill?.values[0] ?? 0) };
  },
  Slice(ctx) {
    const x = ctx.constInput(0, 'data');
    if (x.shape.length !== 1) throw ctx.unsupported(`folding a Slice of a ${x.shape.length}-D constant is not supported (1-D only)`);
    const n = x.shape[0];
    const [start, end, axes, steps] = ctx.opset >= 10 ? [intsInput(ctx, 1, 'starts'), intsInput(ctx, 2, 'ends'), ctx.input(3) ? intsInput(ctx, 3, 'axes') : [0], ctx.input(4) ? intsInput(ctx, 4, 'steps') : [1]] : [ctx.ints('starts') ?? [0], ctx.ints('ends') ?? [n], ctx.ints('axes') ?? [0], [1]];
    if (axes.length !== 1 || axisOf(axes[0], 1) !== 0 || steps[0] !== 1) throw ctx.unsupported('only a Slice of one axis with step 1 is folded');
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const values = x.values.slice(clamp(start[0]), Math.max(clamp(start[0]), clamp(end[0])));
    return { ...x, shape: [values.length], values };
  },
  Add: (ctx) => elementwise(ctx, (a, b) => a + b),
  Sub: (ctx) => elementwise(ctx, (a, b) => a - b),
  Mul: (ctx) => elementwise(ctx, (a, b) => a * b),
  Div(ctx) {
    return elementwise(ctx, (a, b) => {
      if (b === 0) throw ctx.invalid('divides by zero');
      return a / b;
    });
  },
};

// ---------------------------------------------------------------------------------------------
// The data: layers of the float graph

/** The float graph's [H, W, C] of an NCHW (or NCL) tensor, which must be held channels last. */
function image(ctx: NodeContext, x: DataValue): Shape3 {
  if (x.shape.length !== 4 && x.shape.length !== 3) throw ctx.unsupported(`needs an [N, C, H, W] or [N, C, L] input, found [${x.shape.join(', ')}]`);
  if (x.shape[0] !== 1) throw ctx.unsupported(`batch size ${x.shape[0]}: zkinfer proves one input at a time (batch 1)`);
  if (!sameOrder(x.order, channelsLastOrder(x.shape))) {
    throw ctx.unsupported(
      `its input [${x.shape.join(', ')}] is not laid out channels last in the float graph (an NCHW model input with ${x.shape[1]} channels, or a Reshape or Transpose that moves the channels): give the model an NHWC input followed by Transpose [0, 3, 1, 2], as tf2onnx does, or a single-channel input`,
    );
  }
  return x.shape.length === 4 ? [x.shape[2], x.shape[3], x.shape[1]] : [1, x.shape[2], x.shape[1]];
}

/** The ONNX NCHW output of an image op with [OH, OW, C], in the input's rank. */
function imageOutput(ctx: NodeContext, x: DataValue, out: Shape3): DataValue {
  if (sizeOfShape(out) > MAX_ELEMENTS) throw ctx.unsupported(`its output [${out.join(', ')}] (height, width, channels) has more than ${MAX_ELEMENTS} values`);
  const shape = x.shape.length === 4 ? [1, out[2], out[0], out[1]] : [1, out[2], out[1]];
  return { kind: 'data', shape, order: channelsLastOrder(shape) };
}

/** A per-spatial-axis attribute as [rows, columns]; 1-D ops act on the columns. */
function spatial(ctx: NodeContext, values: number[], rank: number, what: string): [number, number] {
  if (values.length !== rank) throw ctx.invalid(`${what} has ${values.length} values for ${rank} spatial axes`);
  return rank === 2 ? [values[0], values[1]] : [1, values[0]];
}

/** Pads ([begin..., end...]) or auto_pad → [top, left, bottom, right], for a window of `window` (dilated) at `strides`. */
function windowPadding(ctx: NodeContext, inShape: Shape3, window: [number, number], strides: [number, number], rank: number): Padding4 {
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const axis = (size: number, k: number, s: number) => {
      const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
      const small = Math.floor(total / 2);
      // SAME_UPPER puts the odd unit at the end (as TF does), SAME_LOWER at the beginning.
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    const [top, bottom] = axis(inShape[0], window[0], strides[0]);
    const [left, right] = axis(inShape[1], window[1], strides[1]);
    return [top, left, bottom, right];
  }
  if (autoPad !== 'NOTSET') throw ctx.invalid(`auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  const pads = ctx.ints('pads', new Array<number>(2 * rank).fill(0))!;
  if (pads.length !== 2 * rank) throw ctx.invalid(`pads has ${pads.length} values for ${rank} spatial axes`);
  if (pads.some((p) => p < 0)) throw ctx.unsupported(`negative pads [${pads}] (cropping) are not supported`);
  const [begin, end] = [spatial(ctx, pads.slice(0, rank), rank, 'pads'), spatial(ctx, pads.slice(rank), rank, 'pads')];
  if (rank === 1) begin[0] = end[0] = 0;
  return [begin[0], begin[1], end[0], end[1]];
}

function outputShape(ctx: NodeContext, inShape: Shape3, window: [number, number], strides: [number, number], padding: Padding4): [number, number] {
  const out = windowOutput(inShape, window, strides, padding);
  if (out.some((d) => d < 1)) throw ctx.invalid(`a ${window.join('x')} window does not fit its input [${inShape.join(', ')}] with pads [${padding}]`);
  return out;
}

function denseLayer(ctx: NodeContext, x: DataValue, k: number, n: number, weight: (k: number, j: number) => number, bias: Float64Array): DataValue {
  if (sizeOfShape(x.shape) !== k) throw ctx.invalid(`its input has ${sizeOfShape(x.shape)} values, its weights expect ${k}`);
  const kernel = new Float64Array(k * n);
  // Row i of the kernel is the float graph's input i: element t of the ONNX input lies at order[t].
  for (let t = 0; t < k; t++) {
    const row = (x.order ? x.order[t] : t) * n;
    for (let j = 0; j < n; j++) kernel[row + j] = weight(t, j);
  }
  ctx.layers.push({ kind: 'dense', name: ctx.name, inputSize: k, units: n, kernel, bias, activation: { kind: 'linear' } });
  return { kind: 'data', shape: [1, n] };
}

function matrix(ctx: NodeContext, k: number, what: string): ConstValue {
  const m = ctx.constInput(k, what);
  if (m.shape.length !== 2) throw ctx.unsupported(`${what} must be a 2-D matrix, found [${m.shape.join(', ')}]`);
  return m;
}

/** The input as a row vector [1, K] (its batch of one, or a transposed column). */
function rowVector(ctx: NodeContext, x: DataValue, transpose: boolean): DataValue {
  if (x.shape.length !== 2) throw ctx.unsupported(`needs a 2-D [1, K] input, found [${x.shape.join(', ')}]: add a Flatten before it`);
  const t = transpose ? transposeData(x, [1, 0]) : x;
  if (t.shape[0] !== 1) throw ctx.unsupported(`batch size ${t.shape[0]}: zkinfer proves one input at a time (batch 1)`);
  return t;
}

/** Per-element y = a * x + c on the data: folded into the layer before, or a layer of its own. */
function affine(ctx: NodeContext, x: DataValue, a: Float64Array, c: Float64Array): DataValue {
  const n = a.length;
  const pa = new Float64Array(n);
  const pc = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const p = x.order ? x.order[t] : t;
    pa[p] = a[t];
    pc[p] = c[t];
  }
  const previous = ctx.layers[ctx.layers.length - 1];
  // A convolution folds per output channel: the constants must depend on the channel only.
  const channels = previous?.kind === 'conv2d' ? previous.outShape[2] : n;
  const perChannel = (v: Float64Array) => (v.every((value, p) => value === v[p % channels]) ? v.slice(0, channels) : undefined);
  const [ca, cc] = [perChannel(pa), perChannel(pc)];
  if (!(ca && cc && foldAffine(previous, ca, cc))) ctx.layers.push(affineLayer(ctx.name, [1, 1, n], pa, pc));
  return x;
}

/** A constant broadcast to the data's shape (it must not grow the data), per ONNX element. */
function perElement(ctx: NodeContext, x: DataValue, c: ConstValue): Float64Array {
  const index = broadcastIndex(c.shape, x.shape);
  if (!index) throw ctx.unsupported(`its constant [${c.shape.join(', ')}] does not broadcast to its input [${x.shape.join(', ')}] without growing it`);
  return Float64Array.from(index, (i) => c.values[i]);
}

/** Add, Sub, Mul, Div of the data and a constant: an affine map, folded where it can be. */
function arithmetic(ctx: NodeContext): DataValue {
  // Two data inputs (a residual Add, a product of activations) are refused before any handler runs.
  const dataFirst = ctx.input(0)?.kind === 'data';
  const x = ctx.dataInput(dataFirst ? 0 : 1);
  const k = perElement(ctx, x, ctx.constInput(dataFirst ? 1 : 0, 'constant'));
  const ones = new Float64Array(k.length).fill(1);
  const zeros = new Float64Array(k.length);
  switch (ctx.opType) {
    case 'Add':
      return affine(ctx, x, ones, k);
    case 'Sub':
      return dataFirst ? affine(ctx, x, ones, k.map((v) => -v)) : affine(ctx, x, ones.map(() => -1), k);
    case 'Mul':
      return affine(ctx, x, k, zeros);
    default:
      if (!dataFirst) throw ctx.unsupported('dividing a constant by the data is not linear');
      if (k.some((v) => v === 0)) throw ctx.invalid('divides by zero');
      return affine(ctx, x, k.map((v) => 1 / v), zeros);
  }
}

function activation(ctx: NodeContext, value: Activation): DataValue {
  const x = ctx.dataInput(0);
  const layer = activationLayer(ctx.layers, ctx.name, value);
  if (layer) ctx.layers.push(layer);
  return x;
}

/** Softmax and ArgMax end a classifier: both are proven as the argmax over the logits. */
function classifierEnd(ctx: NodeContext, axis: number, coversFrom: boolean): DataValue {
  const x = ctx.dataInput(0);
  const at = axisOf(axis, x.shape.length);
  if (at === undefined) throw ctx.invalid(`axis ${axis} is out of range for rank ${x.shape.length}`);
  const others = x.shape.filter((d, k) => (coversFrom ? k < at : k !== at));
  if (others.some((d) => d !== 1)) throw ctx.unsupported(`over axis ${axis} of [${x.shape.join(', ')}] it acts on more than one vector of logits (only one is proven)`);
  return activation(ctx, { kind: 'softmax' });
}

function pool(ctx: NodeContext, op: 'avg' | 'max'): DataValue {
  const x = ctx.dataInput(0);
  const inShape = image(ctx, x);
  const rank = x.shape.length - 2;
  const window = spatial(ctx, ctx.ints('kernel_shape') ?? [], rank, 'kernel_shape');
  const strides = spatial(ctx, ctx.ints('strides') ?? new Array<number>(rank).fill(1), rank, 'strides');
  if ((ctx.ints('dilations') ?? []).some((d) => d !== 1)) throw ctx.unsupported(`dilations [${ctx.ints('dilations')}] are not supported for pooling (1 only)`);
  const padding = windowPadding(ctx, inShape, window, strides, rank);
  if (op === 'avg' && ctx.int('count_include_pad', 0) === 1 && padding.some((p) => p > 0)) {
    throw ctx.unsupported('count_include_pad = 1 with padding is not supported: zkinfer averages the values under the window that are not padding (count_include_pad = 0)');
  }
  const out = outputShape(ctx, inShape, window, strides, padding);
  if (ctx.int('ceil_mode', 0) === 1) {
    const ceil = [0, 1].map((a) => Math.ceil((inShape[a] + padding[a] + padding[a + 2] - window[a]) / strides[a]) + 1);
    if (ceil[0] !== out[0] || ceil[1] !== out[1]) throw ctx.unsupported('ceil_mode = 1 is supported only where it gives the same output size as ceil_mode = 0');
  }
  ctx.layers.push({ kind: 'pool', name: ctx.name, op, inShape, outShape: [out[0], out[1], inShape[2]], pool: window, strides, padding });
  return imageOutput(ctx, x, [out[0], out[1], inShape[2]]);
}

function globalPool(ctx: NodeContext, op: 'avg' | 'max'): DataValue {
  const x = ctx.dataInput(0);
  const inShape = image(ctx, x);
  ctx.layers.push({ kind: 'pool', name: ctx.name, op, inShape, outShape: [1, 1, inShape[2]], pool: [inShape[0], inShape[1]], strides: [1, 1], padding: [0, 0, 0, 0] });
  return imageOutput(ctx, x, [1, 1, inShape[2]]);
}

export const DATA: Record<string, Handler<DataValue>> = {
  ...(RELABEL as Record<string, Handler<DataValue>>),

  Gemm(ctx) {
    if (ctx.input(0)?.kind !== 'data') throw ctx.unsupported('Gemm must take the data as A and constant weights as B');
    const x = rowVector(ctx, ctx.dataInput(0), ctx.int('transA', 0) === 1);
    const b = matrix(ctx, 1, 'B');
    const transB = ctx.int('transB', 0) === 1;
    const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
    const alpha = ctx.float('alpha', 1);
    const beta = ctx.float('beta', 1);
    const c = ctx.optionalConst(2, 'C');
    const bias = c ? perElement(ctx, { kind: 'data', shape: [1, n] }, c).map((v) => beta * v) : new Float64Array(n);
    return denseLayer(ctx, x, k, n, (t, j) => alpha * b.values[transB ? j * k + t : t * n + j], bias);
  },

  MatMul(ctx) {
    if (ctx.input(0)?.kind !== 'data') throw ctx.unsupported('MatMul must take the data as A and constant weights as B');
    const x = rowVector(ctx, ctx.dataInput(0), false);
    const b = matrix(ctx, 1, 'B');
    const [k, n] = b.shape;
    return denseLayer(ctx, x, k, n, (t, j) => b.values[t * n + j], new Float64Array(n));
  },

  Conv(ctx) {
    const x = ctx.dataInput(0);
    const inShape = image(ctx, x);
    const rank = x.shape.length - 2;
    const w = ctx.constInput(1, 'W');
    const group = ctx.int('group', 1);
    const [outChannels, perGroup] = w.shape;
    if (w.shape.length !== rank + 2 || group < 1 || perGroup * group !== inShape[2] || outChannels % group !== 0) {
      throw ctx.invalid(`weights [${w.shape.join(', ')}] with group ${group} do not fit an input of ${inShape[2]} channels`);
    }
    const kernel = spatial(ctx, w.shape.slice(2), rank, 'the kernel');
    const declared = ctx.ints('kernel_shape');
    if (declared && spatial(ctx, declared, rank, 'kernel_shape').some((d, a) => d !== kernel[a])) throw ctx.invalid(`kernel_shape [${declared}] differs from the weights' [${w.shape.slice(2)}]`);
    const strides = spatial(ctx, ctx.ints('strides') ?? new Array<number>(rank).fill(1), rank, 'strides');
    const dilations = spatial(ctx, ctx.ints('dilations') ?? new Array<number>(rank).fill(1), rank, 'dilations');
    if ([...strides, ...dilations].some((v) => v < 1)) throw ctx.invalid('strides and dilations must be positive');
    // A dilated kernel is the kernel spread out with zero weights between its taps: exact, and free in a circuit.
    const window: [number, number] = [(kernel[0] - 1) * dilations[0] + 1, (kernel[1] - 1) * dilations[1] + 1];
    const padding = windowPadding(ctx, inShape, window, strides, rank);
    const out = outputShape(ctx, inShape, window, strides, padding);
    const rowLength = window[0] * window[1] * perGroup;
    const weights = new Float64Array(outChannels * rowLength);
    for (let oc = 0; oc < outChannels; oc++) {
      for (let g = 0; g < perGroup; g++) {
        for (let ky = 0; ky < kernel[0]; ky++) {
          for (let kx = 0; kx < kernel[1]; kx++) {
            // ONNX W[oc][g][ky][kx] → the float graph's row oc, term (ky, kx, g) of the dilated window.
            const term = ((ky * dilations[0]) * window[1] + kx * dilations[1]) * perGroup + g;
            weights[oc * rowLength + term] = w.values[((oc * perGroup + g) * kernel[0] + ky) * kernel[1] + kx];
          }
        }
      }
    }
    const b = ctx.optionalConst(2, 'B');
    if (b && b.values.length !== outChannels) throw ctx.invalid(`bias has ${b.values.length} values for ${outChannels} output channels`);
    const outShape: Shape3 = [out[0], out[1], outChannels];
    ctx.layers.push({ kind: 'conv2d', name: ctx.name, inShape, outShape, kernel: window, strides, padding, groups: group, weights, bias: b ? Float64Array.from(b.values) : new Float64Array(outChannels), activation: { kind: 'linear' } });
    return imageOutput(ctx, x, outShape);
  },

  MaxPool: (ctx) => pool(ctx, 'max'),
  AveragePool: (ctx) => pool(ctx, 'avg'),
  GlobalAveragePool: (ctx) => globalPool(ctx, 'avg'),
  GlobalMaxPool: (ctx) => globalPool(ctx, 'max'),

  BatchNormalization(ctx) {
    const x = ctx.dataInput(0);
    if (ctx.int('training_mode', 0) !== 0) throw ctx.unsupported('training_mode = 1: export the model in inference mode (model.eval())');
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => ctx.constInput(k, ['scale', 'B', 'input_mean', 'input_var'][k - 1]));
    const channels = x.shape[1];
    if ([scale, bias, mean, variance].some((v) => v.values.length !== channels)) throw ctx.invalid(`its parameters must have ${channels} values, one per channel`);
    const epsilon = ctx.float('epsilon', 1e-5);
    const inner = sizeOfShape(x.shape.slice(2));
    const a = Float64Array.from({ length: channels * inner }, (_, e) => {
      const j = Math.floor(e / inner);
      return scale.values[j] / Math.sqrt(variance.values[j] + epsilon);
    });
    const c = a.map((aj, e) => {
      const j = Math.floor(e / inner);
      return bias.values[j] - mean.values[j] * aj;
    });
    return affine(ctx, x, a, c);
  },

  Add: arithmetic,
  Sub: arithmetic,
  Mul: arithmetic,
  Div: arithmetic,
  Neg: (ctx) => {
    const x = ctx.dataInput(0);
    const n = sizeOfShape(x.shape);
    return affine(ctx, x, new Float64Array(n).fill(-1), new Float64Array(n));
  },

  Relu: (ctx) => activation(ctx, { kind: 'relu' }),
  LeakyRelu: (ctx) => activation(ctx, leakyRelu(ctx.float('alpha', 0.01), (m) => ctx.unsupported(m))),
  Clip(ctx) {
    const bound = (k: number, attribute: string, fallback: number) => {
      if (ctx.opset < 11) return ctx.float(attribute, fallback);
      const c = ctx.optionalConst(k, attribute);
      return c ? c.values[0] : fallback;
    };
    const [min, max] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
    if (min !== 0 || !(max > 0)) throw ctx.unsupported(`Clip(${min}, ${max}) is not supported: Clip(0, max) is (ReLU, ReLU6)`);
    return activation(ctx, max === Infinity ? { kind: 'relu' } : { kind: 'relu', max });
  },
  PRelu(ctx) {
    const slope = ctx.constInput(1, 'slope');
    if (!slope.values.every((v) => v === slope.values[0])) throw ctx.unsupported('a PRelu with a slope per channel is not supported (the IR has one leaky ReLU slope per layer): one shared slope is');
    return activation(ctx, leakyRelu(slope.values[0], (m) => ctx.unsupported(m)));
  },

  Pad(ctx) {
    const x = ctx.dataInput(0);
    const inShape = image(ctx, x);
    const mode = ctx.string('mode', 'constant');
    if (mode !== 'constant') throw ctx.unsupported(`Pad mode '${mode}' is not supported (constant zeros only)`);
    const rank = x.shape.length;
    const pads = ctx.opset >= 11 ? intsInput(ctx, 1, 'pads') : ctx.ints('pads') ?? [];
    const value = ctx.opset >= 11 ? (ctx.optionalConst(2, 'constant_value')?.values[0] ?? 0) : ctx.float('value', 0);
    if (value !== 0) throw ctx.unsupported(`padding with ${value} is not supported (zeros only)`);
    const axes = ctx.opset >= 18 && ctx.input(3) ? normalizedAxes(ctx, intsInput(ctx, 3, 'axes'), rank) : x.shape.map((_, k) => k);
    if (pads.length !== 2 * axes.length) throw ctx.invalid(`pads has ${pads.length} values for ${axes.length} axes`);
    const begin = new Array<number>(rank).fill(0);
    const end = new Array<number>(rank).fill(0);
    axes.forEach((a, k) => ((begin[a] = pads[k]), (end[a] = pads[k + axes.length])));
    if (begin[0] || end[0] || begin[1] || end[1]) throw ctx.unsupported('padding the batch or channel axis is not supported (height and width only)');
    if ([...begin, ...end].some((p) => p < 0)) throw ctx.unsupported('negative pads (cropping) are not supported');
    const padding: Padding4 = rank === 4 ? [begin[2], begin[3], end[2], end[3]] : [0, begin[2], 0, end[2]];
    const outShape: Shape3 = [inShape[0] + padding[0] + padding[2], inShape[1] + padding[1] + padding[3], inShape[2]];
    const layer: FloatLayer = { kind: 'pad', name: ctx.name, inShape, outShape, padding };
    ctx.layers.push(layer);
    return imageOutput(ctx, x, outShape);
  },

  Softmax: (ctx) => (ctx.opset >= 13 ? classifierEnd(ctx, ctx.int('axis', -1), false) : classifierEnd(ctx, ctx.int('axis', 1), true)),
  LogSoftmax: (ctx) => (ctx.opset >= 13 ? classifierEnd(ctx, ctx.int('axis', -1), false) : classifierEnd(ctx, ctx.int('axis', 1), true)),
  ArgMax(ctx) {
    if (ctx.int('select_last_index', 0) !== 0) throw ctx.unsupported('select_last_index = 1 is not supported: the circuit picks the first largest logit');
    return classifierEnd(ctx, ctx.int('axis', 0), false);
  },
};
