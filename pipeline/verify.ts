/**
 * `zkinfer verify`: check a proof file against the folder's verification key; with the input it
 * claims to be about, also recompute the input commitment and the model's outputs and compare.
 */
import { publicSignalLayout } from '../circuits/layout.js';
import { readJson } from '../core/files.js';
import { quantizeInput } from '../model/input.js';
import { verifyGroth16, type VerificationKey } from '../prover/verify.js';
import { artifactPath, openArtifacts, readQModel } from './artifacts.js';
import { FILES } from './manifest.js';
import { type ProofBundle, readProofBundle, readableOutputs, type ReadableOutputs } from './proof-bundle.js';
import { expectedPublicSignals, readInputFile } from './prove.js';
import { logitsOpIndex, opScales } from '../model/ir.js';

export interface VerifyStepResult {
  /** The proof checks, and (with an input) the input and outputs match it. */
  valid: boolean;
  proofValid: boolean;
  /** With an input: its commitment equals the proof's. */
  inputMatches?: boolean;
  /** With an input: the model's outputs on it equal the proof's. */
  outputsMatch?: boolean;
  outputs: ReadableOutputs;
}

/** The proof file, checked to be for this folder's key and shape. */
export async function openProof(dir: string, proofFile: string): Promise<{ bundle: ProofBundle; outputs: ReadableOutputs }> {
  const manifest = await openArtifacts(dir, ['quantize', 'setup']);
  const model = await readQModel(dir);
  const layout = publicSignalLayout(model);
  const bundle = await readProofBundle(proofFile, { vkHash: manifest.stages.setup!.outputs[FILES.vk], signalCount: layout.names.length });
  return { bundle, outputs: readableOutputs(layout, bundle.publicSignals, model.labels, opScales(model)[logitsOpIndex(model)]) };
}

export async function verifyStep(dir: string, options: { proof: string; input?: string }): Promise<VerifyStepResult> {
  const { bundle, outputs } = await openProof(dir, options.proof);
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as VerificationKey;
  const proofValid = await verifyGroth16(vk, bundle.publicSignals, bundle.proof);
  if (!options.input) return { valid: proofValid, proofValid, outputs };

  const model = await readQModel(dir);
  const input = await readInputFile(options.input, model.input.shape);
  const expected = expectedPublicSignals(model, quantizeInput(input.values, model.input, `${options.input}: input`), input.salt ?? 0n);
  const inputMatches = expected[0] === bundle.publicSignals[0];
  const outputsMatch = expected.slice(1).every((v, i) => v === bundle.publicSignals[i + 1]);
  return { valid: proofValid && inputMatches && outputsMatch, proofValid, inputMatches, outputsMatch, outputs };
}
