/**
 * The public signals of a zkinfer circuit, in order (docs/FORMATS.md):
 *   inputCommitment   (input hashed)
 *   paramsCommitment  (params hashed)
 *   label, logits[k]  (output public; label only when the model ends in argmax)
 *   label             (output private)
 *   label, probabilities[k] (output probabilities: in 2^-probabilityBits units)
 *   outputCommitment  (output hashed)
 *   in[i]             (input public)
 *   recipient         (recipient public: the address the proof is bound to, always last)
 * snarkjs lists a circuit's outputs first, in declaration order, then its public inputs (the
 * emitter declares `in` before `recipient`), so this is also the order of `publicSignals` and of
 * the Solidity verifier's `_pubSignals`.
 */
import { ZkinferError } from '../core/errors.js';
import { fromFieldSigned } from '../core/field.js';
import { type QModel, hasArgmax, inputSize, logitsOpIndex, opSizes, probabilitiesOpIndex } from '../model/ir.js';
import { DEFAULT_VISIBILITY, type Visibility, bindsRecipient } from './visibility.js';

export interface PublicSignalLayout {
  /** Names in order, e.g. ['inputCommitment', 'label', 'logits[0]', ...]. */
  names: string[];
  inputCommitment?: number;
  paramsCommitment?: number;
  label?: number;
  logits?: { start: number; count: number };
  /** output probabilities: the softmax of the logits, integers in 2^-probabilityBits units. */
  probabilities?: { start: number; count: number };
  outputCommitment?: number;
  /** The input values themselves (input public). */
  input?: { start: number; count: number };
  /** recipient public: the index of `recipient`, the address (a number below 2^160) the proof is bound to. */
  recipient?: number;
}

export function publicSignalLayout(model: QModel, visibility: Visibility = DEFAULT_VISIBILITY): PublicSignalLayout {
  const withLabel = hasArgmax(model);
  if (visibility.output === 'private' && !withLabel) {
    throw new ZkinferError('USAGE', `--output private publishes only the predicted class, and model '${model.name}' does not end in a classification (softmax/argmax): use --output public or hashed`);
  }
  // The softmax op is in the QModel only to be shown: its model is compiled for its probabilities, and only they show them.
  const probabilities = probabilitiesOpIndex(model);
  if (visibility.output === 'probabilities' && probabilities < 0) {
    throw new ZkinferError('USAGE', `--output probabilities publishes the softmax of the logits, and model '${model.name}' does not compute it: quantize with --output probabilities`);
  }
  if (visibility.output !== 'probabilities' && probabilities >= 0) {
    throw new ZkinferError('USAGE', `model '${model.name}' was quantized with --output probabilities: compile it with --output probabilities (or quantize it again without, for --output ${visibility.output})`);
  }
  const names: string[] = [];
  const layout: PublicSignalLayout = { names };
  const add = (name: string) => names.push(name) - 1;
  const addRange = (prefix: string, count: number) => {
    const start = names.length;
    for (let i = 0; i < count; i++) names.push(`${prefix}[${i}]`);
    return { start, count };
  };
  if (visibility.input === 'hashed') layout.inputCommitment = add('inputCommitment');
  if (visibility.params === 'hashed') layout.paramsCommitment = add('paramsCommitment');
  if (visibility.output === 'hashed') layout.outputCommitment = add('outputCommitment');
  else {
    if (withLabel) layout.label = add('label');
    if (visibility.output === 'public') layout.logits = addRange('logits', opSizes(model)[logitsOpIndex(model)]);
    if (visibility.output === 'probabilities') layout.probabilities = addRange('probabilities', opSizes(model)[probabilities]);
  }
  if (visibility.input === 'public') layout.input = addRange('in', inputSize(model.input));
  if (bindsRecipient(visibility)) layout.recipient = add('recipient');
  return layout;
}

export interface DecodedOutputs {
  inputCommitment?: bigint;
  paramsCommitment?: bigint;
  label?: number;
  /** Signed integers, at the logits' scale. */
  logits?: bigint[];
  /** In 2^-probabilityBits units. */
  probabilities?: bigint[];
  outputCommitment?: bigint;
  /** Signed integers, the quantized input. */
  input?: bigint[];
  recipient?: bigint;
}

export function decodePublicSignals(layout: PublicSignalLayout, signals: readonly bigint[]): DecodedOutputs {
  const slice = (range: { start: number; count: number }) => signals.slice(range.start, range.start + range.count).map(fromFieldSigned);
  const decoded: DecodedOutputs = {};
  if (layout.inputCommitment !== undefined) decoded.inputCommitment = signals[layout.inputCommitment];
  if (layout.paramsCommitment !== undefined) decoded.paramsCommitment = signals[layout.paramsCommitment];
  if (layout.label !== undefined) decoded.label = Number(signals[layout.label]);
  if (layout.logits) decoded.logits = slice(layout.logits);
  if (layout.probabilities) decoded.probabilities = slice(layout.probabilities);
  if (layout.outputCommitment !== undefined) decoded.outputCommitment = signals[layout.outputCommitment];
  if (layout.input) decoded.input = slice(layout.input);
  if (layout.recipient !== undefined) decoded.recipient = signals[layout.recipient];
  return decoded;
}
