/**
 * `zkinfer verify`: check a proof file against the folder's verification key and, when the circuit
 * takes its weights as private inputs (params hashed), that the proof's parameters commitment is
 * this folder's model's; with the input it claims to be about, also recompute the input commitment
 * and the model's outputs and compare.
 */
import { paramsCommitment } from '../circuits/commitment.js';
import { expectedPublicSignals } from '../circuits/signals.js';
import { toField } from '../core/field.js';
import { readJson } from '../core/files.js';
import { quantizeInput } from '../model/input.js';
import { verifyGroth16, type VerificationKey } from '../prover/verify.js';
import { type CompiledCircuit, artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES } from './manifest.js';
import { type ProofBundle, readProofBundle, readableOutputs, type ReadableOutputs } from './proof-bundle.js';
import { type InferenceInput, chooseRecipient, readInputFile } from './prove.js';
import { ZkinferError } from '../core/errors.js';

export interface VerifyStepResult {
  /** The proof checks, and (with an input) the input and outputs match it. */
  valid: boolean;
  proofValid: boolean;
  /** With an input: its commitment (or its values, input public) equals the proof's; absent when the input is private. */
  inputMatches?: boolean;
  /** With an input: the model's outputs on it equal the proof's (or their commitment). */
  outputsMatch?: boolean;
  /** Params hashed: the proof's parameters commitment is this folder's model's (checked with or without an input). */
  paramsMatch?: boolean;
  /** With a recipient (--recipient, or the input's): the proof is bound to it (recipient public). */
  recipientMatches?: boolean;
  outputs: ReadableOutputs;
}

/** The proof file, checked to be for this folder's key and shape. */
export async function openProof(dir: string, proofFile: string): Promise<{ bundle: ProofBundle; outputs: ReadableOutputs; circuit: CompiledCircuit }> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const { model, layout } = circuit;
  const bundle = await readProofBundle(proofFile, { vkHash: manifest.stages.setup!.outputs[FILES.vk], signalCount: layout.names.length });
  return { bundle, circuit, outputs: readableOutputs(layout, bundle.publicSignals, model) };
}

export interface VerifyStepOptions {
  proof: string;
  /** The input file the proof claims to be about. */
  input?: string;
  /** recipient public: the address the proof must be bound to (else the input file's "recipient", when it has one). */
  recipient?: string;
}

export async function verifyStep(dir: string, options: VerifyStepOptions): Promise<VerifyStepResult> {
  const { bundle, outputs, circuit } = await openProof(dir, options.proof);
  const { model, layout } = circuit;
  const input = options.input ? await readInputFile(options.input, model.input.shape) : undefined;
  const recipient = chooseRecipient(options.recipient, input, options.input ?? '');
  if (recipient !== undefined && layout.recipient === undefined) {
    throw new ZkinferError('USAGE', `${dir}'s circuit binds its proofs to no recipient (compiled without --recipient public): there is no recipient to check`);
  }
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as VerificationKey;
  const proofValid = await verifyGroth16(vk, bundle.publicSignals, bundle.proof);
  const boundTo = layout.recipient === undefined ? undefined : BigInt(bundle.publicSignals[layout.recipient]!);
  const parts: Omit<VerifyStepResult, 'valid' | 'proofValid' | 'outputs'> = {
    // With params hashed the key proves inferences of any weights of this shape: without this check
    // a proof made with other weights would be valid here, with or without the input.
    paramsMatch: paramsMatchFolder(circuit, bundle.publicSignals),
    recipientMatches: recipient === undefined ? undefined : boundTo === recipient,
  };
  if (input) Object.assign(parts, compareWithInput(circuit, bundle, input, options.input!, recipient ?? boundTo));
  const checked = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as typeof parts;
  return { valid: proofValid && Object.values(checked).every(Boolean), proofValid, ...checked, outputs };
}

/**
 * Recompute the public signals from the input (its commitment or values, the outputs and their
 * commitment) and compare part by part.
 */
function compareWithInput(circuit: CompiledCircuit, bundle: ProofBundle, input: InferenceInput, file: string, recipient: bigint | undefined) {
  const { model, plan, layout } = circuit;
  const expected = expectedPublicSignals(model, plan, quantizeInput(input.values, model.input, `${file}: input`), input.salt ?? 0n, recipient);
  const range = (r?: { start: number; count: number }) => (r ? Array.from({ length: r.count }, (_, i) => r.start + i) : []);
  const one = (i?: number) => (i === undefined ? [] : [i]);
  // Each part the proof makes public (nothing to compare when it shows nothing of that part).
  const compare = (indices: number[]) => (indices.length === 0 ? undefined : indices.every((i) => expected[i] === bundle.publicSignals[i]));
  return {
    inputMatches: compare([...one(layout.inputCommitment), ...range(layout.input)]),
    outputsMatch: compare([...one(layout.label), ...range(layout.logits), ...range(layout.probabilities), ...one(layout.outputCommitment)]),
  };
}

/** Params hashed: whether the public signals' parameters commitment is the folder's model's; undefined when the circuit has none. */
export function paramsMatchFolder({ model, plan, layout }: CompiledCircuit, publicSignals: readonly string[]): boolean | undefined {
  if (layout.paramsCommitment === undefined) return undefined;
  return publicSignals[layout.paramsCommitment] === toField(paramsCommitment(plan.params!, model)).toString();
}
