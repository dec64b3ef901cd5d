/**
 * A proof file as zkinfer writes it: the snarkjs Groth16 proof and public signals, the hash of the
 * verification key it was made for, and the outputs decoded for people (never trusted: `verify`
 * decodes the public signals again). Format documented in docs/FORMATS.md.
 */
import { formatAddress } from '../core/address.js';
import { ZkinferError } from '../core/errors.js';
import { parseJson, readRequired, sha256 } from '../core/files.js';
import { decodePublicSignals, type PublicSignalLayout } from '../circuits/layout.js';
import { parseGroth16Proof, parsePublicSignals } from '../prover/proof-format.js';
import { type QModel, logitsOpIndex, opScales, probabilitiesOpIndex } from '../model/ir.js';
import type { Groth16Proof } from '../prover/pool/messages.js';

export const PROOF_FORMAT = 'zkinfer-proof/1';

export interface ProofBundle {
  format: typeof PROOF_FORMAT;
  model: string;
  /** sha256 of the verification key file (keys/verification_key.json) the proof is for. */
  verificationKey: string;
  proof: Groth16Proof;
  publicSignals: string[];
  /** Informational: the public signals decoded. */
  outputs: ReadableOutputs;
}

/** The public signals decoded, for people; only the parts the circuit makes public. */
export interface ReadableOutputs {
  inputCommitment?: string;
  paramsCommitment?: string;
  label?: number;
  labelName?: string;
  /** Signed integers as decimal strings. */
  logits?: string[];
  /** Multiply a logit by its scale for the float model's units. */
  logitScales?: number[];
  /** output probabilities: integers as decimal strings; times probabilityScale (2^-16 by default), the probabilities. */
  probabilities?: string[];
  probabilityScale?: number;
  outputCommitment?: string;
  /** The quantized input (input public), signed integers as decimal strings. */
  input?: string[];
  /** recipient public: the address the proof is bound to (0x and 40 lowercase hex digits), or the signal in decimal when it is no address. */
  recipient?: string;
}

export function readableOutputs(layout: PublicSignalLayout, publicSignals: readonly string[], model: QModel): ReadableOutputs {
  const d = decodePublicSignals(layout, publicSignals.map(BigInt));
  const scales = opScales(model);
  const labels = model.labels;
  const logitScales = scales[logitsOpIndex(model)]!;
  return {
    ...(d.inputCommitment !== undefined ? { inputCommitment: d.inputCommitment.toString() } : {}),
    ...(d.paramsCommitment !== undefined ? { paramsCommitment: d.paramsCommitment.toString() } : {}),
    ...(d.label !== undefined ? { label: d.label, ...(labels?.[d.label] ? { labelName: labels[d.label] } : {}) } : {}),
    ...(d.logits ? { logits: d.logits.map(String), logitScales } : {}),
    ...(d.probabilities ? { probabilities: d.probabilities.map(String), probabilityScale: scales[probabilitiesOpIndex(model)]![0]! } : {}),
    ...(d.outputCommitment !== undefined ? { outputCommitment: d.outputCommitment.toString() } : {}),
    ...(d.input ? { input: d.input.map(String) } : {}),
    ...(d.recipient !== undefined ? { recipient: formatAddress(d.recipient) ?? d.recipient.toString() } : {}),
  };
}

function proofError(file: string, message: string): ZkinferError {
  return new ZkinferError('PROOF_INVALID', `${file}: ${message}`, { details: { file } });
}

/**
 * Read a proof file for the key with hash `vkHash` and `signalCount` public signals. Malformed files
 * are errors; well-formed ones with wrong numbers are left for verification to answer false.
 */
export async function readProofBundle(file: string, expected: { vkHash: string; signalCount: number }): Promise<ProofBundle> {
  const json = parseJson((await readRequired(file, 'proof file')).toString('utf8'), file, 'proof file', (m, cause) => new ZkinferError('PROOF_INVALID', m, { cause })) as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw proofError(file, 'not a proof object');
  if (json.format !== PROOF_FORMAT) throw proofError(file, `format must be '${PROOF_FORMAT}', found ${JSON.stringify(json.format)?.slice(0, 40)}`);
  if (typeof json.verificationKey !== 'string') throw proofError(file, 'verificationKey must be the sha256 of the key the proof is for');
  if (json.verificationKey !== expected.vkHash) {
    throw proofError(file, `the proof is for another verification key (${json.verificationKey.slice(0, 12)}…) than this folder's (${expected.vkHash.slice(0, 12)}…): another model or another setup`);
  }
  return {
    format: PROOF_FORMAT,
    model: typeof json.model === 'string' ? json.model : '',
    verificationKey: json.verificationKey,
    proof: parseGroth16Proof(json.proof, `${file}: proof`),
    publicSignals: parsePublicSignals(json.publicSignals, expected.signalCount, `${file}: publicSignals`),
    outputs: json.outputs as ReadableOutputs,
  };
}

export function hashVerificationKey(vkText: string | Buffer): string {
  return sha256(vkText);
}
