/**
 * How faithful a quantized model is to its float model on a set of inputs: per layer, the worst
 * and mean |float - dequantized| of its outputs; overall, how often the two predict the same
 * class, and, with labels, each one's top-1 accuracy.
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

export interface Fidelity {
  samples: number;
  /** Fraction of inputs where the quantized model predicts the float model's class. */
  agreement: number;
  floatAccuracy?: number;
  quantizedAccuracy?: number;
  /** Largest |dequantized logit - float logit| over inputs and classes. */
  maxLogitError: number;
  layers: LayerError[];
}

/** For each float layer, the last op it produced (by name: ops are named after their layer). */
function layerOps(float: FloatModel, model: QModel): { layer: number; op: number }[] {
  const pairs: { layer: number; op: number }[] = [];
  float.layers.forEach((l, layer) => {
    let last = -1;
    model.ops.forEach((op, k) => {
      if (op.name === l.name || op.name === `${l.name}/rescale`) last = k;
    });
    if (last >= 0) pairs.push({ layer, op: last });
  });
  return pairs;
}

export function measureFidelity(float: FloatModel, model: QModel, inputs: readonly number[][], labels?: readonly number[]): Fidelity {
  const scales = opScales(model);
  const logits = logitsOpIndex(model);
  const pairs = layerOps(float, model);
  const stats = pairs.map(() => ({ worst: 0, sum: 0, count: 0 }));
  let agree = 0;
  let floatRight = 0;
  let quantizedRight = 0;
  let maxLogitError = 0;
  inputs.forEach((x, k) => {
    const trace = runFloat(float, x);
    const reference = runReference(model, quantizeInput(x, model.input));
    pairs.forEach(({ layer, op }, p) => {
      const expected = layer === float.layers.length - 1 ? trace.logits : trace.layerOutputs[layer];
      reference.values[op].forEach((v, j) => {
        const error = Math.abs(v * scales[op][j] - expected[j]);
        stats[p].worst = Math.max(stats[p].worst, error);
        stats[p].sum += error;
        stats[p].count++;
      });
    });
    reference.logits.forEach((v, j) => (maxLogitError = Math.max(maxLogitError, Math.abs(v * scales[logits][j] - trace.logits[j]))));
    const predicted = argmax(reference.logits);
    const floatPredicted = argmax(trace.logits);
    if (predicted === floatPredicted) agree++;
    if (labels) {
      if (floatPredicted === labels[k]) floatRight++;
      if (predicted === labels[k]) quantizedRight++;
    }
  });
  const n = inputs.length;
  return {
    samples: n,
    agreement: agree / n,
    ...(labels ? { floatAccuracy: floatRight / n, quantizedAccuracy: quantizedRight / n } : {}),
    maxLogitError,
    layers: pairs.map(({ layer, op }, p) => ({ name: float.layers[layer].name, op, worst: stats[p].worst, mean: stats[p].sum / Math.max(1, stats[p].count) })),
  };
}
