/**
 * ONNX op types on the model's activation → float layers, one handler per op type in DATA (nodes
 * on constants are folded by constants.ts's FOLD), and the refusals of what has no integer
 * semantics yet. The float graph keeps images
 * channels last, so an NCHW tensor's weights are converted here and reshapes and transposes only
 * relabel (tensors.ts's order); an image op whose input is held otherwise (PyTorch's RGB input)
 * reads it through a transpose layer, which only names values. Every handler refuses what it cannot
 * map, naming the node, its op type, the opset and the attribute.
 */
import type { Activation, FloatLayer } from '../../float.js';
import type { TableFunction } from '../../tables.js';
import { type Padding4, type Shape3, dilateKernel, windowOutput } from '../../geometry.js';
import { activationLayer, affineLayer, clampRelu, foldAffine, leakyRelu } from '../fold.js';
import { SILU_OP } from './patterns.js';
import { type Handler, RELABEL, intsInput, normalizedAxes, transposeData } from './constants.js';
import type { NodeContext } from './node.js';
import { type ConstValue, type DataValue, MAX_ELEMENTS, axisOf, axisPermutation, broadcastIndex, channelsLastOrder, isIdentity, sameOrder, sizeOfShape } from './tensors.js';

/** Nonlinear activations: refused until they have integer semantics of their own (Erf, Exp and Reciprocal alone: see patterns.ts). */
export const NONLINEAR = new Set(['Selu', 'Celu', 'Softsign', 'Mish', 'Erf', 'Exp', 'Log', 'Sqrt', 'Pow', 'Abs', 'Sin', 'Cos', 'Reciprocal', 'ThresholdedRelu']);

export function nonlinearRefusal(ctx: NodeContext): Error {
  const works =
    'supported activations: Relu, LeakyRelu, Clip(0, max), PRelu (one slope, or one per channel), Sigmoid, Tanh, Gelu, Elu, Softplus, HardSigmoid, HardSwish, x * Sigmoid(x) (SiLU) and x * 0.5 * (1 + Erf(x / sqrt(2))) (GELU); at the end, Softmax or ArgMax (proven as the argmax)';
  return ctx.unsupported(`the nonlinear activation ${ctx.opType} is not supported yet (${works})`);
}

const table = (ctx: NodeContext, fn: TableFunction) => activation(ctx, { kind: 'table', fn });

// ---------------------------------------------------------------------------------------------
// The data: layers of the float graph

/**
 * An NCHW (or NCL) tensor held channels last, as image ops read it, with its [H, W, C]: x itself
 * when it is, else a transpose layer reading x that only names values (no constraints): an NCHW
 * model input of several channels (PyTorch's RGB images, which users pass in their own order), or
 * a Reshape or Transpose that moved the channels.
 */
function image(ctx: NodeContext, given: DataValue): { x: DataValue; inShape: Shape3 } {
  if (given.shape.length !== 4 && given.shape.length !== 3) throw ctx.unsupported(`needs an [N, C, H, W] or [N, C, L] input, found [${given.shape.join(', ')}]`);
  if (given.shape[0] !== 1) throw ctx.unsupported(`batch size ${given.shape[0]}: zkinfer proves one input at a time (batch 1)`);
  const x = channelsLast(ctx, given);
  return { x, inShape: x.shape.length === 4 ? [x.shape[2], x.shape[3], x.shape[1]] : [1, x.shape[2], x.shape[1]] };
}

function channelsLast(ctx: NodeContext, x: DataValue): DataValue {
  const wanted = channelsLastOrder(x.shape);
  if (sameOrder(x.order, wanted)) return x;
  // Output element wanted[t] of the transpose is ONNX element t, which the float graph holds at order[t].
  const sources = new Int32Array(wanted.length);
  wanted.forEach((to, t) => (sources[to] = x.order ? x.order[t] : t));
  const layout = axisPermutation(sources);
  if (!layout) throw ctx.unsupported(`its input [${x.shape.join(', ')}] is laid out in an order that no transpose makes channels last (a Reshape that mixes the channels with the other axes?)`);
  const layer = ctx.layers.push({ kind: 'transpose', name: `${ctx.name}/channels_last`, inShape: layout.inShape, perm: layout.perm, inputs: [x.layer!] }) - 1;
  return { ...x, order: wanted, layer };
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

/** Per-element constants given in the ONNX element order of x, moved to where the float graph holds each element. */
function inFloatOrder(x: DataValue, values: Float64Array): Float64Array {
  if (!x.order) return values;
  const moved = new Float64Array(values.length);
  values.forEach((v, t) => (moved[x.order![t]!] = v));
  return moved;
}

/** Per-element y = a * x + c on the data: folded into the layer before, or a layer of its own. */
function affine(ctx: NodeContext, x: DataValue, a: Float64Array, c: Float64Array): DataValue {
  const n = a.length;
  const [pa, pc] = [inFloatOrder(x, a), inFloatOrder(x, c)];
  const previous = ctx.foldInto;
  // A convolution folds per output channel: the constants must depend on the channel only.
  const channels = previous?.kind === 'conv2d' ? previous.outShape[2] : n;
  const perChannel = (v: Float64Array) => (v.every((value, p) => value === v[p % channels]) ? v.slice(0, channels) : undefined);
  const [ca, cc] = [perChannel(pa), perChannel(pc)];
  if (ca && cc && foldAffine(previous, ca, cc)) return x;
  // Scores divided by √d: one positive factor after a product of tensors only relabels its integers (no op, a new scale).
  const relabels = ctx.layers[x.layer!]?.kind === 'matmul' && pa.every((v) => v === pa[0] && v > 0) && pc.every((v) => v === 0);
  ctx.layers.push(relabels ? { kind: 'affine', name: ctx.name, multiplier: pa, offset: pc } : affineLayer(ctx.name, [1, 1, n], pa, pc));
  return x;
}

/** A constant broadcast to the data's shape (it must not grow the data), per ONNX element. */
function perElement(ctx: NodeContext, x: DataValue, c: ConstValue): Float64Array {
  const index = broadcastIndex(c.shape, x.shape);
  if (!index) throw ctx.unsupported(`its constant [${c.shape.join(', ')}] does not broadcast to its input [${x.shape.join(', ')}] without growing it`);
  return Float64Array.from(index, (i) => c.values[i]);
}

/** The node's inputs, all of them the data, of one shape and layout (ONNX would broadcast; zkinfer does not). */
function sameShapedData(ctx: NodeContext): DataValue[] {
  const xs = (ctx.node.input ?? []).map((_, k) => ctx.dataInput(k));
  const [x] = xs;
  const mismatch = xs.find((y) => y.shape.join() !== x.shape.join() || !sameOrder(y.order, x.order));
  if (mismatch) throw ctx.unsupported(`its inputs [${x.shape.join(', ')}] and [${mismatch.shape.join(', ')}] differ in shape or layout: an element-wise op of tensors needs both the same (no broadcasting)`);
  return xs;
}

/** Add, Sub, Sum, Mean of tensors: a sum with these coefficients; Mul: their product, one multiplication per element. */
function ofTensors(ctx: NodeContext): DataValue {
  const xs = sameShapedData(ctx);
  if (ctx.opType === 'Mul') ctx.layers.push({ kind: 'mul', name: ctx.name });
  else {
    const coefficients = ctx.opType === 'Sub' ? [1, -1] : xs.map(() => (ctx.opType === 'Mean' ? 1 / xs.length : 1));
    ctx.layers.push({ kind: 'add', name: ctx.name, coefficients, activation: { kind: 'linear' } });
  }
  return { kind: 'data', shape: xs[0].shape, ...(xs[0].order ? { order: xs[0].order } : {}) };
}

/** Concat of the data along the channels of images, or of [1, n] rows. */
function concat(ctx: NodeContext): DataValue {
  if ((ctx.node.input ?? []).some((_, k) => ctx.input(k)?.kind === 'const')) throw ctx.unsupported('a Concat of the data with a constant is not supported (only of tensors computed from the input)');
  const xs = (ctx.node.input ?? []).map((_, k) => ctx.dataInput(k));
  const rank = xs[0].shape.length;
  const axis = axisOf(ctx.int('axis', 1), rank);
  if (xs.some((x) => x.shape.length !== rank) || axis !== 1 || (rank !== 2 && rank !== 4 && rank !== 3)) {
    throw ctx.unsupported(`Concat over axis ${ctx.int('axis', 1)} of [${xs.map((x) => `[${x.shape.join(', ')}]`).join(', ')}] is not supported: the channels (axis 1) of images, or [1, n] rows`);
  }
  if (rank === 2) {
    if (xs.some((x) => x.shape[0] !== 1 || !isIdentity(x.order))) throw ctx.unsupported('Concat of rows needs [1, n] inputs in their flat order (a Flatten of a channels-last layout)');
    const widths = xs.map((x) => x.shape[1]);
    ctx.layers.push({ kind: 'concat', name: ctx.name, inShapes: widths.map((n): Shape3 => [1, 1, n]), outShape: [1, 1, widths.reduce((a, b) => a + b, 0)] });
    return { kind: 'data', shape: [1, widths.reduce((a, b) => a + b, 0)] };
  }
  const images = xs.map((x) => image(ctx, x));
  const inShapes = images.map((i) => i.inShape);
  if (inShapes.some((s) => s[0] !== inShapes[0][0] || s[1] !== inShapes[0][1])) throw ctx.invalid('its inputs differ in height or width');
  const outShape: Shape3 = [inShapes[0][0], inShapes[0][1], inShapes.reduce((sum, s) => sum + s[2], 0)];
  // An input reordered channels last is read from its transpose, not from where the walk found it.
  const reordered = images.some((i, k) => i.x.layer !== xs[k].layer);
  ctx.layers.push({ kind: 'concat', name: ctx.name, inShapes, outShape, ...(reordered ? { inputs: images.map((i) => i.x.layer!) } : {}) });
  return imageOutput(ctx, xs[0], outShape);
}

/** Add, Sub, Mul, Div of the data and a constant: an affine map, folded where it can be. Of two tensors: ofTensors. */
function arithmetic(ctx: NodeContext): DataValue {
  if (ctx.opType !== 'Div' && (ctx.node.input ?? []).every((_, k) => ctx.input(k)?.kind === 'data')) return ofTensors(ctx);
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
  const layer = activationLayer(ctx.foldInto, ctx.name, value);
  if (layer) ctx.layers.push(layer);
  return x;
}

/**
 * The float layer holding x's elements in x's own row-major order: x's layer, or a transpose of it
 * (pure relabeling) when a Reshape and Transpose left them in another order.
 */
function inOwnOrder(ctx: NodeContext, x: DataValue, what: string): number {
  if (isIdentity(x.order)) return x.layer!;
  const layout = axisPermutation(x.order!);
  if (!layout) throw ctx.unsupported(`${what} [${x.shape.join(', ')}] is laid out in an order that is no transpose of a stored tensor (an NCHW image before it?)`);
  return ctx.layers.push({ kind: 'transpose', name: `${ctx.name}/${what}_layout`, inShape: layout.inShape, perm: layout.perm, inputs: [x.layer!] }) - 1;
}

/** [..., n, k] as its batch (the leading axes' product), n and k. */
function matrices(x: DataValue): [number, number, number] {
  const rank = x.shape.length;
  return [sizeOfShape(x.shape.slice(0, rank - 2)), x.shape[rank - 2]!, x.shape[rank - 1]!];
}

/** MatMul of two tensors computed from the input: [..., n, k] x [..., k, m], the leading axes equal (no broadcasting). */
function matmulOfData(ctx: NodeContext): DataValue {
  const [a, b] = [ctx.dataInput(0), ctx.dataInput(1)];
  if (a.shape.length < 2 || a.shape.length !== b.shape.length || a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join()) {
    throw ctx.unsupported(`a MatMul of [${a.shape.join(', ')}] and [${b.shape.join(', ')}] is not supported: both must be [..., n, k] and [..., k, m] with the same leading axes (no broadcasting)`);
  }
  const [batch, rows, inner] = matrices(a);
  const cols = b.shape[b.shape.length - 1]!;
  if (b.shape[b.shape.length - 2] !== inner) throw ctx.invalid(`A's last axis (${inner}) and B's second to last (${b.shape[b.shape.length - 2]}) differ`);
  const inputs = [inOwnOrder(ctx, a, 'A'), inOwnOrder(ctx, b, 'B')];
  ctx.layers.push({ kind: 'matmul', name: ctx.name, batch, rows, inner, cols, inputs });
  return { kind: 'data', shape: [...a.shape.slice(0, -1), cols] };
}

/**
 * [.., n, k] data times constant weights (k inputs to m outputs, `weight(t, j)`): the same
 * projection of every row (PyTorch's Linear on tokens), a 1x1 convolution over [1, rows, k].
 */
function projectRows(ctx: NodeContext, x: DataValue, k: number, m: number, weight: (t: number, j: number) => number, bias: Float64Array): DataValue {
  const rows = sizeOfShape(x.shape.slice(0, -1));
  if (x.shape[x.shape.length - 1] !== k) throw ctx.invalid(`its input's last axis (${x.shape[x.shape.length - 1]}) and the weights' ${k} inputs differ`);
  const from = inOwnOrder(ctx, x, 'input');
  const weights = Float64Array.from({ length: m * k }, (_, at) => weight(at % k, Math.floor(at / k)));
  ctx.layers.push({ kind: 'conv2d', name: ctx.name, inShape: [1, rows, k], outShape: [1, rows, m], kernel: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], groups: 1, weights, bias, activation: { kind: 'linear' }, inputs: [from] });
  return { kind: 'data', shape: [...x.shape.slice(0, -1), m] };
}

/**
 * A Slice of the data along its last axis, where the data is a projection of rows (a 1x1
 * convolution, its activation linear): the projection of the sliced outputs alone, reading what
 * the projection reads (nn.MultiheadAttention's packed in-projection split into Q, K and V). The
 * projection itself, once no layer reads it, is dropped after the walk (fold.ts withoutUnread).
 */
function sliceProjection(ctx: NodeContext): DataValue {
  const x = ctx.dataInput(0);
  const rank = x.shape.length;
  const list = (k: number, what: string) => (ctx.input(k) ? intsInput(ctx, k, what) : undefined);
  const [starts, ends] = [intsInput(ctx, 1, 'starts'), intsInput(ctx, 2, 'ends')];
  const axes = normalizedAxes(ctx, list(3, 'axes') ?? starts.map((_, k) => k), rank);
  const steps = list(4, 'steps') ?? starts.map(() => 1);
  const projection = ctx.layers[x.layer!];
  if (axes.length !== 1 || axes[0] !== rank - 1 || steps[0] !== 1 || !isIdentity(x.order) || projection?.kind !== 'conv2d' || projection.kernel.join() !== '1,1' || projection.groups !== 1 || projection.activation.kind !== 'linear') {
    throw ctx.unsupported('a Slice of the data is supported only along the last axis, step 1, of a projection of rows (MatMul by weights, its bias added): the packed in-projection of nn.MultiheadAttention');
  }
  const size = x.shape[rank - 1]!;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const [start, end] = [clamp(starts[0]!), clamp(ends[0]!)];
  if (end <= start) throw ctx.invalid(`slices [${starts[0]}, ${ends[0]}) of an axis of ${size}: nothing`);
  const k = projection.inShape[2];
  ctx.layers.push({ ...projection, name: ctx.name, outShape: [1, projection.outShape[1], end - start], weights: projection.weights.slice(start * k, end * k), bias: projection.bias.slice(start, end), inputs: [projection.inputs?.[0] ?? x.layer! - 1] });
  return { kind: 'data', shape: [...x.shape.slice(0, -1), end - start] };
}

/** A softmax along the last axis inside the model (attention's weights), not the classifier's end. */
function rowSoftmax(ctx: NodeContext, axis: number): DataValue {
  const x = ctx.dataInput(0);
  if (axisOf(axis, x.shape.length) !== x.shape.length - 1) throw ctx.unsupported(`a Softmax inside the model over axis ${axis} of [${x.shape.join(', ')}] is not supported: along the last axis only`);
  const from = inOwnOrder(ctx, x, 'input');
  ctx.layers.push({ kind: 'softmax', name: ctx.name, size: x.shape[x.shape.length - 1]!, inputs: [from] });
  return { kind: 'data', shape: x.shape };
}

/** Softmax: the classifier's end (proven as the argmax) when it makes the graph's output, else along rows. */
function softmax(ctx: NodeContext): DataValue {
  if (ctx.opset < 13) return classifierEnd(ctx, ctx.int('axis', 1), true);
  return ctx.isLast ? classifierEnd(ctx, ctx.int('axis', -1), false) : rowSoftmax(ctx, ctx.int('axis', -1));
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
  const { inShape } = image(ctx, x);
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
  const { inShape } = image(ctx, x);
  ctx.layers.push({ kind: 'pool', name: ctx.name, op, inShape, outShape: [1, 1, inShape[2]], pool: [inShape[0], inShape[1]], strides: [1, 1], padding: [0, 0, 0, 0] });
  return imageOutput(ctx, x, [1, 1, inShape[2]]);
}

export const DATA: Record<string, Handler<DataValue>> = {
  ...(RELABEL as Record<string, Handler<DataValue>>),

  Gemm(ctx) {
    if (ctx.input(0)?.kind !== 'data') throw ctx.unsupported('Gemm must take the data as A and constant weights as B');
    const b = matrix(ctx, 1, 'B');
    const transB = ctx.int('transB', 0) === 1;
    const [k, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
    const alpha = ctx.float('alpha', 1);
    const beta = ctx.float('beta', 1);
    const c = ctx.optionalConst(2, 'C');
    const bias = c ? perElement(ctx, { kind: 'data', shape: [1, n] }, c).map((v) => beta * v) : new Float64Array(n);
    const weight = (t: number, j: number) => alpha * b.values[transB ? j * k + t : t * n + j];
    const data = ctx.dataInput(0);
    // Rows of tokens [n, k] (nn.MultiheadAttention's output projection): each projected alike.
    if (data.shape.length === 2 && data.shape[0]! > 1 && ctx.int('transA', 0) === 0) return projectRows(ctx, data, k, n, weight, bias);
    const x = rowVector(ctx, data, ctx.int('transA', 0) === 1);
    return denseLayer(ctx, x, k, n, weight, bias);
  },

  MatMul(ctx) {
    if (ctx.input(0)?.kind !== 'data') throw ctx.unsupported('MatMul must take the data as A (constant weights, or data, as B)');
    if (ctx.input(1)?.kind === 'data') return matmulOfData(ctx);
    // numpy's matmul: [..., M, K] × [K, N] → [..., M, N]. One row (every axis but the last of size
    // 1, as nn.Linear on a [1, 1, K] sequence gives) is one dense layer; the rows of a 3-D or
    // higher input are tokens, each projected by the same weights.
    const data = ctx.dataInput(0);
    const oneRow = data.shape.length >= 2 && data.shape.slice(0, -1).every((d) => d === 1);
    if (!oneRow && data.shape.length > 2) {
      const b = matrix(ctx, 1, 'B');
      const [k, m] = b.shape as [number, number];
      return projectRows(ctx, data, k, m, (t, j) => b.values[t * m + j]!, new Float64Array(m));
    }
    const x = oneRow ? data : rowVector(ctx, data, false);
    const b = matrix(ctx, 1, 'B');
    const [k, n] = b.shape;
    const row = denseLayer(ctx, x, k, n, (t, j) => b.values[t * n + j], new Float64Array(n));
    return { ...row, shape: [...x.shape.slice(0, -1), n] };
  },

  Conv(ctx) {
    const x = ctx.dataInput(0);
    const { inShape } = image(ctx, x);
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
    // ONNX W[oc][g][ky][kx] → the float graph's rows [oc][ky][kx][g], then spread over the dilated window.
    const taps = kernel[0] * kernel[1] * perGroup;
    const rows = Float64Array.from({ length: outChannels * taps }, (_, at) => {
      const [oc, t] = [Math.floor(at / taps), at % taps];
      const [position, g] = [Math.floor(t / perGroup), t % perGroup];
      return w.values[(oc * perGroup + g) * kernel[0] * kernel[1] + position];
    });
    const { window, weights } = dilateKernel(rows, outChannels, kernel, perGroup, dilations);
    const padding = windowPadding(ctx, inShape, window, strides, rank);
    const out = outputShape(ctx, inShape, window, strides, padding);
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

  LayerNormalization(ctx) {
    // opset 17: y = (x - mean) / sqrt(var + epsilon) * Scale + B over the axes from `axis` on; zkinfer normalises the last axis.
    const x = ctx.dataInput(0);
    const rank = x.shape.length;
    const axis = axisOf(ctx.int('axis', -1), rank);
    if (axis !== rank - 1) throw ctx.unsupported(`axis ${ctx.int('axis', -1)} of [${x.shape.join(', ')}] is not supported: zkinfer normalises over the last axis only`);
    if (x.order && !isIdentity(x.order)) throw ctx.unsupported(`its input [${x.shape.join(', ')}] is not laid out in its own order in the float graph (a Transpose or an NCHW image before it): the last axis must be contiguous`);
    const size = x.shape[rank - 1]!;
    const param = (k: number, what: string) => {
      const c = ctx.optionalConst(k, what);
      if (c && c.values.length !== size) throw ctx.unsupported(`${what} must have ${size} values, one per index of the last axis, found [${c.shape.join(', ')}]`);
      return c ? Float64Array.from(c.values) : undefined;
    };
    const [gamma, beta] = [param(1, 'Scale'), param(2, 'B')];
    ctx.layers.push({ kind: 'norm', name: ctx.name, mode: 'layer', size, epsilon: ctx.float('epsilon', 1e-5), ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}) });
    return x;
  },

  Add: arithmetic,
  Sub: arithmetic,
  Mul: arithmetic,
  Div: arithmetic,
  Sum: ofTensors,
  Mean: ofTensors,
  Concat: concat,
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
    if (clampRelu(ctx.foldInto, min, max)) return ctx.dataInput(0);
    if (min !== 0 || !(max > 0)) throw ctx.unsupported(`Clip(${min}, ${max}) is not supported: Clip(0, max) is (ReLU, ReLU6), and a Clip(min ≤ 0, max) of a ReLU's output`);
    return activation(ctx, max === Infinity ? { kind: 'relu' } : { kind: 'relu', max });
  },
  PRelu(ctx) {
    // One slope, or one per channel ([C], [C, 1, 1]) or per element: broadcast to the data, in the float graph's order.
    const x = ctx.dataInput(0);
    const slopes = inFloatOrder(x, perElement(ctx, x, ctx.constInput(1, 'slope')));
    return activation(ctx, leakyRelu(Array.from(slopes), (m) => ctx.unsupported(m)));
  },

  Pad(ctx) {
    const x = ctx.dataInput(0);
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
    // Padding by nothing changes nothing (torch 1.13 writes one before each AvgPool2d): no layer.
    if ([...begin, ...end].every((p) => p === 0)) return x;
    const { inShape } = image(ctx, x);
    const padding: Padding4 = rank === 4 ? [begin[2], begin[3], end[2], end[3]] : [0, begin[2], 0, end[2]];
    const outShape: Shape3 = [inShape[0] + padding[0] + padding[2], inShape[1] + padding[1] + padding[3], inShape[2]];
    const layer: FloatLayer = { kind: 'pad', name: ctx.name, inShape, outShape, padding };
    ctx.layers.push(layer);
    return imageOutput(ctx, x, outShape);
  },

  // Table activations (model/tables.ts), wherever they are: a final Sigmoid is proven as the probability.
  Sigmoid: (ctx) => table(ctx, { name: 'sigmoid' }),
  Tanh: (ctx) => table(ctx, { name: 'tanh' }),
  Gelu(ctx) {
    const approximate = ctx.string('approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh') throw ctx.invalid(`approximate '${approximate}' must be 'none' or 'tanh'`);
    return table(ctx, { name: approximate === 'tanh' ? 'geluTanh' : 'gelu' });
  },
  Elu: (ctx) => table(ctx, { name: 'elu', alpha: ctx.float('alpha', 1) }),
  Softplus: (ctx) => table(ctx, { name: 'softplus' }),
  HardSigmoid: (ctx) => table(ctx, { name: 'hardSigmoid', alpha: ctx.float('alpha', 0.2), beta: ctx.float('beta', 0.5) }),
  HardSwish: (ctx) => table(ctx, { name: 'hardSwish' }),
  /** Made by patterns.ts from x * Sigmoid(x). */
  [SILU_OP]: (ctx) => table(ctx, { name: 'silu' }),
  Softmax: softmax,
  Slice: sliceProjection,
  LogSoftmax: (ctx) => (ctx.opset >= 13 ? classifierEnd(ctx, ctx.int('axis', -1), false) : classifierEnd(ctx, ctx.int('axis', 1), true)),
  ArgMax(ctx) {
    if (ctx.int('select_last_index', 0) !== 0) throw ctx.unsupported('select_last_index = 1 is not supported: the circuit picks the first largest logit');
    return classifierEnd(ctx, ctx.int('axis', 0), false);
  },
};
