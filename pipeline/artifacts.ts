/** Reading an artifacts folder's own files, each validated, after the manifest says they are current. */
import * as path from 'node:path';
import { publicSignalLayout, type PublicSignalLayout } from '../circuits/layout.js';
import { type CircuitPlan, planCircuit } from '../circuits/plan.js';
import { parseVisibility } from '../circuits/visibility.js';
import { readJson } from '../core/files.js';
import { parseQModel, type QModel } from '../model/ir.js';
import { FILES, type Manifest, readManifest, requireStage } from './manifest.js';

export function artifactPath(dir: string, rel: string): string {
  return path.join(dir, rel);
}

/** The manifest of `dir`, with every named stage checked current (in order), each stage's files hashed once. */
export async function openArtifacts(dir: string, stages: Parameters<typeof requireStage>[2][]): Promise<Manifest> {
  const manifest = await readManifest(dir);
  // One set for all: setup's check includes compile's and quantize's, which need no second look.
  const checked = new Set<Parameters<typeof requireStage>[2]>();
  for (const stage of stages) await requireStage(dir, manifest, stage, checked);
  return manifest;
}

export async function readQModel(dir: string): Promise<QModel> {
  const file = artifactPath(dir, FILES.qmodel);
  return parseQModel(await readJson(file, 'quantized model'), file);
}

export interface CompiledCircuit {
  model: QModel;
  plan: CircuitPlan;
  layout: PublicSignalLayout;
}

/** The quantized model and the circuit the folder compiled from it, with its visibility (manifest). */
export async function readCircuit(dir: string, manifest: Manifest): Promise<CompiledCircuit> {
  const model = await readQModel(dir);
  const recorded = manifest.stages.compile?.settings.visibility as Record<string, unknown> | undefined;
  const visibility = parseVisibility(recorded ?? {}, `${artifactPath(dir, 'manifest.json')}: compile visibility`);
  return { model, plan: planCircuit(model, visibility), layout: publicSignalLayout(model, visibility) };
}
