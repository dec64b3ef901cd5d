/**
 * The quantized model (QModel): what a circuit computes, as data. Every value is an integer;
 * scales only say how to read those integers as the float model's numbers. Tensors are flat,
 * row-major arrays (channels last, as in TF.js), so reshapes cost nothing and are not ops.
 * The ops form a graph in topological order: each op reads the outputs of earlier ops named by
 * `inputs` (-1 is the model's input), by default the op just before it, so that a chain needs
 * no `inputs` at all. One output may feed several ops.
 *
 * The integer semantics of each op are defined in model/reference.ts; the bounds in model/bounds.ts.
 * A new op kind must be added to the union below, and then type-checks fail until it has a
 * quantizer, a reference step, a bound rule, an emitter and a cost.
 */
import { ArtifactError, InputError, quoted } from '../core/errors.js';
import { type ConvGeometry, type Padding4, type PoolGeometry, type Shape3, averageMultipliers, windowOutput } from './geometry.js';
import { MAX_TABLE_BITS, TABLE_FUNCTION_NAMES, type TableFunction } from './tables.js';

/** What every op has: its name, and where its input(s) come from. */
interface OpBase {
  name: string;
  /** Indices of the ops whose outputs it reads, in order; -1 is the model's input. Absent: the op before it (-1 for the first). */
  inputs?: number[];
}

export const QMODEL_FORMAT = 'zkinfer-qmodel/1';

export interface QInput {
  /** Shape of one input without the batch dimension, e.g. [196] or [28, 28, 1]. */
  shape: number[];
  /** Integer width: values are in [0, 2^bits) when unsigned, [-2^(bits-1), 2^(bits-1)) when signed. */
  bits: number;
  signed: boolean;
  /** float = integer * scale */
  scale: number;
}

/** y[j] = bias[j] + sum_i weights[j][i] * x[i], exactly. Free in a circuit: weights are constants. */
export interface DenseOp extends OpBase {
  kind: 'dense';
  inputSize: number;
  outputSize: number;
  weights: number[][];
  bias: number[];
  /** Scale of each output integer (per output channel). */
  scale: number[];
}

/**
 * y[oy, ox, oc] = bias[oc] + sum_t weights[oc][t] * x[input of term t], exactly; the terms of a
 * window are walked by convTerms (model/geometry.ts) in (ky, kx, g) order, padding contributing
 * nothing. groups = input channels makes it depthwise. Free in a circuit, as a dense layer is.
 */
export interface Conv2DOp extends ConvGeometry, OpBase {
  kind: 'conv2d';
  /** One row per output channel, kernel[0] * kernel[1] * (input channels / groups) long. */
  weights: number[][];
  bias: number[];
  /** Scale of each output channel. */
  scale: number[];
}

/**
 * y = multiplier * (sum of the window's valid inputs), exactly (averageMultipliers in
 * model/geometry.ts): the average's division moves into the scale, where the next requantization
 * absorbs it. Free in a circuit.
 */
export interface AvgPoolOp extends PoolGeometry, OpBase {
  kind: 'avgPool';
}

/** y = the largest of the window's valid inputs. */
export interface MaxPoolOp extends PoolGeometry, OpBase {
  kind: 'maxPool';
}

/** ZeroPadding2D: the input, surrounded by zeros. */
export interface PadOp extends OpBase {
  kind: 'pad';
  inShape: Shape3;
  outShape: Shape3;
  padding: Padding4;
}

/**
 * What a rescale applies after rounding:
 * - linear: y = q
 * - relu: y = max(0, q), then min(y, max[j]) when max is given (relu6, clipped ReLU)
 * - leaky: y = q * 2^bits when q >= 0, else q * numerator (a slope of numerator / 2^bits, kept
 *   exact by scaling the output by 2^-bits instead of rounding); one numerator for every element,
 *   or one per element (PReLU's slope per channel), over the same 2^bits
 */
export type RescaleActivation = { kind: 'linear' } | { kind: 'relu'; max?: number[] } | { kind: 'leaky'; numerator: number | number[]; bits: number };

/** The leaky slope's numerator of element j. */
export function leakNumerator(activation: { numerator: number | readonly number[] }, j: number): number {
  return typeof activation.numerator === 'number' ? activation.numerator : activation.numerator[j]!;
}

/**
 * q[j] = floor((x[j] + 2^(shift[j]-1)) / 2^shift[j]) (round half up; shift 0 is the identity),
 * then the activation. Rescaling and the activation share one bounded bit decomposition in the circuit.
 */
export interface RescaleOp extends OpBase {
  kind: 'rescale';
  shift: number[];
  activation: RescaleActivation;
}

/**
 * A table activation (model/tables.ts): q[j] = the rescaled x[j] as in a rescale, saturated to the
 * codes [-2^(bits-1), 2^(bits-1)), then y[j] = table[q[j] + 2^(bits-1)]. The table is the
 * definition; fn, inScale and outScale say what it tabulates (table[i] is f((i - 2^(bits-1)) *
 * inScale) / outScale, rounded). Every output has the scale outScale.
 */
export interface TableOp extends OpBase {
  kind: 'table';
  fn: TableFunction;
  shift: number[];
  bits: number;
  inScale: number;
  outScale: number;
  table: number[];
}

/**
 * Softmax along rows of rowSize values (model/softmax.ts defines it): each row's probabilities as
 * integers p_i in [0, 2^probabilityBits], read as p_i / 2^probabilityBits. The exp of x_i - max is
 * a table op's step (shift, bits, table); table[2^(bits-1)] = 2^expBits is e^0.
 */
export interface SoftmaxOp extends OpBase {
  kind: 'softmax';
  rowSize: number;
  shift: number;
  bits: number;
  /** The scale of a code after the shift (what the table tabulates). */
  inScale: number;
  expBits: number;
  probabilityBits: number;
  table: number[];
}

/**
 * LayerNorm (mode 'layer') or RMSNorm ('rms') along rows of rowSize values (model/norm.ts defines
 * it): y_i = D_i · floor(2^rsqrtBits / sqrt(Σ D² + epsilon)), read as the normalised value times
 * 2^rsqrtBits / √rowSize. gamma and beta follow as a linear op.
 */
export interface NormOp extends OpBase {
  kind: 'norm';
  mode: 'layer' | 'rms';
  rowSize: number;
  /** ε in the integers' units (>= 1). */
  epsilon: number;
  rsqrtBits: number;
}

/** The index of the first maximum: the predicted class. */
export interface ArgmaxOp extends OpBase {
  kind: 'argmax';
}

/**
 * y[j] = bias[j] + sum_i weights[i][j] * x_i[j] over its inputs x_i (all of one size), exactly.
 * Two inputs: a residual Add or a Sub of two tensors, their scales aligned by the integer weights;
 * one input: an Add, Sub or Mul by constants. Free in a circuit: weights are constants.
 */
export interface AddOp extends OpBase {
  kind: 'add';
  /** One row per input, one integer per element. */
  weights: number[][];
  bias: number[];
  /** Scale of each output integer. */
  scale: number[];
}

/**
 * The inputs side by side along the channels of [H, W, C] tensors of the same H and W (flat
 * tensors are [1, 1, n]): output (y, x) holds input 0's channels at (y, x), then input 1's, and
 * so on. Free in a circuit: it only names values.
 */
export interface ConcatOp extends OpBase {
  kind: 'concat';
  inShapes: Shape3[];
  outShape: Shape3;
}

/** y[j] = a[j] * b[j] of its two inputs, exactly: one R1CS multiplication per element. */
export interface MulOp extends OpBase {
  kind: 'mul';
}

/**
 * A batched product of two activations, a of shape [batch, rows, inner] and b of [batch, inner,
 * cols] (flat, row-major), into [batch, rows, cols]: y[h, i, j] = sum_t a[h, i, t] * b[h, t, j],
 * exactly, no bias. Attention's Q·Kᵀ (heads as the batch, K transposed first) and
 * attention · V. One R1CS multiplication per term whose factors both vary; the sum is free.
 */
export interface MatMulOp extends OpBase {
  kind: 'matmul';
  batch: number;
  rows: number;
  inner: number;
  cols: number;
}

/**
 * The input, of shape inShape, with its axes permuted: output axis a is input axis perm[a] (as
 * ONNX's and NumPy's transpose). Splitting heads, Kᵀ and merging heads are transposes (reshapes
 * cost nothing: tensors are flat). Free in a circuit: it only names values.
 */
export interface TransposeOp extends OpBase {
  kind: 'transpose';
  inShape: number[];
  perm: number[];
}

export type QOp = DenseOp | Conv2DOp | AvgPoolOp | MaxPoolOp | PadOp | RescaleOp | TableOp | SoftmaxOp | NormOp | ArgmaxOp | AddOp | ConcatOp | MulOp | MatMulOp | TransposeOp;
export type QOpKind = QOp['kind'];

export interface QuantizationInfo {
  weightBits: number;
  /** The activation resolution in bits (the largest, when layers differ). */
  activationBits: number;
  /** Per layer with weights, when they differ. */
  layerActivationBits?: number[];
  /** The width of the layers that took the wide width (model/quantize wideLayers), when any did. */
  wideActivationBits?: number;
  /** Where activation ranges came from: a calibration set, or the weights alone (worst case). */
  ranges: 'calibration' | 'weights';
  calibrationSamples: number;
}

export interface QModel {
  format: typeof QMODEL_FORMAT;
  name: string;
  input: QInput;
  ops: QOp[];
  labels?: string[];
  quantization: QuantizationInfo;
}

export function inputRange(input: QInput): { min: number; max: number } {
  return input.signed
    ? { min: -(2 ** (input.bits - 1)), max: 2 ** (input.bits - 1) - 1 }
    : { min: 0, max: 2 ** input.bits - 1 };
}

/** float → integer: round(x / scale), refusing non-finite values and values outside the input range. */
export function quantizeInput(values: readonly number[], spec: QInput, where = 'input'): number[] {
  const { min, max } = inputRange(spec);
  return values.map((x, i) => {
    if (!Number.isFinite(x)) throw new InputError(`${where}[${i}] is ${x}: inputs must be finite numbers`);
    const q = Math.round(x / spec.scale);
    if (q < min || q > max) {
      throw new InputError(
        `${where}[${i}] = ${x} is outside the model's input range [${min * spec.scale}, ${max * spec.scale}]`,
        { details: { index: i, value: x, quantized: q, min, max } },
      );
    }
    return q === 0 ? 0 : q; // no -0
  });
}

export function inputSize(input: QInput): number {
  return input.shape.reduce((a, b) => a * b, 1);
}

/** The ops whose outputs op k reads, in order (-1: the model's input). */
export function opInputs(model: Pick<QModel, 'ops'>, k: number): number[] {
  return model.ops[k].inputs ?? [k - 1];
}

/** The first op that makes the model a graph (add, concat, mul, or reading other than the op before it); -1 for a chain. */
export function firstGraphOp(model: QModel): number {
  return model.ops.findIndex((op, k) => op.kind === 'add' || op.kind === 'concat' || op.kind === 'mul' || op.kind === 'matmul' || opInputs(model, k).some((i) => i !== k - 1));
}

/**
 * Run `step` over the ops in order, each given the values of its inputs (`input` for the model's
 * input): every op's value, in order. The one walk of the graph that the interpreters share.
 */
export function walkOps<T>(model: QModel, input: T, step: (op: QOp, inputs: T[], k: number) => T): T[] {
  const values: T[] = [];
  model.ops.forEach((op, k) => values.push(step(op, opInputs(model, k).map((i) => (i < 0 ? input : values[i])), k)));
  return values;
}

/** The op whose output is the logits: the input of a final argmax, else the last op. */
export function logitsOpIndex(model: QModel): number {
  const last = model.ops.length - 1;
  return model.ops[last]?.kind === 'argmax' ? opInputs(model, last)[0] : last;
}

export function hasArgmax(model: Pick<QModel, 'ops'>): boolean {
  return model.ops[model.ops.length - 1]?.kind === 'argmax';
}

/**
 * The op whose outputs are the model's probabilities (`--output probabilities`): a softmax just
 * before the final argmax, reading the logits as the argmax does, so the class stays the logits'
 * argmax. -1 when the model has none.
 */
export function probabilitiesOpIndex(model: Pick<QModel, 'ops'>): number {
  const k = model.ops.length - 2;
  const op = model.ops[k];
  return hasArgmax(model) && op?.kind === 'softmax' && opInputs(model, k)[0] === opInputs(model, k + 1)[0] ? k : -1;
}

const volume = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** How many values an op outputs, given how many its (first) input holds. */
export function outputSize(op: QOp, size: number): number {
  switch (op.kind) {
    case 'dense':
      return op.outputSize;
    case 'argmax':
      return 1;
    case 'matmul':
      return op.batch * op.rows * op.cols;
    case 'rescale':
    case 'transpose':
    case 'add':
    case 'mul':
    case 'table':
    case 'softmax':
    case 'norm':
      return size;
    default:
      return volume(op.outShape);
  }
}

/** Number of values each op outputs, in order. */
export function opSizes(model: QModel): number[] {
  return walkOps(model, inputSize(model.input), (op, [size]) => outputSize(op, size));
}

/** Where each element of a concat's output comes from: [input, element of that input]. */
export function concatSources(op: ConcatOp): [number, number][] {
  const [h, w] = op.outShape;
  const sources: [number, number][] = [];
  for (let p = 0; p < h * w; p++) op.inShapes.forEach((shape, i) => {
    for (let c = 0; c < shape[2]; c++) sources.push([i, p * shape[2] + c]);
  });
  return sources;
}

/** Where each element of a transpose's output comes from: its index in the input. */
export function transposeSources(op: Pick<TransposeOp, 'inShape' | 'perm'>): number[] {
  const rank = op.inShape.length;
  // Input strides, then the output walked in row-major order with an odometer over its axes.
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * op.inShape[a + 1];
  const outShape = op.perm.map((a) => op.inShape[a]);
  const outStrides = op.perm.map((a) => strides[a]);
  const index = new Array<number>(rank).fill(0);
  const sources = new Array<number>(volume(op.inShape));
  for (let k = 0, at = 0; k < sources.length; k++) {
    sources[k] = at;
    for (let a = rank - 1; a >= 0; a--) {
      index[a]++;
      at += outStrides[a];
      if (index[a] < outShape[a]) break;
      at -= outStrides[a] * outShape[a];
      index[a] = 0;
    }
  }
  return sources;
}

/** Per-channel scales of a [H, W, C] tensor whose scales depend on the channel only. */
const byChannel = (shape: Shape3, channelScale: (c: number) => number) => Array.from({ length: volume(shape) }, (_, i) => channelScale(i % shape[2]));

/** The scale of each output value of every op (argmax outputs an index: scale 1). */
export function opScales(model: QModel): number[][] {
  return walkOps(model, new Array<number>(inputSize(model.input)).fill(model.input.scale), (op, inputs) => {
    const input = inputs[0];
    switch (op.kind) {
      case 'dense':
        return op.scale;
      case 'conv2d':
        return byChannel(op.outShape, (c) => op.scale[c]);
      case 'avgPool': {
        const { lcm } = averageMultipliers(op);
        return byChannel(op.outShape, (c) => input[c] / lcm);
      }
      case 'maxPool':
      case 'pad':
        return byChannel(op.outShape, (c) => input[c]);
      case 'rescale': {
        const a = op.activation;
        return input.map((s, j) => s * 2 ** op.shift[j] * (a.kind === 'leaky' ? 2 ** -a.bits : 1));
      }
      case 'add':
        return op.scale;
      case 'concat':
        return concatSources(op).map(([i, e]) => inputs[i][e]);
      case 'mul':
        return input.map((s, j) => s * inputs[1][j]);
      case 'matmul': {
        // The quantizer gives each input one scale along the summed axis: term 0's scale is every term's.
        const out: number[] = [];
        for (let h = 0; h < op.batch; h++) for (let i = 0; i < op.rows; i++) for (let j = 0; j < op.cols; j++) out.push(input[(h * op.rows + i) * op.inner] * inputs[1][h * op.inner * op.cols + j]);
        return out;
      }
      case 'transpose':
        return transposeSources(op).map((i) => input[i]);
      case 'table':
        return input.map(() => op.outScale);
      case 'softmax':
        return input.map(() => 2 ** -op.probabilityBits);
      case 'norm':
        return input.map(() => Math.sqrt(op.rowSize) * 2 ** -op.rsqrtBits);
      case 'argmax':
        return [1];
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Validation of a QModel read from disk: every field checked, errors name the field.

class Checker {
  constructor(readonly file: string) {}
  fail(where: string, problem: string): never {
    throw new ArtifactError('ARTIFACT_INVALID', `${this.file}: ${where} ${problem}`, this.file);
  }
  object(value: unknown, where: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(where, 'must be an object');
    return value as Record<string, unknown>;
  }
  array(value: unknown, where: string, length?: number): unknown[] {
    if (!Array.isArray(value)) this.fail(where, 'must be an array');
    if (length !== undefined && value.length !== length) this.fail(where, `must have ${length} entries, found ${value.length}`);
    return value;
  }
  string(value: unknown, where: string): string {
    if (typeof value !== 'string' || value.length === 0 || value.length > 200) this.fail(where, 'must be a non-empty string');
    return value;
  }
  int(value: unknown, where: string, min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(where, `must be an integer, found ${quoted(value)}`);
    if (value < min || value > max) this.fail(where, `must be in [${min}, ${max}], found ${value}`);
    return value;
  }
  positive(value: unknown, where: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) this.fail(where, `must be a positive number, found ${quoted(value)}`);
    return value;
  }
  ints(value: unknown, where: string, length: number, min?: number, max?: number): number[] {
    return this.array(value, where, length).map((v, i) => this.int(v, `${where}[${i}]`, min, max));
  }
  shape3(value: unknown, where: string): Shape3 {
    return this.ints(value, where, 3, 1, 1 << 16) as Shape3;
  }
  /** A conv or pool window: shapes, window, strides and padding that agree with each other and the input. */
  window(o: Record<string, unknown>, where: string, windowKey: 'kernel' | 'pool', size: number): { inShape: Shape3; outShape: Shape3; window: [number, number]; strides: [number, number]; padding: Padding4 } {
    const inShape = this.shape3(o.inShape, `${where}.inShape`);
    const outShape = this.shape3(o.outShape, `${where}.outShape`);
    const window = this.ints(o[windowKey], `${where}.${windowKey}`, 2, 1, 1 << 12) as [number, number];
    const strides = this.ints(o.strides, `${where}.strides`, 2, 1, 1 << 12) as [number, number];
    const padding = this.ints(o.padding, `${where}.padding`, 4, 0, 1 << 12) as Padding4;
    if (volume(inShape) !== size) this.fail(`${where}.inShape`, `[${inShape}] must hold its input's ${size} values`);
    const [oh, ow] = windowOutput(inShape, window, strides, padding);
    if (oh < 1 || ow < 1 || oh !== outShape[0] || ow !== outShape[1]) this.fail(`${where}.outShape`, `must be [${oh}, ${ow}, …] for its window, strides and padding`);
    return { inShape, outShape, window, strides, padding };
  }
  activation(value: unknown, where: string, size: number): RescaleActivation {
    const a = this.object(value, where);
    if (a.kind === 'linear') return { kind: 'linear' };
    if (a.kind === 'relu') return a.max === undefined ? { kind: 'relu' } : { kind: 'relu', max: this.ints(a.max, `${where}.max`, size, 0) };
    if (a.kind === 'leaky') {
      const bits = this.int(a.bits, `${where}.bits`, 1, 24);
      const numerator = Array.isArray(a.numerator) ? this.ints(a.numerator, `${where}.numerator`, size, 1, 2 ** bits - 1) : this.int(a.numerator, `${where}.numerator`, 1, 2 ** bits - 1);
      return { kind: 'leaky', numerator, bits };
    }
    return this.fail(`${where}.kind`, `must be linear, relu or leaky, found ${quoted(a.kind)}`);
  }
  tableFunction(value: unknown, where: string): TableFunction {
    const f = this.object(value, where);
    const name = f.name as TableFunction['name'];
    if (!TABLE_FUNCTION_NAMES.includes(name)) this.fail(`${where}.name`, `must be one of ${TABLE_FUNCTION_NAMES.join(', ')}, found ${quoted(f.name)}`);
    const finite = (v: unknown, key: string) => (typeof v === 'number' && Number.isFinite(v) ? v : this.fail(`${where}.${key}`, `must be a finite number, found ${quoted(v)}`));
    if (name === 'hardSigmoid') return { name, alpha: finite(f.alpha, 'alpha'), beta: finite(f.beta, 'beta') };
    if (name === 'elu') return { name, alpha: finite(f.alpha, 'alpha') };
    return { name } as TableFunction;
  }
  /** A softmax op after `size` values (model/softmax.ts): the exp table must be e^0 = 2^expBits at code 0 and in [0, 2^expBits] elsewhere. */
  softmax(o: Record<string, unknown>, where: string, name: string, size: number): SoftmaxOp {
    const rowSize = this.int(o.rowSize, `${where}.rowSize`, 2, size);
    if (size % rowSize !== 0) this.fail(`${where}.rowSize`, `must divide its input's ${size} values, found ${rowSize}`);
    const bits = this.int(o.bits, `${where}.bits`, 1, MAX_TABLE_BITS);
    const expBits = this.int(o.expBits, `${where}.expBits`, 1, 24);
    const table = this.ints(o.table, `${where}.table`, 2 ** bits, 0, 2 ** expBits);
    if (table[2 ** (bits - 1)] !== 2 ** expBits) this.fail(`${where}.table[${2 ** (bits - 1)}]`, `must be e^0 = 2^expBits = ${2 ** expBits}, found ${table[2 ** (bits - 1)]}`);
    return {
      kind: 'softmax',
      name,
      rowSize,
      shift: this.int(o.shift, `${where}.shift`, 0, 64),
      bits,
      inScale: this.positive(o.inScale, `${where}.inScale`),
      expBits,
      probabilityBits: this.int(o.probabilityBits, `${where}.probabilityBits`, 1, 24),
      table,
    };
  }
  /** A table op after `size` values (model/tables.ts). */
  table(o: Record<string, unknown>, where: string, name: string, size: number): TableOp {
    const bits = this.int(o.bits, `${where}.bits`, 1, MAX_TABLE_BITS);
    return {
      kind: 'table',
      name,
      fn: this.tableFunction(o.fn, `${where}.fn`),
      shift: this.ints(o.shift, `${where}.shift`, size, 0, 64),
      bits,
      inScale: this.positive(o.inScale, `${where}.inScale`),
      outScale: this.positive(o.outScale, `${where}.outScale`),
      table: this.ints(o.table, `${where}.table`, 2 ** bits, -(2 ** 50), 2 ** 50),
    };
  }
}

/** Parse and validate a QModel from its JSON form; `file` names it in errors. */
export function parseQModel(json: unknown, file: string): QModel {
  const c: Checker = new Checker(file);
  const root = c.object(json, 'the QModel');
  if (root.format !== QMODEL_FORMAT) c.fail('format', `must be '${QMODEL_FORMAT}', found ${quoted(root.format)}`);
  const name = c.string(root.name, 'name');

  const rawInput = c.object(root.input, 'input');
  const shape = c.array(rawInput.shape, 'input.shape').map((v, i) => c.int(v, `input.shape[${i}]`, 1, 1 << 20));
  if (shape.length === 0 || shape.length > 4) c.fail('input.shape', 'must have 1 to 4 dimensions');
  if (typeof rawInput.signed !== 'boolean') c.fail('input.signed', 'must be true or false');
  const input: QInput = {
    shape,
    bits: c.int(rawInput.bits, 'input.bits', 1, 32),
    signed: rawInput.signed,
    scale: c.positive(rawInput.scale, 'input.scale'),
  };

  const ops: QOp[] = [];
  const sizes: number[] = [];
  const read = new Set<number>();
  const rawOps = c.array(root.ops, 'ops');
  if (rawOps.length === 0) c.fail('ops', 'must not be empty');
  rawOps.forEach((raw, index) => {
    const where = `ops[${index}]`;
    const o = c.object(raw, where);
    const opName = c.string(o.name, `${where}.name`);
    // Where its inputs come from: earlier ops only, so the list is in topological order.
    const arity = o.kind === 'add' ? [1, 16] : o.kind === 'concat' ? [2, 64] : o.kind === 'mul' || o.kind === 'matmul' ? [2, 2] : [1, 1];
    const inputs = o.inputs === undefined ? undefined : c.array(o.inputs, `${where}.inputs`).map((v, i) => c.int(v, `${where}.inputs[${i}]`, -1, index - 1));
    const from = inputs ?? [index - 1];
    if (from.length < arity[0] || from.length > arity[1]) c.fail(`${where}.inputs`, `must name ${arity[0] === arity[1] ? arity[0] : `${arity[0]} to ${arity[1]}`} input(s) for a ${quoted(o.kind)} op, found ${from.length}`);
    from.forEach((i) => read.add(i));
    const inSizes = from.map((i) => (i < 0 ? inputSize(input) : sizes[i]));
    let size = inSizes[0];
    const linked = inputs ? { inputs } : {};
    const push = (op: QOp) => ops.push({ ...op, ...linked });
    if (o.kind === 'dense') {
      const inSize = c.int(o.inputSize, `${where}.inputSize`, 1);
      if (inSize !== size) c.fail(`${where}.inputSize`, `must equal the size of its input (${size}), found ${inSize}`);
      const outSize = c.int(o.outputSize, `${where}.outputSize`, 1, 1 << 20);
      const weights = c.array(o.weights, `${where}.weights`, outSize).map((row, j) => c.ints(row, `${where}.weights[${j}]`, inSize));
      const bias = c.ints(o.bias, `${where}.bias`, outSize);
      const scale = c.array(o.scale, `${where}.scale`, outSize).map((s, j) => c.positive(s, `${where}.scale[${j}]`));
      push({ kind: 'dense', name: opName, inputSize: inSize, outputSize: outSize, weights, bias, scale });
      size = outSize;
    } else if (o.kind === 'conv2d') {
      const geometry = c.window(o, where, 'kernel', size);
      const groups = c.int(o.groups, `${where}.groups`, 1, geometry.inShape[2]);
      const [inC, outC] = [geometry.inShape[2], geometry.outShape[2]];
      if (inC % groups !== 0 || outC % groups !== 0) c.fail(`${where}.groups`, `must divide the input (${inC}) and output (${outC}) channels`);
      const rowLength = geometry.window[0] * geometry.window[1] * (inC / groups);
      const weights = c.array(o.weights, `${where}.weights`, outC).map((row, j) => c.ints(row, `${where}.weights[${j}]`, rowLength));
      const bias = c.ints(o.bias, `${where}.bias`, outC);
      const scale = c.array(o.scale, `${where}.scale`, outC).map((v, j) => c.positive(v, `${where}.scale[${j}]`));
      push({ kind: 'conv2d', name: opName, inShape: geometry.inShape, outShape: geometry.outShape, kernel: geometry.window, strides: geometry.strides, padding: geometry.padding, groups, weights, bias, scale });
      size = volume(geometry.outShape);
    } else if (o.kind === 'avgPool' || o.kind === 'maxPool') {
      const geometry = c.window(o, where, 'pool', size);
      if (geometry.outShape[2] !== geometry.inShape[2]) c.fail(`${where}.outShape`, 'must keep the number of channels');
      if (geometry.padding.some((p, i) => p >= geometry.window[i % 2])) c.fail(`${where}.padding`, 'must be smaller than the pool');
      push({ kind: o.kind, name: opName, inShape: geometry.inShape, outShape: geometry.outShape, pool: geometry.window, strides: geometry.strides, padding: geometry.padding });
      size = volume(geometry.outShape);
    } else if (o.kind === 'pad') {
      const inShape = c.shape3(o.inShape, `${where}.inShape`);
      const padding = c.ints(o.padding, `${where}.padding`, 4, 0, 1 << 12) as Padding4;
      const outShape: Shape3 = [inShape[0] + padding[0] + padding[2], inShape[1] + padding[1] + padding[3], inShape[2]];
      if (volume(inShape) !== size) c.fail(`${where}.inShape`, `must hold its input's ${size} values`);
      if (JSON.stringify(c.shape3(o.outShape, `${where}.outShape`)) !== JSON.stringify(outShape)) c.fail(`${where}.outShape`, `must be [${outShape}]`);
      push({ kind: 'pad', name: opName, inShape, outShape, padding });
      size = volume(outShape);
    } else if (o.kind === 'rescale') {
      push({ kind: 'rescale', name: opName, shift: c.ints(o.shift, `${where}.shift`, size, 0, 64), activation: c.activation(o.activation, `${where}.activation`, size) });
    } else if (o.kind === 'table') {
      push(c.table(o, where, opName, size));
    } else if (o.kind === 'softmax') {
      push(c.softmax(o, where, opName, size));
    } else if (o.kind === 'norm') {
      if (o.mode !== 'layer' && o.mode !== 'rms') c.fail(`${where}.mode`, `must be layer or rms, found ${quoted(o.mode)}`);
      const rowSize = c.int(o.rowSize, `${where}.rowSize`, 1, size);
      if (size % rowSize !== 0) c.fail(`${where}.rowSize`, `must divide its input's ${size} values, found ${rowSize}`);
      push({ kind: 'norm', name: opName, mode: o.mode, rowSize, epsilon: c.int(o.epsilon, `${where}.epsilon`, 1), rsqrtBits: c.int(o.rsqrtBits, `${where}.rsqrtBits`, 1, 48) });
    } else if (o.kind === 'argmax') {
      if (index !== rawOps.length - 1) c.fail(where, 'argmax must be the last op');
      if (from[0] < 0) c.fail(`${where}.inputs`, "must name an op: an argmax of the model's input proves nothing");
      if (size < 2) c.fail(where, 'argmax needs at least two values');
      push({ kind: 'argmax', name: opName });
      size = 1;
    } else if (o.kind === 'add') {
      if (inSizes.some((n) => n !== size)) c.fail(`${where}.inputs`, `must all hold the same number of values, found ${inSizes.join(', ')}`);
      const weights = c.array(o.weights, `${where}.weights`, from.length).map((row, i) => c.ints(row, `${where}.weights[${i}]`, size));
      const bias = c.ints(o.bias, `${where}.bias`, size);
      const scale = c.array(o.scale, `${where}.scale`, size).map((v, j) => c.positive(v, `${where}.scale[${j}]`));
      push({ kind: 'add', name: opName, weights, bias, scale });
    } else if (o.kind === 'concat') {
      const inShapes = c.array(o.inShapes, `${where}.inShapes`, from.length).map((v, i) => c.shape3(v, `${where}.inShapes[${i}]`));
      inShapes.forEach((shape, i) => {
        if (volume(shape) !== inSizes[i]) c.fail(`${where}.inShapes[${i}]`, `[${shape}] must hold its input's ${inSizes[i]} values`);
        if (shape[0] !== inShapes[0][0] || shape[1] !== inShapes[0][1]) c.fail(`${where}.inShapes[${i}]`, `must have the height and width of the first input, [${inShapes[0].slice(0, 2)}]`);
      });
      const outShape: Shape3 = [inShapes[0][0], inShapes[0][1], inShapes.reduce((sum, shape) => sum + shape[2], 0)];
      if (JSON.stringify(c.shape3(o.outShape, `${where}.outShape`)) !== JSON.stringify(outShape)) c.fail(`${where}.outShape`, `must be [${outShape}]`);
      push({ kind: 'concat', name: opName, inShapes, outShape });
      size = volume(outShape);
    } else if (o.kind === 'mul') {
      if (inSizes[1] !== size) c.fail(`${where}.inputs`, `must hold the same number of values, found ${inSizes.join(' and ')}`);
      push({ kind: 'mul', name: opName });
    } else if (o.kind === 'matmul') {
      const [batch, rows, inner, cols] = (['batch', 'rows', 'inner', 'cols'] as const).map((key) => c.int(o[key], `${where}.${key}`, 1, 1 << 16));
      if (inSizes[0] !== batch * rows * inner) c.fail(`${where}.inputs`, `input 0 must hold [${batch}, ${rows}, ${inner}] = ${batch * rows * inner} values, found ${inSizes[0]}`);
      if (inSizes[1] !== batch * inner * cols) c.fail(`${where}.inputs`, `input 1 must hold [${batch}, ${inner}, ${cols}] = ${batch * inner * cols} values, found ${inSizes[1]}`);
      push({ kind: 'matmul', name: opName, batch, rows, inner, cols });
      size = batch * rows * cols;
    } else if (o.kind === 'transpose') {
      const inShape = c.array(o.inShape, `${where}.inShape`).map((v, i) => c.int(v, `${where}.inShape[${i}]`, 1, 1 << 20));
      if (inShape.length === 0 || inShape.length > 6) c.fail(`${where}.inShape`, 'must have 1 to 6 dimensions');
      if (volume(inShape) !== size) c.fail(`${where}.inShape`, `[${inShape}] must hold its input's ${size} values`);
      const perm = c.ints(o.perm, `${where}.perm`, inShape.length, 0, inShape.length - 1);
      if (new Set(perm).size !== perm.length) c.fail(`${where}.perm`, `must name each axis once, found [${perm}]`);
      push({ kind: 'transpose', name: opName, inShape, perm });
    } else {
      c.fail(`${where}.kind`, `is not a known op kind: ${quoted(o.kind)}`);
    }
    sizes.push(size);
  });
  // An output no op reads would be computed and proven for nothing: refuse it as a broken graph
  // (the probabilities are read by the verifier: they are the model's output beside the class).
  const probabilities = probabilitiesOpIndex({ ops });
  ops.slice(0, -1).forEach((op, k) => read.has(k) || k === probabilities || c.fail(`ops[${k}]`, `('${op.name}') is read by no later op`));

  let labels: string[] | undefined;
  if (root.labels !== undefined) {
    labels = c.array(root.labels, 'labels').map((l, i) => c.string(l, `labels[${i}]`));
  }
  const q = c.object(root.quantization, 'quantization');
  if (q.ranges !== 'calibration' && q.ranges !== 'weights') c.fail('quantization.ranges', "must be 'calibration' or 'weights'");
  const quantization: QuantizationInfo = {
    weightBits: c.int(q.weightBits, 'quantization.weightBits', 2, 32),
    activationBits: c.int(q.activationBits, 'quantization.activationBits', 2, 32),
    ...(q.wideActivationBits !== undefined ? { wideActivationBits: c.int(q.wideActivationBits, 'quantization.wideActivationBits', 2, 32) } : {}),
    ...(q.layerActivationBits !== undefined ? { layerActivationBits: c.array(q.layerActivationBits, 'quantization.layerActivationBits').map((b, i) => c.int(b, `quantization.layerActivationBits[${i}]`, 2, 32)) } : {}),
    ranges: q.ranges,
    calibrationSamples: c.int(q.calibrationSamples, 'quantization.calibrationSamples', 0),
  };
  if (ops.every((op) => op.kind === 'argmax')) c.fail('ops', 'must compute something before an argmax');
  const model: QModel = { format: QMODEL_FORMAT, name, input, ops, quantization, ...(labels ? { labels } : {}) };
  if (labels && hasArgmax(model) && labels.length !== opSizes(model)[logitsOpIndex(model)]) {
    c.fail('labels', `must name each of the ${opSizes(model)[logitsOpIndex(model)]} classes, found ${labels.length}`);
  }
  return model;
}
