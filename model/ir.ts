/**
 * The quantized model (QModel): what a circuit computes, as data. Every value is an integer;
 * scales only say how to read those integers as the float model's numbers. Tensors are flat,
 * row-major arrays (channels last, as in TF.js), so reshapes cost nothing and are not ops.
 *
 * The integer semantics of each op are defined in model/reference.ts; the bounds in model/bounds.ts.
 * A new op kind must be added to the union below, and then type-checks fail until it has a
 * quantizer, a reference step, a bound rule, an emitter and a cost.
 */
import { ArtifactError, quoted } from '../core/errors.js';
import { type ConvGeometry, type Padding4, type PoolGeometry, type Shape3, averageMultipliers, windowOutput } from './geometry.js';
import { MAX_TABLE_BITS, TABLE_FUNCTION_NAMES, type TableFunction } from './tables.js';

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
export interface DenseOp {
  kind: 'dense';
  name: string;
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
export interface Conv2DOp extends ConvGeometry {
  kind: 'conv2d';
  name: string;
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
export interface AvgPoolOp extends PoolGeometry {
  kind: 'avgPool';
  name: string;
}

/** y = the largest of the window's valid inputs. */
export interface MaxPoolOp extends PoolGeometry {
  kind: 'maxPool';
  name: string;
}

/** ZeroPadding2D: the input, surrounded by zeros. */
export interface PadOp {
  kind: 'pad';
  name: string;
  inShape: Shape3;
  outShape: Shape3;
  padding: Padding4;
}

/**
 * What a rescale applies after rounding:
 * - linear: y = q
 * - relu: y = max(0, q), then min(y, max[j]) when max is given (relu6, clipped ReLU)
 * - leaky: y = q * 2^bits when q >= 0, else q * numerator (a slope of numerator / 2^bits, kept
 *   exact by scaling the output by 2^-bits instead of rounding)
 */
export type RescaleActivation = { kind: 'linear' } | { kind: 'relu'; max?: number[] } | { kind: 'leaky'; numerator: number; bits: number };

/**
 * q[j] = floor((x[j] + 2^(shift[j]-1)) / 2^shift[j]) (round half up; shift 0 is the identity),
 * then the activation. Rescaling and the activation share one bounded bit decomposition in the circuit.
 */
export interface RescaleOp {
  kind: 'rescale';
  name: string;
  shift: number[];
  activation: RescaleActivation;
}

/**
 * A table activation (model/tables.ts): q[j] = the rescaled x[j] as in a rescale, saturated to the
 * codes [-2^(bits-1), 2^(bits-1)), then y[j] = table[q[j] + 2^(bits-1)]. The table is the
 * definition; fn, inScale and outScale say what it tabulates (table[i] is f((i - 2^(bits-1)) *
 * inScale) / outScale, rounded). Every output has the scale outScale.
 */
export interface TableOp {
  kind: 'table';
  name: string;
  fn: TableFunction;
  shift: number[];
  bits: number;
  inScale: number;
  outScale: number;
  table: number[];
}

/** The index of the first maximum: the predicted class. */
export interface ArgmaxOp {
  kind: 'argmax';
  name: string;
}

export type QOp = DenseOp | Conv2DOp | AvgPoolOp | MaxPoolOp | PadOp | RescaleOp | TableOp | ArgmaxOp;
export type QOpKind = QOp['kind'];

export interface QuantizationInfo {
  weightBits: number;
  /** The activation resolution in bits (the largest, when layers differ). */
  activationBits: number;
  /** Per layer with weights, when they differ. */
  layerActivationBits?: number[];
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

export function inputSize(input: QInput): number {
  return input.shape.reduce((a, b) => a * b, 1);
}

/** The ops up to, not including, a final argmax: their last output is the logits. */
export function logitsOpIndex(model: QModel): number {
  const last = model.ops.length - 1;
  return model.ops[last]?.kind === 'argmax' ? last - 1 : last;
}

export function hasArgmax(model: QModel): boolean {
  return model.ops[model.ops.length - 1]?.kind === 'argmax';
}

const volume = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** How many values an op outputs, given how many it takes. */
export function outputSize(op: QOp, size: number): number {
  switch (op.kind) {
    case 'dense':
      return op.outputSize;
    case 'argmax':
      return 1;
    case 'rescale':
    case 'table':
      return size;
    default:
      return volume(op.outShape);
  }
}

/** Number of values each op outputs, in order. */
export function opSizes(model: QModel): number[] {
  const sizes: number[] = [];
  let size = inputSize(model.input);
  for (const op of model.ops) {
    size = outputSize(op, size);
    sizes.push(size);
  }
  return sizes;
}

/** Per-channel scales of a [H, W, C] tensor whose scales depend on the channel only. */
const byChannel = (shape: Shape3, channelScale: (c: number) => number) => Array.from({ length: volume(shape) }, (_, i) => channelScale(i % shape[2]));

/** The scale of each output value of every op (argmax outputs an index: scale 1). */
export function opScales(model: QModel): number[][] {
  const scales: number[][] = [];
  let current = new Array<number>(inputSize(model.input)).fill(model.input.scale);
  for (const op of model.ops) {
    const input = current;
    switch (op.kind) {
      case 'dense':
        current = op.scale;
        break;
      case 'conv2d':
        current = byChannel(op.outShape, (c) => op.scale[c]);
        break;
      case 'avgPool': {
        const { lcm } = averageMultipliers(op);
        current = byChannel(op.outShape, (c) => input[c] / lcm);
        break;
      }
      case 'maxPool':
      case 'pad':
        current = byChannel(op.outShape, (c) => input[c]);
        break;
      case 'rescale': {
        const a = op.activation;
        current = input.map((s, j) => s * 2 ** op.shift[j] * (a.kind === 'leaky' ? 2 ** -a.bits : 1));
        break;
      }
      case 'table':
        current = input.map(() => op.outScale);
        break;
      case 'argmax':
        current = [1];
    }
    scales.push(current);
  }
  return scales;
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
      return { kind: 'leaky', numerator: this.int(a.numerator, `${where}.numerator`, 1, 2 ** bits - 1), bits };
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
  let size = inputSize(input);
  const rawOps = c.array(root.ops, 'ops');
  if (rawOps.length === 0) c.fail('ops', 'must not be empty');
  rawOps.forEach((raw, index) => {
    const where = `ops[${index}]`;
    const o = c.object(raw, where);
    const opName = c.string(o.name, `${where}.name`);
    if (o.kind === 'dense') {
      const inSize = c.int(o.inputSize, `${where}.inputSize`, 1);
      if (inSize !== size) c.fail(`${where}.inputSize`, `must equal the size of its input (${size}), found ${inSize}`);
      const outSize = c.int(o.outputSize, `${where}.outputSize`, 1, 1 << 20);
      const weights = c.array(o.weights, `${where}.weights`, outSize).map((row, j) => c.ints(row, `${where}.weights[${j}]`, inSize));
      const bias = c.ints(o.bias, `${where}.bias`, outSize);
      const scale = c.array(o.scale, `${where}.scale`, outSize).map((s, j) => c.positive(s, `${where}.scale[${j}]`));
      ops.push({ kind: 'dense', name: opName, inputSize: inSize, outputSize: outSize, weights, bias, scale });
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
      ops.push({ kind: 'conv2d', name: opName, inShape: geometry.inShape, outShape: geometry.outShape, kernel: geometry.window, strides: geometry.strides, padding: geometry.padding, groups, weights, bias, scale });
      size = volume(geometry.outShape);
    } else if (o.kind === 'avgPool' || o.kind === 'maxPool') {
      const geometry = c.window(o, where, 'pool', size);
      if (geometry.outShape[2] !== geometry.inShape[2]) c.fail(`${where}.outShape`, 'must keep the number of channels');
      if (geometry.padding.some((p, i) => p >= geometry.window[i % 2])) c.fail(`${where}.padding`, 'must be smaller than the pool');
      ops.push({ kind: o.kind, name: opName, inShape: geometry.inShape, outShape: geometry.outShape, pool: geometry.window, strides: geometry.strides, padding: geometry.padding });
      size = volume(geometry.outShape);
    } else if (o.kind === 'pad') {
      const inShape = c.shape3(o.inShape, `${where}.inShape`);
      const padding = c.ints(o.padding, `${where}.padding`, 4, 0, 1 << 12) as Padding4;
      const outShape: Shape3 = [inShape[0] + padding[0] + padding[2], inShape[1] + padding[1] + padding[3], inShape[2]];
      if (volume(inShape) !== size) c.fail(`${where}.inShape`, `must hold its input's ${size} values`);
      if (JSON.stringify(c.shape3(o.outShape, `${where}.outShape`)) !== JSON.stringify(outShape)) c.fail(`${where}.outShape`, `must be [${outShape}]`);
      ops.push({ kind: 'pad', name: opName, inShape, outShape, padding });
      size = volume(outShape);
    } else if (o.kind === 'rescale') {
      ops.push({ kind: 'rescale', name: opName, shift: c.ints(o.shift, `${where}.shift`, size, 0, 64), activation: c.activation(o.activation, `${where}.activation`, size) });
    } else if (o.kind === 'table') {
      ops.push(c.table(o, where, opName, size));
    } else if (o.kind === 'argmax') {
      if (index !== rawOps.length - 1) c.fail(where, 'argmax must be the last op');
      if (size < 2) c.fail(where, 'argmax needs at least two values');
      ops.push({ kind: 'argmax', name: opName });
      size = 1;
    } else {
      c.fail(`${where}.kind`, `is not a known op kind: ${quoted(o.kind)}`);
    }
  });

  let labels: string[] | undefined;
  if (root.labels !== undefined) {
    labels = c.array(root.labels, 'labels').map((l, i) => c.string(l, `labels[${i}]`));
  }
  const q = c.object(root.quantization, 'quantization');
  if (q.ranges !== 'calibration' && q.ranges !== 'weights') c.fail('quantization.ranges', "must be 'calibration' or 'weights'");
  const quantization: QuantizationInfo = {
    weightBits: c.int(q.weightBits, 'quantization.weightBits', 2, 32),
    activationBits: c.int(q.activationBits, 'quantization.activationBits', 2, 32),
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
