/**
 * One model through the whole pipeline, measured: quantize, accuracy of the float and quantized
 * models on the test set, compile, setup, proofs of the first test images in a prover worker (one
 * cold proof, then every sample warm), off-chain verification, the Solidity verifier deployed and
 * called on Hardhat's in-process network, proof sizes and peak memory. Each stage is the pipeline
 * step its `zkinfer` verb runs, on one artifacts folder.
 *
 * Every zoo model is expected to go through: any error (a layer zkinfer refuses included) makes
 * the model 'failed', reported with its code and message.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ProverPool, ZkinferError, compileStep, isOnnxFile, hashedParamsCost, proveStep, quantizeStep, setupStep, verifyStep, type OnProgress, type ProveStepResult } from '../index.js';
import { messageOf } from '../core/errors.js';
import { readJson } from '../core/files.js';
import { timed } from '../core/progress.js';
import { FILES } from '../pipeline/manifest.js';
import { artifactPath } from '../pipeline/artifacts.js';
import { withBn128 } from '../prover/curve.js';
import { type LabelledInputs, floatAccuracy, quantizedAccuracy } from './accuracy.js';
import { peakRssOf, resetPeakRss } from './memory.js';
import { measureAgainstSnarkjs } from './against-snarkjs.js';
import { benchOnChain } from './onchain.js';
import { spreadOf } from './stats.js';
import type { ModelBench } from './types.js';
import { maxOf } from '../core/numbers.js';

export interface BenchModelSpec {
  name: string;
  architecture: string;
  /** The model's folder (metadata.json, calibration.json, …). */
  modelDir: string;
  /** The model in it: a model.onnx, or by default the TF.js model.json. */
  modelFile?: string;
}

export interface BenchModelContext {
  /** The test set, as model inputs; the first `samples` are proven. */
  test: LabelledInputs;
  samples: number;
  /** The artifacts folder for this model. */
  dir: string;
  onProgress?: OnProgress;
}

const modelFileOf = (spec: BenchModelSpec) => spec.modelFile ?? path.join(spec.modelDir, 'model.json');

async function countParameters(modelDir: string, modelFile: string): Promise<number> {
  // An ONNX zoo model's metadata counts its trained parameters (its file may hold them rearranged).
  if (isOnnxFile(modelFile)) {
    const { parameters } = (await readJson(path.join(modelDir, 'metadata.json'), 'model metadata')) as { parameters?: unknown };
    if (typeof parameters !== 'number') throw new ZkinferError('ARTIFACT_INVALID', `${path.join(modelDir, 'metadata.json')} does not say how many parameters the model has`);
    return parameters;
  }
  const file = modelFile;
  const json = (await readJson(file, 'model file')) as { weightsManifest?: { weights?: { shape?: number[] }[] }[] };
  const weights = (json.weightsManifest ?? []).flatMap((group) => group.weights ?? []);
  return weights.reduce((sum, weight) => sum + (weight.shape ?? []).reduce((a, b) => a * b, 1), 0);
}

async function trainingAccuracy(modelDir: string): Promise<number | undefined> {
  try {
    const metadata = JSON.parse(await fs.readFile(path.join(modelDir, 'metadata.json'), 'utf8')) as { floatTestAccuracy?: unknown };
    return typeof metadata.floatTestAccuracy === 'number' ? metadata.floatTestAccuracy : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a proof's decoded outputs (label and every logit) are the integer reference's for its
 * input. proveStep already refuses a proof whose public signals differ from the reference's; this
 * counts the agreement from what a verifier reads, the proof file's outputs.
 */
function agreesWithReference(proved: ProveStepResult): boolean {
  const { outputs } = proved.bundle;
  const { reference } = proved;
  const logits = outputs.logits ?? [];
  return outputs.label === reference.label && logits.length === reference.logits.length && logits.every((v, j) => v === String(reference.logits[j]));
}

export async function benchModel(spec: BenchModelSpec, context: BenchModelContext): Promise<ModelBench> {
  const result: ModelBench = { name: spec.name, architecture: spec.architecture, status: 'ok', dir: context.dir };
  const trained = await trainingAccuracy(spec.modelDir);
  if (trained !== undefined) result.trainingFloatAccuracy = trained;
  try {
    result.parameters = await countParameters(spec.modelDir, modelFileOf(spec));
    await measure(spec, context, result);
  } catch (error) {
    result.status = 'failed';
    result.error = { code: error instanceof ZkinferError ? error.code : 'INTERNAL', message: messageOf(error) };
  }
  return result;
}

async function measure(spec: BenchModelSpec, context: BenchModelContext, result: ModelBench): Promise<void> {
  const { dir, test, samples } = context;
  const report: OnProgress = (event) => context.onProgress?.({ ...event, step: `${spec.name} ${event.step}` });
  const progress = { onProgress: report };
  const ms: NonNullable<ModelBench['ms']> = {};
  result.ms = ms;
  const fresh = await resetPeakRss();

  const quantized = await timed(() => quantizeStep({ model: modelFileOf(spec), out: dir, ...progress }));
  ms.quantize = quantized.ms;
  const model = quantized.value.model;
  const float = await floatAccuracy(modelFileOf(spec), test, report);
  result.accuracy = { testImages: test.inputs.length, float: float.accuracy };
  const tools: NonNullable<ModelBench['tools']> = { tfjsBackend: float.backend };
  result.tools = tools;
  result.accuracy.quantized = quantizedAccuracy(model, test, report);

  report({ step: 'compile', message: 'compiling the circuit (--backend auto: circom for small circuits, else the direct path)' });
  const compiled = await compileStep(dir, progress);
  result.constraints = compiled.constraints;
  const hashed = hashedParamsCost(model);
  result.hashedParamsConstraints = 'constraints' in hashed ? hashed.constraints : hashed.error;
  tools.circom = compiled.compiler;
  ms.compile = compiled.ms;
  const cpuMs: NonNullable<ModelBench['cpuMs']> = compiled.cpuMs !== undefined ? { compile: compiled.cpuMs } : {};
  result.cpuMs = cpuMs;
  report({ step: 'setup', message: 'Groth16 setup' });
  const setupCpu = process.cpuUsage();
  const setup = await setupStep(dir, progress);
  const setupCpuUsed = process.cpuUsage(setupCpu);
  cpuMs.setup = (setupCpuUsed.user + setupCpuUsed.system) / 1000;
  ms.setup = setup.ms;
  result.provingKeyBytes = (await fs.stat(artifactPath(dir, FILES.zkey))).size;
  result.ptau = { power: setup.ptau.power, development: setup.ptau.development, cached: setup.ptau.cached };

  // Proofs: one cold (the worker starts, reads the key, builds its prover), then every sample warm.
  const proofFile = (k: number) => path.join(dir, 'proofs', `sample-${k}.json`);
  const inputOf = (k: number) => ({ values: Array.from(test.inputs[k]!) });
  const proofs: ProveStepResult[] = [];
  let workerPeaks: number[] = [];
  const pool = await ProverPool.create({ size: 1 });
  try {
    report({ step: 'prove', message: 'cold proof (fresh worker)' });
    const cold = await timed(() => proveStep(dir, { input: inputOf(0), out: proofFile(0), pool }));
    ms.coldProof = { witness: cold.value.witnessMs, prove: cold.value.proveMs, call: cold.ms };
    for (let k = 0; k < samples; k++) {
      report({ step: 'prove', message: 'proving test images', done: k, total: samples });
      proofs.push(await proveStep(dir, { input: inputOf(k), out: proofFile(k), pool }));
    }
    report({ step: 'prove', message: 'proving test images', done: samples, total: samples });
    workerPeaks = (await Promise.all(pool.workerPids.map(peakRssOf))).filter((v): v is number => v !== undefined);
  } finally {
    await pool.close();
  }
  ms.witness = spreadOf(proofs.map((p) => p.witnessMs));
  ms.prove = spreadOf(proofs.map((p) => p.proveMs));
  result.samples = {
    count: samples,
    agreeing: proofs.filter(agreesWithReference).length,
    correct: proofs.filter((p, k) => p.bundle.outputs.label === test.labels[k]).length,
  };

  // Off-chain verification: once as `zkinfer verify` does it (building the curve), then with the curve kept built.
  report({ step: 'verify', message: 'verifying the proofs off-chain' });
  const offChainFailure = (file: string) => new ZkinferError('CHECK_FAILED', `${spec.name}: the proof ${file} does not verify off-chain`);
  const coldVerify = await timed(() => verifyStep(dir, { proof: proofs[0]!.file }));
  if (!coldVerify.value.valid) throw offChainFailure(proofs[0]!.file);
  ms.coldVerify = coldVerify.ms;
  ms.verify = spreadOf(
    await withBn128(async () => {
      const times: number[] = [];
      for (const proof of proofs) {
        const verified = await timed(() => verifyStep(dir, { proof: proof.file }));
        if (!verified.value.valid) throw offChainFailure(proof.file);
        times.push(verified.ms);
      }
      return times;
    }),
  );

  report({ step: 'verify-onchain', message: 'compiling, deploying and calling the Solidity verifier' });
  const onChain = await benchOnChain(spec.name, dir, proofs);
  tools.solc = onChain.compiler;
  ms.exportVerifier = onChain.exportMs;
  ms.verifyOnChain = onChain.verifyMs;
  result.gas = onChain.gas;
  const first = proofs[0]!;
  result.proofBytes = { json: Buffer.byteLength(JSON.stringify(first.bundle.proof)), calldata: onChain.calldataBytes, file: (await fs.stat(first.file)).size };

  const processPeak = await peakRssOf('self');
  result.memory = {
    ...(processPeak !== undefined ? { processPeakBytes: processPeak } : {}),
    ...(workerPeaks.length > 0 ? { workerPeakBytes: maxOf(workerPeaks) } : {}),
    ...(compiled.peakMemoryBytes !== undefined ? { compilerPeakBytes: compiled.peakMemoryBytes } : {}),
    processPeakSinceStart: !fresh,
  };

  // Last, so that the peak memory above is the pipeline's alone: this loads a prover in this process.
  report({ step: 'prove', message: "zkinfer's prover against snarkjs's groth16.prove, one thread" });
  result.againstSnarkjs = await measureAgainstSnarkjs(dir);
}
