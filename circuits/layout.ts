/**
 * The public signals of a zkinfer circuit, in order: the input commitment, the predicted label
 * (when the model ends in argmax), then the logits. snarkjs lists a circuit's outputs first, in
 * declaration order, so this is also the order of `publicSignals` and of the Solidity verifier's
 * `_pubSignals`. Documented in docs/FORMATS.md.
 */
import { fromFieldSigned } from '../core/field.js';
import { type QModel, hasArgmax, logitsOpIndex, opSizes } from '../model/ir.js';

export interface PublicSignalLayout {
  /** Names in order, e.g. ['inputCommitment', 'label', 'logits[0]', ...]. */
  names: string[];
  inputCommitment: number;
  /** Index of the label, when the model has one. */
  label?: number;
  logits: { start: number; count: number };
}

export function publicSignalLayout(model: QModel): PublicSignalLayout {
  const count = opSizes(model)[logitsOpIndex(model)];
  const withLabel = hasArgmax(model);
  const start = withLabel ? 2 : 1;
  return {
    names: ['inputCommitment', ...(withLabel ? ['label'] : []), ...Array.from({ length: count }, (_, i) => `logits[${i}]`)],
    inputCommitment: 0,
    ...(withLabel ? { label: 1 } : {}),
    logits: { start, count },
  };
}

export interface DecodedOutputs {
  inputCommitment: bigint;
  label?: number;
  /** Signed integers, at the logits' scale. */
  logits: bigint[];
}

export function decodePublicSignals(layout: PublicSignalLayout, signals: readonly bigint[]): DecodedOutputs {
  const logits = signals.slice(layout.logits.start, layout.logits.start + layout.logits.count).map(fromFieldSigned);
  return {
    inputCommitment: signals[layout.inputCommitment],
    ...(layout.label !== undefined ? { label: Number(signals[layout.label]) } : {}),
    logits,
  };
}
