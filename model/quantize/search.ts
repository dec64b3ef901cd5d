/**
 * Choosing activation bit widths per layer within the user's budget (`--bits low-high`):
 * - target 'accuracy': the highest width everywhere: the finest resolution the budget allows;
 * - target 'constraints': starting there, lower each layer's width one bit at a time while the
 *   quantized model stays within `tolerance` of the float model (top-1 accuracy with labels,
 *   agreement without), keeping every step that saves constraints.
 * Constraints are the cost model's count (exact for compiled circuits, see circuits/plan.ts).
 */
import { ZkinferError } from '../../core/errors.js';
import type { FloatModel } from '../float.js';
import type { QModel } from '../ir.js';
import { type Fidelity, type FidelityData, measureFidelity } from './fidelity.js';
import { type QuantizeOptions, quantizeModel } from './index.js';

export type BitTarget = 'accuracy' | 'constraints';

export interface BitSearchOptions {
  range: [number, number];
  target: BitTarget;
  /** Largest allowed loss against the float model (fraction; default 0.005, half a point). */
  tolerance?: number;
  /** Constraints of a quantized model (the caller's cost model: model/ knows nothing of circuits). */
  constraintsOf: (model: QModel) => number;
}

export interface BitSearchStep {
  bits: number[];
  constraints: number;
  /** Accuracy with labels, agreement without. */
  score: number;
  accepted: boolean;
}

export interface BitSearchResult {
  bits: number[];
  model: QModel;
  fidelity: Fidelity;
  constraints: number;
  steps: BitSearchStep[];
}

export function chooseActivationBits(
  float: FloatModel,
  base: QuantizeOptions,
  data: FidelityData,
  options: BitSearchOptions,
): BitSearchResult {
  const [low, high] = options.range;
  const tolerance = options.tolerance ?? 0.005;
  const layers = float.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d').length;
  const evaluate = (bits: number[]) => {
    const { model } = quantizeModel(float, { ...base, activationBits: bits });
    const fidelity = measureFidelity(float, model, data);
    if (fidelity.agreement === undefined) {
      throw new ZkinferError('USAGE', 'a bit-width search (--bits LOW-HIGH) scores class agreement or accuracy, and this model has one output, no classes: pass one width (--bits N)');
    }
    const score = data.labels ? fidelity.quantizedAccuracy! : fidelity.agreement;
    return { bits, model, fidelity, score, constraints: options.constraintsOf(model) };
  };
  let best = evaluate(new Array<number>(layers).fill(high));
  const steps: BitSearchStep[] = [{ bits: best.bits, constraints: best.constraints, score: best.score, accepted: true }];
  if (options.target === 'constraints') {
    const reference = data.labels ? best.fidelity.floatAccuracy! : 1;
    // The last layer's width is unused (logits keep full precision): search the others.
    for (let layer = 0; layer < layers - 1; layer++) {
      while (best.bits[layer] > low) {
        const candidate = evaluate(best.bits.map((b, i) => (i === layer ? b - 1 : b)));
        const accepted = reference - candidate.score <= tolerance && candidate.constraints < best.constraints;
        steps.push({ bits: candidate.bits, constraints: candidate.constraints, score: candidate.score, accepted });
        if (!accepted) break;
        best = candidate;
      }
    }
  }
  return { bits: best.bits, model: best.model, fidelity: best.fidelity, constraints: best.constraints, steps };
}
