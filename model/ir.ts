/**
 * The quantized model (QModel): what a circuit computes, as data. Every value is an integer;
 * scales only say how to read those integers as the float model's numbers. Tensors are flat,
 * row-major arrays (channels last, as in TF.js), so reshapes cost nothing and are not ops.
 *
 * The integer semantics of each op are defined in model/reference.ts; the bounds in model/bounds.ts.
 * A new op kind must be added to the union below, and then type-checks fail until it has a
 * quantizer, a reference step, a bound rule, an emitter and a cost.
 */
import { ArtifactError } from '../core/errors.js';

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
 * y[j] = floor((x[j] + 2^(shift[j]-1)) / 2^shift[j]) (round half up; shift 0 is the identity),
 * then max(0, y[j]) when relu. Rescaling and ReLU share one bounded bit decomposition in the circuit.
 */
export interface RescaleOp {
  kind: 'rescale';
  name: string;
  shift: number[];
  relu: boolean;
}

/** The index of the first maximum: the predicted class. */
export interface ArgmaxOp {
  kind: 'argmax';
  name: string;
}

export type QOp = DenseOp | RescaleOp | ArgmaxOp;
export type QOpKind = QOp['kind'];

export interface QuantizationInfo {
  weightBits: number;
  activationBits: number;
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

/** Number of values each op outputs, in order. */
export function opSizes(model: QModel): number[] {
  const sizes: number[] = [];
  let size = inputSize(model.input);
  for (const op of model.ops) {
    if (op.kind === 'dense') size = op.outputSize;
    else if (op.kind === 'argmax') size = 1;
    sizes.push(size);
  }
  return sizes;
}

/** The scale of each output value of every op (argmax outputs an index: scale 1). */
export function opScales(model: QModel): number[][] {
  const scales: number[][] = [];
  let current = new Array<number>(inputSize(model.input)).fill(model.input.scale);
  for (const op of model.ops) {
    if (op.kind === 'dense') current = op.scale;
    else if (op.kind === 'rescale') current = current.map((s, j) => s * 2 ** op.shift[j]);
    else current = [1];
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
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(where, `must be an integer, found ${JSON.stringify(value)}`);
    if (value < min || value > max) this.fail(where, `must be in [${min}, ${max}], found ${value}`);
    return value;
  }
  positive(value: unknown, where: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) this.fail(where, `must be a positive number, found ${JSON.stringify(value)}`);
    return value;
  }
  ints(value: unknown, where: string, length: number, min?: number, max?: number): number[] {
    return this.array(value, where, length).map((v, i) => this.int(v, `${where}[${i}]`, min, max));
  }
}

/** Parse and validate a QModel from its JSON form; `file` names it in errors. */
export function parseQModel(json: unknown, file: string): QModel {
  const c: Checker = new Checker(file);
  const root = c.object(json, 'the QModel');
  if (root.format !== QMODEL_FORMAT) c.fail('format', `must be '${QMODEL_FORMAT}', found ${JSON.stringify(root.format)}`);
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
    } else if (o.kind === 'rescale') {
      if (typeof o.relu !== 'boolean') c.fail(`${where}.relu`, 'must be true or false');
      ops.push({ kind: 'rescale', name: opName, shift: c.ints(o.shift, `${where}.shift`, size, 0, 64), relu: o.relu });
    } else if (o.kind === 'argmax') {
      if (index !== rawOps.length - 1) c.fail(where, 'argmax must be the last op');
      if (size < 2) c.fail(where, 'argmax needs at least two values');
      ops.push({ kind: 'argmax', name: opName });
      size = 1;
    } else {
      c.fail(`${where}.kind`, `is not a known op kind: ${JSON.stringify(o.kind)}`);
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
    ranges: q.ranges,
    calibrationSamples: c.int(q.calibrationSamples, 'quantization.calibrationSamples', 0),
  };
  const model: QModel = { format: QMODEL_FORMAT, name, input, ops, quantization, ...(labels ? { labels } : {}) };
  if (labels && hasArgmax(model) && labels.length !== opSizes(model)[logitsOpIndex(model)]) {
    c.fail('labels', `must name each of the ${opSizes(model)[logitsOpIndex(model)]} classes, found ${labels.length}`);
  }
  return model;
}
