/**
 * `zkinfer audit`: the soundness audit (circuits/audit/) of an artifacts folder's compiled
 * circuit. Honest witnesses come from edge-case and seeded random inputs (and any input files
 * given); every attack is tried on each, and the structural check runs on the R1CS.
 */
import { type AuditReport, auditInputs, auditModelCircuit } from '../circuits/audit/index.js';
import type { OnProgress } from '../core/progress.js';
import { quantizeInput } from '../model/input.js';
import { artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES, witnessGeneratorPath } from './manifest.js';
import { readInputFile } from './prove.js';

export interface AuditStepOptions {
  /** Input files (as for `zkinfer prove`) to attack besides the generated ones. */
  inputs?: readonly string[];
  /** Seeded random inputs besides the edge cases (default 2). */
  random?: number;
  seed?: number;
  maxFindings?: number;
  onProgress?: OnProgress;
}

export interface AuditStepResult extends AuditReport {
  dir: string;
  model: string;
}

export async function auditStep(dir: string, options: AuditStepOptions = {}): Promise<AuditStepResult> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile']);
  const { model, plan } = await readCircuit(dir, manifest);
  const inputs = auditInputs(model, options.random ?? 2, options.seed ?? 1);
  for (const file of options.inputs ?? []) {
    const { values } = await readInputFile(file, model.input.shape);
    inputs.push({ name: file, values: quantizeInput(values, model.input, `${file}: input`) });
  }
  const files = { r1cs: artifactPath(dir, FILES.r1cs), witness: witnessGeneratorPath(dir, manifest), sym: artifactPath(dir, FILES.sym), circom: artifactPath(dir, FILES.circom) };
  const report = await auditModelCircuit(model, files, {
    inputs,
    plan,
    ...(options.maxFindings !== undefined ? { maxFindings: options.maxFindings } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { dir, model: model.name, ...report };
}
