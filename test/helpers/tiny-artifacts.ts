/** The tiny model (fixtures.ts) quantized, compiled and set up with development keys, for tests of the proving path. */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileStep, quantizeStep, setupStep } from '../../index.js';
import type { VerificationKey } from '../../prover/verify.js';
import { writeTinyModel } from './fixtures.js';

export interface TinyArtifacts {
  /** The TF.js model folder. */
  modelDir: string;
  /** A temp folder holding `dir`, for the test's own files too. */
  tmp: string;
  /** The artifacts folder. */
  dir: string;
  vk: VerificationKey;
  /** Remove both folders. */
  remove(): Promise<void>;
}

/** `seed` sets the weights: a different seed is a different model (and key). */
export async function makeTinyArtifacts(prefix: string, seed?: number): Promise<TinyArtifacts> {
  const modelDir = await writeTinyModel(undefined, seed);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const dir = path.join(tmp, 'artifacts');
  await quantizeStep({ model: modelDir, out: dir });
  await compileStep(dir);
  await setupStep(dir);
  const vk = JSON.parse(await fs.readFile(path.join(dir, 'keys', 'verification_key.json'), 'utf8'));
  const remove = async () => {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(modelDir, { recursive: true, force: true });
  };
  return { modelDir, tmp, dir, vk, remove };
}
