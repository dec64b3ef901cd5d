/**
 * `zkinfer compile`: qmodel.json → the circuit (Circom source, R1CS, witness generator, symbols),
 * with its constraints counted per layer beside what the cost model says they should be. Two
 * backends make the same R1CS (test/circuits/direct.test.ts): circom2, whose witness generator is
 * its WebAssembly program, and the direct path (circuits/direct), whose witness generator is
 * model.witness.json. Both write the emitted .circom, the circuit's reviewable description.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { attributeConstraints } from '../circuits/attribution.js';
import { compileCircom } from '../circuits/compile.js';
import { type CompileEstimate, checkCompileMemory, checkDirectMemory, estimateCompile, estimateDirectBytes, outOfMemoryHint } from '../circuits/compile-estimate.js';
import { chooseBackend, recordDirectCircuit } from '../circuits/direct/build.js';
import { writeDirectCircuit, writeDirectWitnessGenerator } from '../circuits/direct/write.js';
import type { CircuitPlan } from '../circuits/plan.js';
import type { QModel } from '../model/ir.js';
import { writeFileAtomic } from '../core/files.js';
import { ZkinferError } from '../core/errors.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../circuits/emit/index.js';
import { inputCost, opCost, outputCost, paramsCost, recipientCost, totalCost } from '../circuits/plan.js';
import { type Visibility, parseVisibility } from '../circuits/visibility.js';
import { readR1cs } from '../circuits/r1cs.js';
import type { OnProgress } from '../core/progress.js';
import { hasArgmax, logitsOpIndex, probabilitiesOpIndex } from '../model/ir.js';
import { artifactPath, openArtifacts, readQModel } from './artifacts.js';
import { type CompileBackend, FILES, recordStage, witnessGeneratorFile } from './manifest.js';

export interface LayerConstraints {
  kind: string;
  name: string;
  /** In the compiled R1CS. */
  measured: number;
  /** What the cost model predicts. */
  planned: number;
}

export interface CompileStepResult {
  constraints: number;
  /** The cost model's total. */
  planned: number;
  visibility: Visibility;
  /** The input's range check and commitment. */
  input: { measured: number; planned: number };
  /** params hashed: the parameters' range checks and commitment. */
  params?: { measured: number; planned: number };
  /** output hashed: the outputs' commitment. */
  output?: { measured: number; planned: number };
  /** recipient public: the constraint binding the recipient. */
  recipient?: { measured: number; planned: number };
  layers: LayerConstraints[];
  /** Constraints the symbol table assigns to no part (none in a well-formed circuit). */
  unattributed: number;
  wires: number;
  publicSignals: string[];
  /** Which backend made the R1CS and witness generator. */
  backend: CompileBackend;
  compiler: string;
  ms: number;
  /** The compiler's peak resident memory (circom's process; for the direct path, this process's), where the system tells (Linux). */
  peakMemoryBytes?: number;
  /** The compiler's CPU time (user + system), where the system tells (Linux): steadier than `ms` on a loaded machine. */
  cpuMs?: number;
  /** What circom was predicted to cost before it started (circuits/compile-estimate.ts), and the direct path's memory. */
  estimate: { cpuMs: number; peakBytes: number; directPeakBytes: number };
}

export interface CompileOptions {
  /** What the circuit makes public (default: input hashed, output public, params fixed). */
  visibility?: Partial<Visibility>;
  onProgress?: OnProgress;
  /** Compile even when the circuit is predicted not to fit in circom2's 4 GiB heap (or, direct, in this process's). */
  skipMemoryEstimate?: boolean;
  /** circom, direct, or auto (default): direct for every model the direct path builds, circom for the rest (graphs, tables: chooseBackend). */
  backend?: CompileBackend | 'auto';
}

export const BACKEND_CHOICES = ['auto', 'circom', 'direct'] as const;

interface Compiled {
  compiler: string;
  ms: number;
  peakMemoryBytes?: number;
  cpuMs?: number;
}

async function compileWithCircom(source: string, outDir: string, estimate: CompileEstimate, options: CompileOptions): Promise<Compiled> {
  if (!options.skipMemoryEstimate) checkCompileMemory(estimate);
  return compileCircom(source, outDir, { includes: CIRCUIT_INCLUDES, predictedCpuMs: estimate.phaseCpuMs, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }).catch((error: unknown) => {
    if (error instanceof ZkinferError && error.details.outOfMemory === true) throw new ZkinferError('MODEL_UNSUPPORTED', `${outOfMemoryHint(estimate)}: ${error.message}`, { details: error.details, cause: error });
    throw error;
  });
}

/** The direct path: the R1CS, symbols and witness generator from the plan, in this process (the .circom is written beside them). */
async function compileDirectly(dir: string, model: QModel, plan: CircuitPlan, source: string, estimate: CompileEstimate, options: CompileOptions): Promise<Compiled> {
  if (!options.skipMemoryEstimate) checkDirectMemory(plan, estimate);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const { r1cs, program } = recordDirectCircuit(model, plan.visibility, {
    onOp: (done, total) => options.onProgress?.({ step: 'compile', message: done < total ? `direct: building op ${done} (${model.ops[done]!.kind})` : 'direct: eliminating linear constraints', done, total: total + 1 }),
  });
  options.onProgress?.({ step: 'compile', message: 'direct: writing the R1CS, symbols and witness generator', done: model.ops.length + 1, total: model.ops.length + 1 });
  await writeFileAtomic(artifactPath(dir, FILES.circom), source);
  await writeDirectCircuit(r1cs, { r1cs: artifactPath(dir, FILES.r1cs), sym: artifactPath(dir, FILES.sym) });
  await writeDirectWitnessGenerator(artifactPath(dir, FILES.directWitness), model, plan.visibility, r1cs, program);
  const used = process.cpuUsage(cpu);
  return { compiler: 'zkinfer direct (circom --O2 equivalent)', ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, peakMemoryBytes: process.resourceUsage().maxRSS * 1024 };
}

export async function compileStep(dir: string, options: CompileOptions = {}): Promise<CompileStepResult> {
  const manifest = await openArtifacts(dir, ['quantize']);
  const model = await readQModel(dir);
  // A model quantized with --output probabilities is compiled to show them unless told otherwise (which the layout refuses, naming why).
  const output = options.visibility?.output ?? (probabilitiesOpIndex(model) >= 0 ? 'probabilities' : undefined);
  const visibility = parseVisibility({ ...options.visibility, ...(output ? { output } : {}) });
  const { source, plan, layout } = emitCircuit(model, visibility);
  const outDir = path.dirname(artifactPath(dir, FILES.r1cs));
  const estimate = estimateCompile(model, plan);
  const requested = options.backend ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(requested)) throw new ZkinferError('USAGE', `--backend must be one of ${BACKEND_CHOICES.join(', ')}, found ${JSON.stringify(requested)}`);
  // auto: the direct path for every model it builds, circom for the rest (graphs, tables).
  const backend = requested !== 'auto' ? requested : chooseBackend(model);
  await fs.mkdir(outDir, { recursive: true });
  const compiled = backend === 'direct' ? await compileDirectly(dir, model, plan, source, estimate, options) : await compileWithCircom(source, outDir, estimate, options);
  // The other backend's witness generator, from an earlier compile, would only mislead.
  await fs.rm(artifactPath(dir, witnessGeneratorFile(backend === 'direct' ? 'circom' : 'direct')), { force: true });
  await fs.rm(artifactPath(dir, FILES.directWitnessV1), { force: true });
  const r1cs = await readR1cs(artifactPath(dir, FILES.r1cs));
  const owners = { opCount: model.ops.length, logitsOp: logitsOpIndex(model), ...(hasArgmax(model) ? { labelOp: model.ops.length - 1 } : {}) };
  const measured = attributeConstraints(r1cs, await fs.readFile(artifactPath(dir, FILES.sym), 'utf8'), owners);
  const result: CompileStepResult = {
    constraints: r1cs.constraints.length,
    planned: totalCost(plan),
    visibility,
    input: { measured: measured.input, planned: inputCost(plan.input) },
    ...(plan.params ? { params: { measured: measured.params, planned: paramsCost(plan.params) } } : {}),
    ...(plan.outputHashed ? { output: { measured: measured.output, planned: outputCost(plan) } } : {}),
    ...(recipientCost(plan) > 0 ? { recipient: { measured: measured.recipient, planned: recipientCost(plan) } } : {}),
    layers: model.ops.map((op, k) => ({ kind: op.kind, name: op.name, measured: measured.ops[k], planned: opCost(plan.ops[k]) })),
    unattributed: measured.other,
    wires: r1cs.nWires,
    publicSignals: layout.names,
    backend,
    compiler: compiled.compiler,
    ms: compiled.ms,
    ...(compiled.peakMemoryBytes !== undefined ? { peakMemoryBytes: compiled.peakMemoryBytes } : {}),
    ...(compiled.cpuMs !== undefined ? { cpuMs: compiled.cpuMs } : {}),
    estimate: { cpuMs: estimate.phaseCpuMs.reduce((a, b) => a + b, 0), peakBytes: estimate.peakBytes, directPeakBytes: estimateDirectBytes(plan) },
  };
  await recordStage(
    dir,
    manifest,
    'compile',
    { inputs: [FILES.qmodel], outputs: [FILES.circom, FILES.r1cs, witnessGeneratorFile(backend), FILES.sym] },
    { optimization: 'O2', compiler: compiled.compiler, backend, visibility },
    { ...result },
  );
  return result;
}
