/** Reading an artifacts folder's own files, each validated, after the manifest says they are current. */
import * as path from 'node:path';
import { readJson } from '../core/files.js';
import { parseQModel, type QModel } from '../model/ir.js';
import { FILES, type Manifest, readManifest, requireStage } from './manifest.js';

export function artifactPath(dir: string, rel: string): string {
  return path.join(dir, rel);
}

/** The manifest of `dir`, with every named stage checked current (in order). */
export async function openArtifacts(dir: string, stages: Parameters<typeof requireStage>[2][]): Promise<Manifest> {
  const manifest = await readManifest(dir);
  for (const stage of stages) await requireStage(dir, manifest, stage);
  return manifest;
}

export async function readQModel(dir: string): Promise<QModel> {
  const file = artifactPath(dir, FILES.qmodel);
  return parseQModel(await readJson(file, 'quantized model'), file);
}
