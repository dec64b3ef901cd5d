/**
 * ONNX nodes computed when loading: the relabels (Identity, Dropout, Reshape, Flatten, Squeeze,
 * Unsqueeze, Transpose) for constants and the data alike, and FOLD, the table of ops on constants
 * (initializers, Constant nodes, and the shape arithmetic exporters write around Flatten and
 * Reshape, which is constant once the input shape is fixed).
 */
import type { NodeContext } from './node.js';
import { type ConstValue, type DataValue, type Value, MAX_ELEMENTS, axisOf, broadcastIndex, broadcastShape, reshapeTarget, sizeOfShape, transposeIndex } from './tensors.js';

export type Handler<V extends Value> = (ctx: NodeContext) => V;

const list = (c: ConstValue) => Array.from(c.values);

export function intsInput(ctx: NodeContext, k: number, what: string): number[] {
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

export function normalizedAxes(ctx: NodeContext, axes: number[], rank: number): number[] {
  return axes.map((a) => {
    const axis = axisOf(a, rank);
    if (axis === undefined) throw ctx.invalid(`axis ${a} is out of range for rank ${rank}`);
    return axis;
  });
}

/** Transposing the data moves nothing: element i of the result is element index[i] of x, where x keeps it. */
export function transposeData(x: DataValue, perm: readonly number[]): DataValue {
  const { shape, index } = transposeIndex(x.shape, perm);
  return { kind: 'data', shape, order: Int32Array.from(index, (i) => (x.order ? x.order[i] : i)) };
}

/** The handlers that only relabel, for constants and data alike. */
export const RELABEL: Record<string, Handler<Value>> = {
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

