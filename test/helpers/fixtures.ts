/**
 * A tiny TF.js model written to disk like any user's: 16 inputs, 8 ReLU units, 4 classes, seeded
 * weights, with metadata, calibration inputs and an input file. Small enough for a 2^10 ptau.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../core/files.js';
import { seededRandom } from '../../core/random.js';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadTf } from '../../model/load/backend.js';
import { buildModel, compactJson, saveLayersModel } from '../../zoo/layers-model.js';

export const TINY_LABELS = ['north', 'east', 'south', 'west'];

export function randomInputs(seed: number, count: number, size: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length: size }, () => Math.round(random() * 1e4) / 1e4));
}

/** Write the tiny model into `dir` (a new temp folder by default) and return the folder. */
export async function writeTinyModel(dir?: string, seed = 7): Promise<string> {
  const target = dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-tiny-')));
  await loadTf(); // the backend users get (and no TF.js banner about the CPU one)
  const model = buildModel(
    {
      name: 'tiny_mlp',
      inputShape: [16],
      layers: [
        { kind: 'dense', units: 8, activation: 'relu' },
        { kind: 'dense', units: 4, activation: 'softmax' },
      ],
    },
    seed,
  );
  await saveLayersModel(model, target);
  model.dispose();
  await writeFileAtomic(path.join(target, 'metadata.json'), compactJson({ name: 'tiny_mlp', labels: TINY_LABELS, inputRange: [0, 1] }) + '\n');
  await writeFileAtomic(path.join(target, 'calibration.json'), compactJson({ inputs: randomInputs(seed, 64, 16) }) + '\n');
  const [input, other] = randomInputs(seed + 1, 2, 16);
  await writeFileAtomic(path.join(target, 'input.json'), compactJson({ input }) + '\n');
  await writeFileAtomic(path.join(target, 'other-input.json'), compactJson({ input: other, salt: '12345' }) + '\n');
  return target;
}

export type Tf = Awaited<ReturnType<typeof loadTf>>['tf'];

/**
 * Build a Sequential TF.js model from layers (or take a functional one), give every weight seeded random values (variances
 * and BatchNorm scales positive), and save it to a new temp folder as users' models are saved.
 */
export async function saveModel(build: (tf: Tf) => tfTypes.layers.Layer[] | tfTypes.LayersModel, seed: number, extra: Record<string, unknown> = {}): Promise<string> {
  const { tf } = await loadTf();
  const built = build(tf);
  // Layers make a Sequential model; a functional model (a graph) comes built.
  const model = Array.isArray(built) ? tf.sequential({ layers: built }) : built;
  const random = seededRandom(seed);
  model.setWeights(
    model.weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const positive = /variance|gamma/.test(w.originalName);
      return tf.tensor(Float32Array.from({ length: n }, () => (positive ? 0.5 + random() : random() * 2 - 1) * (/kernel/.test(w.originalName) ? 0.5 : 0.3)), shape, w.dtype);
    }),
  );
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-model-'));
  await saveLayersModel(model, dir);
  model.dispose();
  for (const [file, value] of Object.entries(extra)) await writeFileAtomic(path.join(dir, file), compactJson(value) + '\n');
  return dir;
}
