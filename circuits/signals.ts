/**
 * What a circuit takes and what it shows, for one inference: the witness generator's inputs, and
 * the public signals an honest proof of that input must carry (from the reference interpreter),
 * in the layout of circuits/layout.ts.
 */
import { ADDRESS_LIMIT } from '../core/address.js';
import { InputError, ZkinferError } from '../core/errors.js';
import { toField } from '../core/field.js';
import type { QModel } from '../model/ir.js';
import { runReference } from '../model/reference.js';
import { inputCommitment, outputCommitment, paramsCommitment } from './commitment.js';
import { publicSignalLayout } from './layout.js';
import type { CircuitPlan, ParamsPlan } from './plan.js';
import { bindsRecipient, takesSalt } from './visibility.js';
import type { CircuitInput, CircuitValue } from './witness.js';

/**
 * A circuit compiled with --recipient public proves only for a recipient, an address (below
 * 2^160); one compiled without takes none. `where` names the input in errors.
 */
export function checkRecipient(plan: CircuitPlan, recipient: bigint | undefined, where: string): void {
  if (bindsRecipient(plan.visibility)) {
    if (recipient === undefined) throw new InputError(`${where}: this circuit binds each proof to a recipient (compiled with --recipient public): give the address (zkinfer prove --recipient 0x…, or "recipient": "0x…" in the input document)`);
    if (recipient < 0n || recipient >= ADDRESS_LIMIT) throw new InputError(`${where}: the recipient ${recipient} is no address (addresses are below 2^160)`);
  } else if (recipient !== undefined) {
    throw new InputError(`${where}: this circuit takes no recipient (it was compiled without --recipient public), so a proof cannot be bound to one: recompile with --recipient public, or leave the recipient out`);
  }
}

/**
 * The witness generator's input: the quantized input, the salt, (params hashed) each layer's
 * weights and biases, and (recipient public) the recipient.
 */
export function witnessInput(model: QModel, plan: CircuitPlan, quantized: readonly number[], salt: bigint, recipient?: bigint): CircuitInput {
  checkRecipient(plan, recipient, 'witness input');
  const input: Record<string, CircuitValue> = { in: quantized };
  if (takesSalt(plan.visibility)) input.salt = salt;
  if (recipient !== undefined) input.recipient = recipient;
  if (plan.params) {
    model.ops.forEach((op, k) => {
      if (op.kind !== 'dense' && op.kind !== 'conv2d') return;
      input[`op${k}_w`] = op.weights;
      input[`op${k}_b`] = op.bias;
    });
  }
  return input;
}

/**
 * The params commitment of a model's weights under a plan, hashed once per model and plan object:
 * it depends on nothing else, and a proof path (a prover, a queue worker, a producer) holds its
 * model for its lifetime and checks every proof against it (mlp_196_25_10's 5,150 weights pack
 * into 172 field elements, 12 Poseidon hashes: about 30 ms of CPU a proof, twice in the queue).
 * A QModel is a value: nothing changes one after parseQModel or quantizeModel made it, so the
 * object stands for its weights; the plan object is a key too (a model may be planned with other
 * bit widths).
 */
const paramsCommitments = new WeakMap<QModel, WeakMap<ParamsPlan, bigint>>();

export function modelParamsCommitment(plan: ParamsPlan, model: QModel): bigint {
  let byPlan = paramsCommitments.get(model);
  if (!byPlan) paramsCommitments.set(model, (byPlan = new WeakMap()));
  let commitment = byPlan.get(plan);
  if (commitment === undefined) byPlan.set(plan, (commitment = paramsCommitment(plan, model)));
  return commitment;
}

/** The public signals (decimal strings) an honest proof of this input, bound to `recipient` (recipient public), shows. */
export function expectedPublicSignals(
  model: QModel,
  plan: CircuitPlan,
  quantized: readonly number[],
  salt: bigint,
  recipient?: bigint,
  /** The reference's run on `quantized`, when the caller has it already (a proof path's prepareInference). */
  reference = runReference(model, quantized),
): string[] {
  const layout = publicSignalLayout(model, plan.visibility);
  const signals: bigint[] = new Array(layout.names.length);
  if (layout.inputCommitment !== undefined) signals[layout.inputCommitment] = inputCommitment(plan.input, quantized, salt);
  if (layout.paramsCommitment !== undefined) signals[layout.paramsCommitment] = modelParamsCommitment(plan.params!, model);
  if (layout.label !== undefined) signals[layout.label] = BigInt(reference.label!);
  if (layout.logits) reference.logits.forEach((v, i) => (signals[layout.logits!.start + i] = BigInt(v)));
  if (layout.probabilities) reference.probabilities!.forEach((v, i) => (signals[layout.probabilities!.start + i] = BigInt(v)));
  if (layout.outputCommitment !== undefined) signals[layout.outputCommitment] = outputCommitment(salt, reference.label, reference.logits);
  if (layout.input) quantized.forEach((v, i) => (signals[layout.input!.start + i] = BigInt(v)));
  if (layout.recipient !== undefined) {
    if (recipient === undefined) throw new ZkinferError('INTERNAL', 'the expected public signals of a recipient-bound circuit need the recipient');
    signals[layout.recipient] = recipient;
  }
  return signals.map((v) => toField(v).toString());
}
