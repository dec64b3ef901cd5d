/**
 * `zkinfer prove`: one inference input → a proof file. The input is validated and quantized
 * before any witness is built; the proof's public outputs are checked against the integer
 * reference interpreter before the file is written.
 */
import * as path from 'node:path';
import { checkRecipient, expectedPublicSignals, witnessInput } from '../circuits/signals.js';
import { parseAddress } from '../core/address.js';
import { InputError, ZkinferError } from '../core/errors.js';
import { parseJson, readRequired, writeJsonAtomic } from '../core/files.js';
import type { OnProgress } from '../core/progress.js';
import { parseInputDocument, quantizeInput } from '../model/input.js';
import { type ReferenceTrace, runReference } from '../model/reference.js';
import type { CircuitInput, ProofResult } from '../prover/pool/messages.js';
import type { ProverPool } from '../prover/pool/pool.js';
import { proveInference } from '../prover/prove.js';
import { type CompiledCircuit, artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES, witnessGeneratorPath } from './manifest.js';
import { PROOF_FORMAT, type ProofBundle, readableOutputs } from './proof-bundle.js';

export interface InferenceInput {
  /** Float values in the model's units, flat or nested to its input shape. */
  values: number[];
  salt?: bigint;
  /** The address the proof is bound to: required by circuits compiled with --recipient public, refused by others. */
  recipient?: bigint;
}

export async function readInputFile(file: string, shape: readonly number[]): Promise<InferenceInput> {
  const text = (await readRequired(file, 'input file')).toString('utf8');
  return parseInputDocument(parseJson(text, file, 'input file', (m, cause) => new InputError(m, { cause })), shape, file);
}

export interface ProveStepOptions {
  /** An input file `{ "input": [...], "salt"?: "...", "recipient"?: "0x…" }`, or the input itself. */
  input: string | InferenceInput;
  /** The address to bind the proof to (`zkinfer prove --recipient`), when the input does not name it. */
  recipient?: string;
  /** Where to write the proof (default: proof.json in the artifacts folder). */
  out?: string;
  pool?: ProverPool;
  /** Without a pool: threads of the proof (default 1). */
  threads?: number;
  onProgress?: OnProgress;
}

export interface ProveStepResult {
  file: string;
  bundle: ProofBundle;
  reference: ReferenceTrace;
  quantizedInput: number[];
  witnessMs: number;
  proveMs: number;
}

/** An input checked and quantized, with what the reference says about it. */
export interface PreparedInference {
  quantized: number[];
  salt: bigint;
  recipient?: bigint;
  reference: ReferenceTrace;
}

/**
 * The checks every proof path applies before any witness is built: the input's values are
 * finite and land in the model's input range (or an InputError names the index, the value and
 * the range, prefixed by `where`), and a recipient is given exactly when the circuit binds one.
 */
export function prepareInference(circuit: CompiledCircuit, input: InferenceInput, where: string): PreparedInference {
  const { model, plan } = circuit;
  const quantized = quantizeInput(input.values, model.input, `${where}: input`);
  checkRecipient(plan, input.recipient, where);
  return { quantized, salt: input.salt ?? 0n, ...(input.recipient !== undefined ? { recipient: input.recipient } : {}), reference: runReference(model, quantized) };
}

/** The circuit input of a prepared inference: the input, the salt, (params hashed) the weights and (recipient public) the recipient. */
export function circuitInput(circuit: CompiledCircuit, prepared: PreparedInference): CircuitInput {
  return witnessInput(circuit.model, circuit.plan, prepared.quantized, prepared.salt, prepared.recipient);
}

/**
 * A proof's file contents, after checking that its public signals are the reference's: a proof
 * of other outputs than the model's is a zkinfer bug, never something to hand out.
 */
export function bundleProof(circuit: CompiledCircuit, vkHash: string, prepared: PreparedInference, result: ProofResult): ProofBundle {
  const { model, plan, layout } = circuit;
  const expected = expectedPublicSignals(model, plan, prepared.quantized, prepared.salt, prepared.recipient, prepared.reference);
  if (JSON.stringify(result.publicSignals) !== JSON.stringify(expected)) {
    throw new ZkinferError('INTERNAL', 'the circuit computed other outputs than the reference interpreter: this is a zkinfer bug, please report it', {
      details: { circuit: result.publicSignals, reference: expected },
    });
  }
  return {
    format: PROOF_FORMAT,
    model: model.name,
    verificationKey: vkHash,
    proof: result.proof,
    publicSignals: result.publicSignals,
    outputs: readableOutputs(layout, result.publicSignals, model),
  };
}

/**
 * The recipient: an address given apart from the input (`--recipient`) or the one the input
 * document `where` names, which must not contradict each other.
 */
export function chooseRecipient(address: string | undefined, input: InferenceInput | undefined, where: string): bigint | undefined {
  if (address === undefined) return input?.recipient;
  const recipient = parseAddress(address, '--recipient');
  if (input?.recipient !== undefined && input.recipient !== recipient) {
    throw new InputError(`--recipient ${address} is not the recipient that ${where} names: give one or the other`);
  }
  return recipient;
}

export async function proveStep(dir: string, options: ProveStepOptions): Promise<ProveStepResult> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const { model } = circuit;
  const document = typeof options.input === 'string' ? await readInputFile(options.input, model.input.shape) : options.input;
  const where = typeof options.input === 'string' ? options.input : 'input';
  const recipient = chooseRecipient(options.recipient, document, where);
  const prepared = prepareInference(circuit, { ...document, ...(recipient !== undefined ? { recipient } : {}) }, where);

  options.onProgress?.({ step: 'prove', message: 'computing the witness and the proof' });
  const result = await proveInference({
    witnessPath: witnessGeneratorPath(dir, manifest),
    zkeyPath: artifactPath(dir, FILES.zkey),
    input: circuitInput(circuit, prepared),
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const bundle = bundleProof(circuit, manifest.stages.setup!.outputs[FILES.vk]!, prepared, result);
  const file = path.resolve(options.out ?? artifactPath(dir, 'proof.json'));
  await writeJsonAtomic(file, bundle);
  return { file, bundle, reference: prepared.reference, quantizedInput: prepared.quantized, witnessMs: result.witnessMs, proveMs: result.proveMs };
}
