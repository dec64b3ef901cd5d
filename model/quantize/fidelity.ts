/**
 * How faithful a quantized model is to its float model on a set of inputs: per layer, the worst
 * and mean |float - dequantized| of its outputs; overall, for a classifier, how often the two
 * predict the same class and, with labels, each one's top-1 accuracy. A model with one output (a
 * regression, or a binary logit) has no class to agree on: it gets its output's error instead,
 * against the float model and, where the data has numeric targets, against those.
 */
import { type FloatModel, argmax, runFloat } from '../float.js';
import { quantizeInput } from '../input.js';
import { type QModel, logitsOpIndex, opScales } from '../ir.js';
import { runReference } from '../reference.js';

export interface LayerError {
  /** The float layer's name. */
  name: string;
  /** The op whose output stands for the layer's output. */
  op: number;
  worst: number;
  mean: number;
}

/** |value - expected| over a set of values, in the output's float units. */
export interface ErrorSummary {
  mean: number;
  max: number;
}

export interface Fidelity {
  samples: number;
  /** The model's outputs (logits); with one, there are no classes and no agreement or accuracy. */
  outputs: number;
  /** Classifiers: fraction of inputs where the quantized model predicts the float model's class. */
  agreement?: number;
  /** Classifiers with labels: top-1 accuracy of each model. */
  floatAccuracy?: number;
  quantizedAccuracy?: number;
  /** |dequantized logit - float logit| over inputs and outputs. */
  outputError: ErrorSummary;
  /** One output and data with numeric targets: |output - target| of each model. */
  targetError?: { float: ErrorSummary; quantized: ErrorSummary };
  layers: LayerError[];
}

/** The data fidelity is measured on: inputs, and class labels or numeric targets where the data has them. */
export interface FidelityData {
  inputs: readonly number[][];
  labels?: readonly number[] | undefined;
  targets?: readonly number[] | undefined;
}

class ErrorStats {
  private sum = 0;
  private count = 0;
  private max = 0;
  add(error: number): void {
    this.sum += error;
    this.count++;
    this.max = Math.max(this.max, error);
  }
  summary(): ErrorSummary {
    return { mean: this.sum / Math.max(1, this.count), max: this.max };
  }
}

/** What the quantizer appends to a layer's name for the ops after its first: a rescale, a norm's gamma and beta (model/quantize). */
const FOLLOWING_OPS = new Set(['rescale', 'affine', 'affine/rescale']);

/** For each float layer, the last op it produced (by name: ops are named after their layer; a table activation after its function). */
export function layerOps(float: FloatModel, model: QModel): { layer: number; op: number }[] {
  const pairs: { layer: number; op: number }[] = [];
  float.layers.forEach((l, layer) => {
    let last = -1;
    model.ops.forEach((op, k) => {
      const rest = op.name.startsWith(`${l.name}/`) ? op.name.slice(l.name.length + 1) : undefined;
      if (op.name === l.name || (rest !== undefined && (FOLLOWING_OPS.has(rest) || (op.kind === 'table' && rest === op.fn.name)))) last = k;
    });
    if (last >= 0) pairs.push({ layer, op: last });
  });
  return pairs;
}

export function measureFidelity(float: FloatModel, model: QModel, data: FidelityData): Fidelity {
  const { inputs, labels, targets } = data;
  const scales = opScales(model);
  const logits = logitsOpIndex(model);
  const pairs = layerOps(float, model);
  const stats = pairs.map(() => new ErrorStats());
  const output = new ErrorStats();
  const [floatTarget, quantizedTarget] = [new ErrorStats(), new ErrorStats()];
  let outputs = 0;
  let agree = 0;
  let floatRight = 0;
  let quantizedRight = 0;
  inputs.forEach((x, k) => {
    const trace = runFloat(float, x);
    const reference = runReference(model, quantizeInput(x, model.input));
    pairs.forEach(({ layer, op }, p) => {
      const expected = layer === float.layers.length - 1 ? trace.logits : trace.layerOutputs[layer];
      reference.values[op].forEach((v, j) => stats[p].add(Math.abs(v * scales[op][j] - expected[j])));
    });
    const dequantized = reference.logits.map((v, j) => v * scales[logits][j]);
    dequantized.forEach((v, j) => output.add(Math.abs(v - trace.logits[j])));
    outputs = dequantized.length;
    if (outputs === 1) {
      if (targets) {
        floatTarget.add(Math.abs(trace.logits[0] - targets[k]));
        quantizedTarget.add(Math.abs(dequantized[0] - targets[k]));
      }
      return;
    }
    const predicted = argmax(reference.logits);
    const floatPredicted = argmax(trace.logits);
    if (predicted === floatPredicted) agree++;
    if (labels) {
      if (floatPredicted === labels[k]) floatRight++;
      if (predicted === labels[k]) quantizedRight++;
    }
  });
  const n = inputs.length;
  const classifier = outputs > 1;
  return {
    samples: n,
    outputs,
    ...(classifier ? { agreement: agree / n } : {}),
    ...(classifier && labels ? { floatAccuracy: floatRight / n, quantizedAccuracy: quantizedRight / n } : {}),
    outputError: output.summary(),
    ...(!classifier && targets ? { targetError: { float: floatTarget.summary(), quantized: quantizedTarget.summary() } } : {}),
    layers: pairs.map(({ layer, op }, p) => ({ name: float.layers[layer].name, op, worst: stats[p].summary().max, mean: stats[p].summary().mean })),
  };
}

const percent = (f: number) => `${(100 * f).toFixed(2)}%`;
const errors = (e: ErrorSummary) => `mean ${e.mean.toPrecision(3)}, max ${e.max.toPrecision(3)}`;

/**
 * The overall figures in one line, for reports: agreement and top-1 accuracy for a classifier;
 * for one output, its error against the float model and the targets (float units).
 */
export function describeFidelity(f: Fidelity): string {
  if (f.agreement !== undefined) {
    return `agreement with the float model ${percent(f.agreement)}${f.floatAccuracy !== undefined ? `, top-1 float ${percent(f.floatAccuracy)}, quantized ${percent(f.quantizedAccuracy!)}` : ''}`;
  }
  const targets = f.targetError ? `; error against the targets: quantized ${errors(f.targetError.quantized)} (float model ${errors(f.targetError.float)})` : '';
  return `one output: error against the float model ${errors(f.outputError)}${targets}`;
}
