/**
 * ONNX test fixtures: graphs built with zoo/onnx-writer.ts written to temp files, and ONNX Runtime
 * (onnxruntime-node, CPU) as the float reference the importer is held to.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../core/random.js';
import { OnnxGraph } from '../../zoo/onnx-writer.js';

export async function writeOnnx(bytes: Uint8Array, name = 'model.onnx'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-onnx-'));
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}

/** Build a graph and write it to a temp file. */
export async function buildOnnx(opset: number, build: (g: OnnxGraph, random: (n: number) => number[]) => void, seed = 1): Promise<string> {
  const g = new OnnxGraph(opset);
  const next = seededRandom(seed);
  build(g, (n) => Array.from({ length: n }, () => next() * 2 - 1));
  return writeOnnx(g.encode());
}

export function randomInputs(seed: number, count: number, size: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length: size }, () => random()));
}

/** ONNX Runtime's output (the first, or the one named) for each input (given in the file's shape, batch 1). */
export async function runOnnxRuntime(file: string, shape: number[], inputs: readonly number[][], output?: string): Promise<number[][]> {
  const session = await ort.InferenceSession.create(file);
  try {
    const outputs: number[][] = [];
    for (const x of inputs) {
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), shape) });
      outputs.push(Array.from(result[output ?? session.outputNames[0]].data as ArrayLike<number | bigint>, Number));
    }
    return outputs;
  } finally {
    await session.release();
  }
}

/** Largest difference relative to the largest magnitude of the reference vector. */
export function relativeError(ours: ArrayLike<number>, reference: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    scale = Math.max(scale, Math.abs(reference[i]));
    worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
  }
  return worst / (scale || 1);
}

/** Files written by PyTorch's torch.onnx.export (test/fixtures/onnx/torch/make.py, run by hand). */
export const TORCH_FIXTURES = fileURLToPath(new URL('../fixtures/onnx/torch/', import.meta.url));

/** NAME-opsetN.json beside each .onnx: torch's inputs (batch 1, flat) and its outputs for them. */
export interface TorchRecord {
  model: string;
  opset: number;
  torch: string;
  inputShape: number[];
  dynamicBatch: boolean;
  inputs: number[][];
  outputs: number[][];
}

export async function torchFixtures(): Promise<{ file: string; record: TorchRecord }[]> {
  const names = (await fs.readdir(TORCH_FIXTURES)).filter((f) => f.endsWith('.onnx')).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(TORCH_FIXTURES, name);
      return { file, record: JSON.parse(await fs.readFile(file.replace(/\.onnx$/, '.json'), 'utf8')) as TorchRecord };
    }),
  );
}
