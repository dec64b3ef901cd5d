/**
 * `zkinfer prove`: one inference input → a proof file. The input is validated and quantized
 * before any witness is built; the proof's public outputs are checked against the integer
 * reference interpreter before the file is written.
 */
import * as path from 'node:path';
import { expectedPublicSignals, witnessInput } from '../circuits/signals.js';
import { InputError, ZkinferError } from '../core/errors.js';
import { parseJson, readRequired, writeJsonAtomic } from '../core/files.js';
import type { OnProgress } from '../core/progress.js';
import { logitsOpIndex, opScales } from '../model/ir.js';
import { parseInputDocument, quantizeInput } from '../model/input.js';
import { type ReferenceTrace, runReference } from '../model/reference.js';
import type { ProverPool } from '../prover/pool/pool.js';
import { proveInference } from '../prover/prove.js';
import { artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES } from './manifest.js';
import { PROOF_FORMAT, type ProofBundle, readableOutputs } from './proof-bundle.js';

export interface InferenceInput {
  /** Float values in the model's units, flat or nested to its input shape. */
  values: number[];
  salt?: bigint;
}

export async function readInputFile(file: string, shape: readonly number[]): Promise<InferenceInput> {
  const text = (await readRequired(file, 'input file')).toString('utf8');
  return parseInputDocument(parseJson(text, file, 'input file', (m, cause) => new InputError(m, { cause })), shape, file);
}

export interface ProveStepOptions {
  /** An input file `{ "input": [...], "salt"?: "..." }`, or the input itself. */
  input: string | InferenceInput;
  /** Where to write the proof (default: proof.json in the artifacts folder). */
  out?: string;
  pool?: ProverPool;
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

export async function proveStep(dir: string, options: ProveStepOptions): Promise<ProveStepResult> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const { model, plan, layout } = await readCircuit(dir, manifest);
  const input = typeof options.input === 'string' ? await readInputFile(options.input, model.input.shape) : options.input;
  const where = typeof options.input === 'string' ? `${options.input}: input` : 'input';
  const quantized = quantizeInput(input.values, model.input, where);
  const salt = input.salt ?? 0n;
  const reference = runReference(model, quantized);

  options.onProgress?.({ step: 'prove', message: 'computing the witness and the proof' });
  const result = await proveInference({
    wasmPath: artifactPath(dir, FILES.wasm),
    zkeyPath: artifactPath(dir, FILES.zkey),
    input: witnessInput(model, plan, quantized, salt),
    ...(options.pool ? { pool: options.pool } : {}),
  });
  const expected = expectedPublicSignals(model, plan, quantized, salt);
  if (JSON.stringify(result.publicSignals) !== JSON.stringify(expected)) {
    throw new ZkinferError('INTERNAL', 'the circuit computed other outputs than the reference interpreter: this is a zkinfer bug, please report it', {
      details: { circuit: result.publicSignals, reference: expected },
    });
  }
  const bundle: ProofBundle = {
    format: PROOF_FORMAT,
    model: model.name,
    verificationKey: manifest.stages.setup!.outputs[FILES.vk],
    proof: result.proof,
    publicSignals: result.publicSignals,
    outputs: readableOutputs(layout, result.publicSignals, model.labels, opScales(model)[logitsOpIndex(model)]),
  };
  const file = path.resolve(options.out ?? artifactPath(dir, 'proof.json'));
  await writeJsonAtomic(file, bundle);
  return { file, bundle, reference, quantizedInput: quantized, witnessMs: result.witnessMs, proveMs: result.proveMs };
}
