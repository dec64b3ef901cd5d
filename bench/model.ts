/**
 * One model through the whole pipeline, measured: quantize, accuracy of the float and quantized
 * models on the test set, compile, setup, proofs of the first test images in a prover worker (one
 * cold proof, then every sample warm), off-chain verification, the Solidity verifier deployed and
 * called on Hardhat's in-process network, proof sizes and peak memory.
 *
 * A model whose layers zkinfer cannot prove yet (MODEL_UNSUPPORTED, from whichever step refuses it)
 * is reported as such; any other error is a failure of the benchmark, reported with its code.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ethers } from 'ethers';
import {
  ProverPool,
  ZkinferError,
  compileStep,
  deployStep,
  exportVerifierStep,
  proveStep,
  quantizeInput,
  quantizeStep,
  runReference,
  setupStep,
  verifyOnChainStep,
  verifyStep,
  type OnProgress,
  type ProveStepResult,
  type QModel,
} from '../index.js';
import { messageOf } from '../core/errors.js';
import { readJson } from '../core/files.js';
import { withBn128 } from '../prover/curve.js';
import { verifierArguments } from '../verifier-contracts/verifier.js';
import { type LabelledInputs, floatAccuracy, quantizedAccuracy } from './accuracy.js';
import { peakRssOf, resetPeakRss } from './memory.js';
import { spreadOf } from './stats.js';
import type { ModelBench } from './types.js';

export interface BenchModelSpec {
  name: string;
  architecture: string;
  /** The TF.js model folder. */
  modelDir: string;
}

export interface BenchModelContext {
  /** The test set, as model inputs; the first `samples` are proven. */
  test: LabelledInputs;
  samples: number;
  /** The artifacts folder for this model. */
  dir: string;
  onProgress?: OnProgress;
}

async function countParameters(modelDir: string): Promise<number> {
  const file = path.join(modelDir, 'model.json');
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

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

/** Whether a proof's public outputs are exactly what the integer reference computes for its input. */
function agreesWithReference(model: QModel, input: ArrayLike<number>, proved: ProveStepResult): boolean {
  const reference = runReference(model, quantizeInput(Array.from(input), model.input));
  const outputs = proved.bundle.outputs;
  return outputs.label === reference.label && outputs.logits.length === reference.logits.length && outputs.logits.every((v, j) => v === String(reference.logits[j]));
}

function checkFailed(message: string): ZkinferError {
  return new ZkinferError('CHECK_FAILED', message);
}

export async function benchModel(spec: BenchModelSpec, context: BenchModelContext): Promise<ModelBench> {
  const result: ModelBench = { name: spec.name, architecture: spec.architecture, status: 'ok', dir: context.dir };
  const trained = await trainingAccuracy(spec.modelDir);
  if (trained !== undefined) result.trainingFloatAccuracy = trained;
  try {
    result.parameters = await countParameters(spec.modelDir);
    await measure(spec, context, result);
  } catch (error) {
    if (error instanceof ZkinferError && error.code === 'MODEL_UNSUPPORTED') {
      result.status = 'unsupported';
      result.reason = error.message;
    } else {
      result.status = 'failed';
      result.error = { code: error instanceof ZkinferError ? error.code : 'INTERNAL', message: messageOf(error) };
    }
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

  const quantized = await timed(() => quantizeStep({ model: spec.modelDir, out: dir, ...progress }));
  ms.quantize = quantized.ms;
  const model = quantized.value.model;
  const float = await floatAccuracy(spec.modelDir, test, report);
  result.accuracy = { testImages: test.inputs.length, float: float.accuracy };
  const tools: NonNullable<ModelBench['tools']> = { tfjsBackend: float.backend };
  result.tools = tools;
  result.accuracy.quantized = quantizedAccuracy(model, test, report);

  report({ step: 'compile', message: 'compiling the circuit with circom' });
  const compiled = await compileStep(dir, progress);
  result.constraints = compiled.constraints;
  tools.circom = compiled.compiler;
  ms.compile = compiled.ms;
  report({ step: 'setup', message: 'Groth16 setup' });
  const setup = await setupStep(dir, progress);
  ms.setup = setup.ms;
  result.ptau = { power: setup.ptau.power, development: setup.ptau.development, cached: setup.ptau.cached };

  // Proofs: one cold (the worker starts, loads snarkjs, builds the curve), then every sample warm.
  const proofFile = (k: number) => path.join(dir, 'proofs', `sample-${k}.json`);
  const inputOf = (k: number) => ({ values: Array.from(test.inputs[k]!) });
  const proofs: ProveStepResult[] = [];
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
    const workerPeaks = (await Promise.all(pool.workerPids.map(peakRssOf))).filter((v): v is number => v !== undefined);
    if (workerPeaks.length > 0) result.memory = { workerPeakBytes: Math.max(...workerPeaks), processPeakSinceStart: !fresh };
  } finally {
    await pool.close();
  }
  ms.witness = spreadOf(proofs.map((p) => p.witnessMs));
  ms.prove = spreadOf(proofs.map((p) => p.proveMs));
  const agreeing = proofs.filter((p, k) => agreesWithReference(model, test.inputs[k]!, p)).length;
  const correct = proofs.filter((p, k) => p.bundle.outputs.label === test.labels[k]).length;
  result.samples = { count: samples, agreeing, correct };

  // Off-chain verification: once as `zkinfer verify` does it, then with the curve kept built.
  report({ step: 'verify', message: 'verifying the proofs off-chain' });
  const coldVerify = await timed(() => verifyStep(dir, { proof: proofs[0]!.file }));
  ms.coldVerify = coldVerify.ms;
  const verifyMs = await withBn128(async () => {
    const times: number[] = [];
    for (const proof of proofs) {
      const verified = await timed(() => verifyStep(dir, { proof: proof.file }));
      if (!verified.value.valid) throw checkFailed(`${spec.name}: the proof ${proof.file} does not verify off-chain`);
      times.push(verified.ms);
    }
    return times;
  });
  if (!coldVerify.value.valid) throw checkFailed(`${spec.name}: the proof ${proofs[0]!.file} does not verify off-chain`);
  ms.verify = spreadOf(verifyMs);

  report({ step: 'verify-onchain', message: 'compiling, deploying and calling the Solidity verifier' });
  const exported = await timed(() => exportVerifierStep(dir));
  ms.exportVerifier = exported.ms;
  tools.solc = exported.value.compiler;
  const deployed = await deployStep(dir);
  const onChainMs: number[] = [];
  const gas: number[] = [];
  for (const proof of proofs) {
    const checked = await timed(() => verifyOnChainStep(dir, { proof: proof.file, address: deployed.address }));
    if (!checked.value.valid) throw checkFailed(`${spec.name}: the proof ${proof.file} does not verify on-chain`);
    onChainMs.push(checked.ms);
    if (checked.value.gas !== undefined) gas.push(Number(checked.value.gas));
  }
  ms.verifyOnChain = spreadOf(onChainMs);
  const verifyGas = spreadOf(gas);
  if (verifyGas) result.gas = { deploy: Number(deployed.gasUsed), verify: verifyGas };

  const first = proofs[0]!.bundle;
  const { abi } = JSON.parse(await fs.readFile(exported.value.artifact, 'utf8')) as { abi: ethers.InterfaceAbi };
  const args = verifierArguments(first.proof, first.publicSignals);
  if (!args) throw new ZkinferError('INTERNAL', `${spec.name}: a proof zkinfer made cannot be ABI-encoded`);
  const calldata = new ethers.Interface(abi).encodeFunctionData('verifyProof', args);
  result.proofBytes = {
    json: Buffer.byteLength(JSON.stringify(first.proof)),
    calldata: ethers.dataLength(calldata),
    file: (await fs.stat(proofs[0]!.file)).size,
  };

  const processPeak = await peakRssOf('self');
  result.memory = { ...result.memory, ...(processPeak !== undefined ? { processPeakBytes: processPeak } : {}), processPeakSinceStart: !fresh };
}
