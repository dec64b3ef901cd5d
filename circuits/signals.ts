/**
 * What a circuit takes and what it shows, for one inference: the witness generator's inputs, and
 * the public signals an honest proof of that input must carry (from the reference interpreter),
 * in the layout of circuits/layout.ts.
 */
import { toField } from '../core/field.js';
import type { QModel } from '../model/ir.js';
import { runReference } from '../model/reference.js';
import { inputCommitment, outputCommitment, paramsCommitment } from './commitment.js';
import { publicSignalLayout } from './layout.js';
import type { CircuitPlan } from './plan.js';
import { takesSalt } from './visibility.js';
import type { CircuitInput, CircuitValue } from './witness.js';

/** The witness generator's input: the quantized input, the salt, and (params hashed) each layer's weights and biases. */
export function witnessInput(model: QModel, plan: CircuitPlan, quantized: readonly number[], salt: bigint): CircuitInput {
  const input: Record<string, CircuitValue> = { in: quantized };
  if (takesSalt(plan.visibility)) input.salt = salt;
  if (plan.params) {
    model.ops.forEach((op, k) => {
      if (op.kind !== 'dense' && op.kind !== 'conv2d') return;
      input[`op${k}_w`] = op.weights;
      input[`op${k}_b`] = op.bias;
    });
  }
  return input;
}

/** The public signals (decimal strings) an honest proof of this input shows. */
export function expectedPublicSignals(model: QModel, plan: CircuitPlan, quantized: readonly number[], salt: bigint): string[] {
  const layout = publicSignalLayout(model, plan.visibility);
  const reference = runReference(model, quantized);
  const signals: bigint[] = new Array(layout.names.length);
  if (layout.inputCommitment !== undefined) signals[layout.inputCommitment] = inputCommitment(plan.input, quantized, salt);
  if (layout.paramsCommitment !== undefined) signals[layout.paramsCommitment] = paramsCommitment(plan.params!, model);
  if (layout.label !== undefined) signals[layout.label] = BigInt(reference.label!);
  if (layout.logits) reference.logits.forEach((v, i) => (signals[layout.logits!.start + i] = BigInt(v)));
  if (layout.outputCommitment !== undefined) signals[layout.outputCommitment] = outputCommitment(salt, reference.label, reference.logits);
  if (layout.input) quantized.forEach((v, i) => (signals[layout.input!.start + i] = BigInt(v)));
  return signals.map((v) => toField(v).toString());
}
