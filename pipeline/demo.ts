/**
 * `zkinfer demo`: the whole pipeline on a model that ships with zkinfer (or yours), in one go:
 * quantize, compile, set up, prove one inference, verify it off-chain, deploy the verifier to
 * Hardhat's in-process network and verify on-chain, and check that a tampered proof fails both.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/files.js';
import { packageRoot } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import { BASE_FIELD_MODULUS } from '../core/field.js';
import { argmax, runFloat } from '../model/float.js';
import { loadTfjsModel } from '../model/load/tfjs.js';
import { connectChain } from '../verifier-contracts/chain.js';
import { compileStep } from './compile.js';
import { deployStep, exportVerifierStep, verifyOnChainStep } from './contracts.js';
import { readQModel } from './artifacts.js';
import { proveStep, readInputFile } from './prove.js';
import { quantizeStep } from './quantize.js';
import { setupStep } from './setup.js';
import { verifyStep } from './verify.js';
import { logitsOpIndex, opScales } from '../model/ir.js';

export const DEFAULT_DEMO_MODEL = 'mlp_196_25_10';

export function zooModelPath(name: string): string {
  return path.join(packageRoot(), 'zoo', name);
}

export interface DemoOptions {
  /** A model folder or model.json (default: the zoo's mlp_196_25_10). */
  model?: string;
  /** An input file (default: input.json beside the model). */
  input?: string;
  /** The artifacts folder (default: a new temporary folder). */
  out?: string;
  /** A phase-1 powers-of-tau file instead of the cached development one. */
  ptau?: string;
  onProgress?: OnProgress;
}

export interface DemoCheck {
  name: string;
  ok: boolean;
}

export interface DemoClassRow {
  index: number;
  label: string;
  float: number;
  quantized: number;
  circuit: number;
}

export interface DemoResult {
  dir: string;
  model: string;
  /** The input's true label, when the input file gives one. */
  trueLabel?: number;
  predicted: { float: number; quantized: number; circuit: number };
  classes: DemoClassRow[];
  labels?: string[];
  constraints: number;
  steps: { name: string; ms: number; note?: string }[];
  /** Deploying the verifier; recording one inference through the registry; the bare verifier's verifyProof (estimate). */
  gas?: { deploy: bigint; verify: bigint; verifyProof?: bigint };
  checks: DemoCheck[];
  ok: boolean;
  developmentSetup: boolean;
}

async function trueLabelOf(file: string): Promise<number | undefined> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as { label?: unknown };
  return Number.isInteger(json.label) ? (json.label as number) : undefined;
}

/** A copy of a proof file with one coordinate changed: it must not verify anywhere. */
async function writeTamperedProof(proofFile: string, out: string): Promise<void> {
  const bundle = JSON.parse(await fs.readFile(proofFile, 'utf8'));
  bundle.proof.pi_a[0] = ((BigInt(bundle.proof.pi_a[0]) + 1n) % BASE_FIELD_MODULUS).toString();
  await writeJsonAtomic(out, bundle);
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const modelPath = options.model ?? zooModelPath(DEFAULT_DEMO_MODEL);
  const modelDir = (await fs.stat(modelPath)).isDirectory() ? modelPath : path.dirname(modelPath);
  const inputFile = options.input ?? path.join(modelDir, 'input.json');
  const dir = path.resolve(options.out ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-demo-'))));
  const progress = options.onProgress ? { onProgress: options.onProgress } : {};
  const steps: DemoResult['steps'] = [];
  const timed = async <T>(name: string, work: () => Promise<T>, note?: (value: T) => string | undefined): Promise<T> => {
    options.onProgress?.({ step: name, message: `${name}…` });
    const start = performance.now();
    const value = await work();
    const text = note?.(value);
    steps.push({ name, ms: performance.now() - start, ...(text ? { note: text } : {}) });
    return value;
  };

  const quantized = await timed('quantize', () => quantizeStep({ model: modelPath, out: dir, ...progress }), (r) => (r.calibration ? `${r.calibration.samples} calibration inputs` : 'weight-derived ranges'));
  const compiled = await timed('compile', () => compileStep(dir, progress), (r) => `${r.constraints} constraints`);
  const setup = await timed('setup', () => setupStep(dir, { ...(options.ptau ? { ptau: options.ptau } : {}), ...progress }), (r) =>
    `${r.mode === 'development' ? 'development keys (single party)' : 'from the powers of tau'}, domain 2^${r.domainPower}${r.reused ? ', reused' : ''}`,
  );
  const proved = await timed('prove', () => proveStep(dir, { input: inputFile, ...progress }), (r) => `witness ${r.witnessMs.toFixed(0)} ms, proof ${r.proveMs.toFixed(0)} ms`);
  const verified = await timed('verify', () => verifyStep(dir, { proof: proved.file, input: inputFile }));
  const tamperedFile = path.join(dir, 'tampered-proof.json');
  await writeTamperedProof(proved.file, tamperedFile);
  const tamperedOffChain = await verifyStep(dir, { proof: tamperedFile });
  await timed('export-verifier', () => exportVerifierStep(dir), (r) => r.compiler);
  const chain = await connectChain();
  const deployed = await timed('deploy', () => deployStep(dir, { chain }), (r) => `verifier ${r.verifier.gasUsed} gas; registered as model ${r.modelId}`);
  const entry = { registry: deployed.registry.address, modelId: deployed.modelId, chain };
  const onChain = await timed('verify-onchain', () => verifyOnChainStep(dir, { proof: proved.file, ...entry }), (r) => (r.gas ? `${r.gas} gas, recorded in the registry` : undefined));
  const bare = await verifyOnChainStep(dir, { proof: proved.file, direct: true, address: deployed.verifier.address, chain });
  const tamperedOnChain = await verifyOnChainStep(dir, { proof: tamperedFile, ...entry });

  // Float (TF.js's weights, float64) vs quantized (reference) vs circuit (the proof's public signals).
  const loaded = await loadTfjsModel(modelPath);
  const model = await readQModel(dir);
  const input = await readInputFile(inputFile, model.input.shape);
  const floatLogits = Array.from(runFloat(loaded.float, input.values).logits);
  loaded.dispose();
  const scales = opScales(model)[logitsOpIndex(model)];
  const circuitLogits = (proved.bundle.outputs.logits ?? []).map(Number); // the demo compiles with public outputs
  const classes = floatLogits.map((f, j) => ({
    index: j,
    label: model.labels?.[j] ?? String(j),
    float: f,
    quantized: proved.reference.logits[j] * scales[j],
    circuit: circuitLogits[j] * scales[j],
  }));
  const trueLabel = await trueLabelOf(inputFile);
  const checks: DemoCheck[] = [
    { name: 'circuit outputs equal the integer reference', ok: proved.reference.logits.every((v, j) => v === circuitLogits[j]) },
    { name: 'proof verifies off-chain', ok: verified.proofValid },
    { name: 'input commitment and outputs match the input', ok: verified.inputMatches === true && verified.outputsMatch === true },
    { name: 'tampered proof is rejected off-chain', ok: !tamperedOffChain.valid },
    { name: 'proof verifies on-chain and is recorded in the registry', ok: onChain.valid && onChain.submission?.status === 'recorded' && bare.valid },
    { name: 'tampered proof is rejected on-chain', ok: !tamperedOnChain.valid },
  ];
  return {
    dir,
    model: quantized.model.name,
    ...(trueLabel !== undefined ? { trueLabel } : {}),
    predicted: { float: argmax(floatLogits), quantized: proved.reference.label ?? argmax(proved.reference.logits), circuit: proved.bundle.outputs.label ?? argmax(circuitLogits) },
    classes,
    ...(model.labels ? { labels: model.labels } : {}),
    constraints: compiled.constraints,
    steps,
    ...(onChain.gas !== undefined ? { gas: { deploy: deployed.verifier.gasUsed, verify: onChain.gas, ...(bare.gas !== undefined ? { verifyProof: bare.gas } : {}) } } : {}),
    checks,
    ok: checks.every((c) => c.ok),
    developmentSetup: setup.mode === 'development',
  };
}
