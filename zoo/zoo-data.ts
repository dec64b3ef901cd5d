/**
 * The files beside every zoo model besides the model itself: calibration inputs, samples and a demo
 * input. They hold flat rows of toModelInput's numbers for every model, convolutional ones
 * included: the loader accepts a flat array of the right size for any input shape, and
 * [side, side, 1] channels-last is the same row-major order.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../core/files.js';
import { seededRandom, shuffledIndices } from '../core/random.js';
import { toModelInput, type FashionMnist, type InputSize } from '../model/data/fashion-mnist.js';
import { compactJson } from './layers-model.js';

const CALIBRATION_COUNT = 256;
const SAMPLE_COUNT = 20;

export function inputMatrix(set: FashionMnist, size: InputSize, indices: ArrayLike<number>): Float32Array {
  const width = size * size;
  const out = new Float32Array(indices.length * width);
  for (let k = 0; k < indices.length; k++) out.set(toModelInput(set.images, indices[k]!, size), k * width);
  return out;
}

const round6 = (value: number): number => Math.round(value * 1e6) / 1e6;

function roundedRows(matrix: Float32Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let start = 0; start < matrix.length; start += width) rows.push(Array.from(matrix.subarray(start, start + width), round6));
  return rows;
}

/** calibration.json, samples.json and input.json of a model trained with `seed`, in `dir`. */
export async function writeZooData(dir: string, train: FashionMnist, test: FashionMnist, size: InputSize, seed: number): Promise<void> {
  const width = size * size;
  // Calibration uses the same permutation as training's first epoch: a representative slice of
  // the training set, never the test set.
  const calibrationOrder = shuffledIndices(train.count, seededRandom(seed)).subarray(0, CALIBRATION_COUNT);
  await writeFileAtomic(
    path.join(dir, 'calibration.json'),
    compactJson({
      source: `fashion-mnist train, first ${CALIBRATION_COUNT} after a seeded shuffle (Fisher-Yates with mulberry32, seed ${seed})`,
      inputs: roundedRows(inputMatrix(train, size, calibrationOrder), width),
    }) + '\n',
  );
  const sampleIndices = Int32Array.from({ length: SAMPLE_COUNT }, (_, i) => i);
  const samples = roundedRows(inputMatrix(test, size, sampleIndices), width);
  await writeFileAtomic(
    path.join(dir, 'samples.json'),
    compactJson({
      source: `fashion-mnist test images 0..${SAMPLE_COUNT - 1}`,
      inputs: samples,
      labels: Array.from(test.labels.subarray(0, SAMPLE_COUNT)),
    }) + '\n',
  );
  await writeFileAtomic(path.join(dir, 'input.json'), compactJson({ input: samples[0], label: test.labels[0] }) + '\n');
}
