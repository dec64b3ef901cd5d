/**
 * ONNX tensors as the importer holds them: constants (initializers, Constant nodes, and what
 * folding them gives) with their values, and the data (the model's running activation) with its
 * shape only. Pure index arithmetic on row-major tensors lives here too: broadcasting, transposing,
 * and where an NCHW tensor's elements lie when the float graph stores it channels last.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type TensorProto = InstanceType<typeof onnx.TensorProto>;

/** A tensor whose values are known when the model is loaded. Integers are exact below 2^53. */
export interface ConstValue {
  kind: 'const';
  dtype: 'float' | 'int' | 'bool';
  shape: number[];
  values: Float64Array;
}

/**
 * The model's activation: its ONNX shape (batch included, as 1) and where its elements are in the
 * float graph's flat tensor. order[i] is the float graph's index of the element at row-major index
 * i of the ONNX shape; absent means the same order. Reshapes and transposes only relabel: they
 * change the shape and the order, never the float graph.
 */
export interface DataValue {
  kind: 'data';
  shape: number[];
  order?: Int32Array;
  /** The float layer holding it (-1: the model's input); set by the walk (index.ts). */
  layer?: number;
  /** Whether its layer's value is read elsewhere too (a tensor with several consumers, or relabeled from one). */
  shared?: boolean;
}

export type Value = ConstValue | DataValue;

export const sizeOfShape = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The most elements a tensor the importer builds may have: far beyond any model zkinfer can prove
 * (a circuit has a few million constraints), and small enough that a hostile shape in a file
 * (huge pads, a ConstantOfShape) is refused instead of exhausting memory.
 */
export const MAX_ELEMENTS = 1 << 24;

/** An int64 field as protobufjs gives it (a number or a Long), as a number; undefined past 2^53. */
export function int64(value: number | { toString(): string }): number | undefined {
  const n = typeof value === 'number' ? value : Number(value.toString());
  return Number.isSafeInteger(n) ? n : undefined;
}

const DTYPES: Record<number, { name: string; dtype: ConstValue['dtype']; bytes: number; read?: (view: DataView, offset: number) => number }> = {
  [onnx.TensorProto.DataType.FLOAT]: { name: 'float32', dtype: 'float', bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  [onnx.TensorProto.DataType.DOUBLE]: { name: 'float64', dtype: 'float', bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  [onnx.TensorProto.DataType.INT64]: { name: 'int64', dtype: 'int', bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  [onnx.TensorProto.DataType.INT32]: { name: 'int32', dtype: 'int', bytes: 4, read: (v, o) => v.getInt32(o, true) },
  [onnx.TensorProto.DataType.INT8]: { name: 'int8', dtype: 'int', bytes: 1, read: (v, o) => v.getInt8(o) },
  [onnx.TensorProto.DataType.UINT8]: { name: 'uint8', dtype: 'int', bytes: 1, read: (v, o) => v.getUint8(o) },
  [onnx.TensorProto.DataType.BOOL]: { name: 'bool', dtype: 'bool', bytes: 1, read: (v, o) => v.getUint8(o) },
  [onnx.TensorProto.DataType.FLOAT16]: { name: 'float16', dtype: 'float', bytes: 2 },
};

/** The name of an ONNX element type, for messages. */
export function dtypeName(dataType: number | null | undefined): string {
  return DTYPES[dataType ?? 0]?.name ?? `type ${dataType ?? 'undefined'}`;
}

/** A TensorProto's values, or a message saying what is wrong with it. */
export function decodeTensor(tensor: TensorProto): ConstValue | string {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return 'is stored in an external file; save the model with all its tensors inside it';
  const type = DTYPES[tensor.dataType ?? 0];
  if (!type?.read) return `has element type ${dtypeName(tensor.dataType)}; zkinfer reads float32, float64, int64, int32, int8, uint8 and bool tensors`;
  const shape = (tensor.dims ?? []).map(int64);
  if (shape.some((d) => d === undefined || d < 0)) return `has an invalid shape [${(tensor.dims ?? []).join(', ')}]`;
  const dims = shape as number[];
  const size = sizeOfShape(dims);
  let values: Float64Array;
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== size * type.bytes) return `holds ${raw.length} bytes where its shape [${dims.join(', ')}] needs ${size * type.bytes}`;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    values = new Float64Array(size);
    for (let i = 0; i < size; i++) values[i] = type.read(view, i * type.bytes);
  } else {
    const field = tensor.floatData?.length ? tensor.floatData : tensor.doubleData?.length ? tensor.doubleData : tensor.int64Data?.length ? tensor.int64Data : tensor.int32Data ?? [];
    const numbers = (field as (number | { toString(): string })[]).map((v) => (typeof v === 'number' ? v : Number(v.toString())));
    if (numbers.length !== size) return `holds ${numbers.length} values where its shape [${dims.join(', ')}] needs ${size}`;
    values = Float64Array.from(numbers);
  }
  if (type.dtype === 'float' && values.some((v) => !Number.isFinite(v))) return 'holds a value that is not a finite number';
  return { kind: 'const', dtype: type.dtype, shape: dims, values };
}

/** Numpy broadcasting of `from` to `to`: for each index of `to`, the index of `from`; undefined when they do not broadcast. */
export function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array | undefined {
  if (from.length > to.length) return undefined;
  const padded = [...new Array<number>(to.length - from.length).fill(1), ...from];
  if (padded.some((d, k) => d !== 1 && d !== to[k])) return undefined;
  const index = new Int32Array(sizeOfShape(to));
  const strides = stridesOf(padded);
  for (let i = 0; i < index.length; i++) {
    let rest = i;
    let at = 0;
    for (let k = to.length - 1; k >= 0; k--) {
      const coordinate = rest % to[k];
      rest = Math.floor(rest / to[k]);
      if (padded[k] !== 1) at += coordinate * strides[k];
    }
    index[i] = at;
  }
  return index;
}

/** The shape two shapes broadcast to, or undefined. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const shape: number[] = [];
  for (let k = 0; k < rank; k++) {
    const x = a[a.length - rank + k] ?? 1;
    const y = b[b.length - rank + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    shape.push(x === 1 ? y : x);
  }
  return shape;
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = stride;
    stride *= shape[k];
  }
  return strides;
}

/** Transposing a tensor of `shape` by `perm`: its new shape, and for each new index the old one. */
export function transposeIndex(shape: readonly number[], perm: readonly number[]): { shape: number[]; index: Int32Array } {
  const out = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const index = new Int32Array(sizeOfShape(shape));
  for (let i = 0; i < index.length; i++) {
    let rest = i;
    let at = 0;
    for (let k = out.length - 1; k >= 0; k--) {
      at += (rest % out[k]) * inStrides[perm[k]];
      rest = Math.floor(rest / out[k]);
    }
    index[i] = at;
  }
  return { shape: out, index };
}

/**
 * Where the float graph keeps an ONNX tensor [1, C, ...spatial] when it holds it channels last:
 * element (c, s) at s * C + c. This is the order Conv, pooling and Pad need their input in.
 */
export function channelsLastOrder(shape: readonly number[]): Int32Array {
  const channels = shape[1];
  const spatial = sizeOfShape(shape.slice(2));
  const order = new Int32Array(channels * spatial);
  for (let c = 0; c < channels; c++) for (let s = 0; s < spatial; s++) order[c * spatial + s] = s * channels + c;
  return order;
}

/**
 * The data's order as a transpose of a row-major tensor (model/ir.ts's TransposeOp: output axis a
 * is input axis perm[a]), or undefined when it is not one: what PyTorch's head splits and merges
 * (a Reshape and a Transpose, in either order) leave. The flat order is factored from its fastest
 * axis up, each axis the longest run of equal steps through the float graph at the axes below it;
 * those steps, largest first, must be the row-major strides of the stored tensor, and every
 * element must lie where they say.
 */
export function axisPermutation(order: Int32Array): { inShape: number[]; perm: number[] } | undefined {
  const n = order.length;
  if (n === 0 || order[0] !== 0) return undefined;
  const sizes: number[] = [];
  const steps: number[] = [];
  for (let block = 1; block < n; ) {
    const step = order[block]!;
    let size = 2;
    while (block * size < n && order[block * size] === size * step) size++;
    if (n % (block * size) !== 0) return undefined;
    sizes.unshift(size);
    steps.unshift(step);
    block *= size;
  }
  const byStep = sizes.map((_, k) => k).sort((x, y) => steps[y]! - steps[x]!);
  const inShape = byStep.map((k) => sizes[k]!);
  const rowMajor = stridesOf(inShape);
  if (byStep.some((k, rank) => steps[k] !== rowMajor[rank])) return undefined;
  for (let i = 0; i < n; i++) {
    let [rest, at] = [i, 0];
    for (let k = sizes.length - 1; k >= 0; k--) {
      at += (rest % sizes[k]!) * steps[k]!;
      rest = Math.floor(rest / sizes[k]!);
    }
    if (order[i] !== at) return undefined;
  }
  return sizes.length === 0 ? { inShape: [1], perm: [0] } : { inShape, perm: sizes.map((_, k) => byStep.indexOf(k)) };
}

export function isIdentity(order: Int32Array | undefined): boolean {
  return !order || order.every((p, i) => p === i);
}

export function sameOrder(a: Int32Array | undefined, b: Int32Array | undefined): boolean {
  if (!a || !b) return isIdentity(a ?? b);
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** Resolve an ONNX Reshape target (0 copies a dimension unless allowzero, one -1 is inferred) for `size` elements. */
export function reshapeTarget(from: readonly number[], target: readonly number[], allowZero: boolean): number[] | string {
  const shape = target.map((d, k) => (d === 0 && !allowZero ? from[k] : d));
  if (shape.some((d) => d === undefined || d < -1)) return `shape [${target.join(', ')}] is not valid for an input of shape [${from.join(', ')}]`;
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) return `shape [${target.join(', ')}] has more than one -1`;
  const size = sizeOfShape(from);
  const known = sizeOfShape(shape.filter((d) => d !== -1));
  if (inferred === 1) {
    if (known === 0 || size % known !== 0) return `shape [${target.join(', ')}] does not divide ${size} elements`;
    return shape.map((d) => (d === -1 ? size / known : d));
  }
  if (known !== size) return `shape [${target.join(', ')}] holds ${known} elements, its input [${from.join(', ')}] has ${size}`;
  return shape;
}

/** Normalize a possibly negative axis for a tensor of `rank`; undefined when out of range. */
export function axisOf(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}
