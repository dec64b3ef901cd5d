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
import { readInputFile } from './prove.js';
import { logitsOpIndex, opScales } from '../model/ir.js';

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
  outputs: ReadableOutputs;
}

/** The proof file, checked to be for this folder's key and shape. */
export async function openProof(dir: string, proofFile: string): Promise<{ bundle: ProofBundle; outputs: ReadableOutputs; circuit: CompiledCircuit }> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const { model, layout } = circuit;
  const bundle = await readProofBundle(proofFile, { vkHash: manifest.stages.setup!.outputs[FILES.vk], signalCount: layout.names.length });
  return { bundle, circuit, outputs: readableOutputs(layout, bundle.publicSignals, model.labels, opScales(model)[logitsOpIndex(model)]) };
}

export async function verifyStep(dir: string, options: { proof: string; input?: string }): Promise<VerifyStepResult> {
  const { bundle, outputs, circuit } = await openProof(dir, options.proof);
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as VerificationKey;
  const proofValid = await verifyGroth16(vk, bundle.publicSignals, bundle.proof);
  // With params hashed the key proves inferences of any weights of this shape: without this check
  // a proof made with other weights would be valid here.
  const paramsMatch = paramsMatchFolder(circuit, bundle.publicSignals);
  const params = paramsMatch === undefined ? {} : { paramsMatch };
  if (!options.input) return { valid: proofValid && paramsMatch !== false, proofValid, ...params, outputs };

  // Recompute the public signals from the input (its commitment or values, the outputs and their
  // commitment) and compare part by part.
  const { model, plan, layout } = circuit;
  const input = await readInputFile(options.input, model.input.shape);
  const expected = expectedPublicSignals(model, plan, quantizeInput(input.values, model.input, `${options.input}: input`), input.salt ?? 0n);
  const range = (r?: { start: number; count: number }) => (r ? Array.from({ length: r.count }, (_, i) => r.start + i) : []);
  const one = (i?: number) => (i === undefined ? [] : [i]);
  // Each part the proof makes public (nothing to compare when it shows nothing of that part).
  const compare = (indices: number[]) => (indices.length === 0 ? undefined : indices.every((i) => expected[i] === bundle.publicSignals[i]));
  const parts = {
    inputMatches: compare([...one(layout.inputCommitment), ...range(layout.input)]),
    outputsMatch: compare([...one(layout.label), ...range(layout.logits), ...one(layout.outputCommitment)]),
  };
  const checked = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as Partial<typeof parts>;
  return { valid: proofValid && paramsMatch !== false && Object.values(checked).every(Boolean), proofValid, ...checked, ...params, outputs };
}

/** Params hashed: whether the public signals' parameters commitment is the folder's model's; undefined when the circuit has none. */
export function paramsMatchFolder({ model, plan, layout }: CompiledCircuit, publicSignals: readonly string[]): boolean | undefined {
  if (layout.paramsCommitment === undefined) return undefined;
  return publicSignals[layout.paramsCommitment] === toField(paramsCommitment(plan.params!, model)).toString();
}
