/**
 * `zkinfer compile`: qmodel.json → the circuit (Circom source, R1CS, witness WASM, symbols),
 * with its constraints counted per layer beside what the cost model says they should be.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { attributeConstraints } from '../circuits/attribution.js';
import { compileCircom } from '../circuits/compile.js';
import { checkCompileMemory, estimateCompile, outOfMemoryHint } from '../circuits/compile-estimate.js';
import { ZkinferError } from '../core/errors.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../circuits/emit/index.js';
import { inputCost, opCost, outputCost, paramsCost, recipientCost, totalCost } from '../circuits/plan.js';
import { type Visibility, parseVisibility } from '../circuits/visibility.js';
import { readR1cs } from '../circuits/r1cs.js';
import type { OnProgress } from '../core/progress.js';
import { hasArgmax, logitsOpIndex } from '../model/ir.js';
import { artifactPath, openArtifacts, readQModel } from './artifacts.js';
import { FILES, recordStage } from './manifest.js';

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
  compiler: string;
  ms: number;
  /** circom's peak resident memory, where the system tells (Linux). */
  peakMemoryBytes?: number;
  /** circom's CPU time (user + system), where the system tells (Linux): steadier than `ms` on a loaded machine. */
  cpuMs?: number;
  /** What the compile was predicted to cost before it started (circuits/compile-estimate.ts). */
  estimate: { cpuMs: number; peakBytes: number };
}

export interface CompileOptions {
  /** What the circuit makes public (default: input hashed, output public, params fixed). */
  visibility?: Partial<Visibility>;
  onProgress?: OnProgress;
  /** Compile even when the circuit is predicted not to fit in circom2's 4 GiB heap. */
  skipMemoryEstimate?: boolean;
}

export async function compileStep(dir: string, options: CompileOptions = {}): Promise<CompileStepResult> {
  const manifest = await openArtifacts(dir, ['quantize']);
  const model = await readQModel(dir);
  const visibility = parseVisibility(options.visibility);
  const { source, plan, layout } = emitCircuit(model, visibility);
  const outDir = path.dirname(artifactPath(dir, FILES.r1cs));
  const estimate = estimateCompile(model, plan);
  if (!options.skipMemoryEstimate) checkCompileMemory(estimate);
  const compiled = await compileCircom(source, outDir, { includes: CIRCUIT_INCLUDES, predictedCpuMs: estimate.phaseCpuMs, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }).catch((error: unknown) => {
    if (error instanceof ZkinferError && error.details.outOfMemory === true) throw new ZkinferError('MODEL_UNSUPPORTED', `${outOfMemoryHint(estimate)}: ${error.message}`, { details: error.details, cause: error });
    throw error;
  });
  const r1cs = await readR1cs(compiled.files.r1cs);
  const owners = { opCount: model.ops.length, logitsOp: logitsOpIndex(model), ...(hasArgmax(model) ? { labelOp: model.ops.length - 1 } : {}) };
  const measured = attributeConstraints(r1cs, await fs.readFile(compiled.files.sym, 'utf8'), owners);
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
    compiler: compiled.compiler,
    ms: compiled.ms,
    ...(compiled.peakMemoryBytes !== undefined ? { peakMemoryBytes: compiled.peakMemoryBytes } : {}),
    ...(compiled.cpuMs !== undefined ? { cpuMs: compiled.cpuMs } : {}),
    estimate: { cpuMs: estimate.phaseCpuMs.reduce((a, b) => a + b, 0), peakBytes: estimate.peakBytes },
  };
  await recordStage(
    dir,
    manifest,
    'compile',
    { inputs: [FILES.qmodel], outputs: [FILES.circom, FILES.r1cs, FILES.wasm, FILES.sym] },
    { optimization: 'O2', compiler: compiled.compiler, visibility },
    { ...result },
  );
  return result;
}
