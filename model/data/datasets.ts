/**
 * Sets of model inputs for calibration and fidelity measurements, from what users have:
 * - a JSON file: `{ "inputs": [...], "labels"?: [...], "targets"?: [...] }` or a bare array of
 *   inputs (labels are classes; targets are the numeric outputs of a one-output model);
 * - a .npy file: an array whose first axis is the samples (numpy.save);
 * - a folder of input files: `{ "input": [...], "label"?: n }` each (*.json, in name order);
 * - an IDX folder (MNIST / Fashion-MNIST layout): its images, preprocessed to the model's input
 *   (28x28 as pixel / 255, or 14x14 as the mean of 2x2 blocks), with labels.
 * Values are the float model's own units.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../../core/errors.js';
import { parseJson, readRequired } from '../../core/files.js';
import { seededRandom, shuffledIndices } from '../../core/random.js';
import { parseInputBatch, readInputValues } from '../input.js';
import { MODEL_INPUT_RANGE, loadFashionMnist, toModelInput } from './fashion-mnist.js';
import { parseNpy } from './npy.js';

export interface Dataset {
  inputs: number[][];
  /** Class labels, when the data has them. */
  labels?: number[];
  /** Numeric targets of a model with one output (JSON files' "targets"), when the data has them. */
  targets?: number[];
  /** Where the data came from, for reports. */
  source: string;
  /** The range of every input, where the format defines it (IDX images, preprocessed: [0, 1]). */
  inputRange?: [number, number];
}

export interface DatasetOptions {
  /** For IDX folders: which split (default train). */
  split?: 'train' | 'test';
  /** At most this many samples (an IDX train split is shuffled with `seed` first, as the zoo's calibration sets are). */
  limit?: number;
  seed?: number;
}

function checkLabels(labels: unknown, count: number, where: string): number[] {
  if (!Array.isArray(labels) || labels.length !== count || labels.some((l) => !Number.isInteger(l) || l < 0)) {
    throw new InputError(`${where}: "labels" must be ${count} non-negative integers, one per input`);
  }
  return labels as number[];
}

function checkTargets(targets: unknown, count: number, where: string): number[] {
  if (!Array.isArray(targets) || targets.length !== count || targets.some((t) => typeof t !== 'number' || !Number.isFinite(t))) {
    throw new InputError(`${where}: "targets" must be ${count} finite numbers, one per input`);
  }
  return targets as number[];
}

async function fromJsonFile(file: string, shape: readonly number[]): Promise<Dataset> {
  const json = parseJson((await readRequired(file, 'data file')).toString('utf8'), file, 'data file', (m, cause) => new InputError(m, { cause }));
  const inputs = parseInputBatch(Array.isArray(json) ? { inputs: json } : json, shape, file);
  const labels = !Array.isArray(json) && (json as { labels?: unknown }).labels !== undefined ? checkLabels((json as { labels: unknown }).labels, inputs.length, file) : undefined;
  const targets = !Array.isArray(json) && (json as { targets?: unknown }).targets !== undefined ? checkTargets((json as { targets: unknown }).targets, inputs.length, file) : undefined;
  return { inputs, ...(labels ? { labels } : {}), ...(targets ? { targets } : {}), source: file };
}

async function fromNpy(file: string, shape: readonly number[]): Promise<Dataset> {
  const array = parseNpy(await readRequired(file, 'data file'), file);
  const size = shape.reduce((a, b) => a * b, 1);
  const perSample = array.shape.slice(1).reduce((a, b) => a * b, 1);
  if (array.shape.length < 2 || perSample !== size) {
    throw new InputError(`${file}: shape (${array.shape.join(', ')}) is not (samples, ${shape.join(', ')}): each sample must hold the model's ${size} values`);
  }
  const inputs = Array.from({ length: array.shape[0] }, (_, k) => Array.from(array.data.subarray(k * size, (k + 1) * size)));
  const bad = inputs.findIndex((x) => x.some((v) => !Number.isFinite(v)));
  if (bad >= 0) throw new InputError(`${file}: sample ${bad} holds a value that is not finite`);
  return { inputs, source: file };
}

async function fromInputFolder(dir: string, names: string[], shape: readonly number[]): Promise<Dataset> {
  const files = names.filter((n) => n.endsWith('.json')).sort();
  if (files.length === 0) throw new InputError(`${dir} holds neither IDX files nor input .json files`);
  const inputs: number[][] = [];
  const labels: number[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const json = parseJson((await readRequired(file, 'input file')).toString('utf8'), file, 'input file', (m, cause) => new InputError(m, { cause })) as { input?: unknown; label?: unknown };
    inputs.push(readInputValues(json?.input, shape, `${file}: input`));
    if (Number.isInteger(json.label)) labels.push(json.label as number);
  }
  return { inputs, ...(labels.length === inputs.length ? { labels } : {}), source: dir };
}

/** The IDX image side (28 or 14) that gives the model's input size. */
function idxSide(shape: readonly number[], dir: string): 28 | 14 {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 784) return 28;
  if (size === 196) return 14;
  throw new InputError(`${dir}: IDX images are 28x28 (784 values, or 196 as 14x14 means); the model takes ${size} values`);
}

async function fromIdx(dir: string, shape: readonly number[], options: DatasetOptions): Promise<Dataset> {
  const split = options.split ?? 'train';
  const set = await loadFashionMnist(split, dir);
  const side = idxSide(shape, dir);
  const count = Math.min(options.limit ?? set.count, set.count);
  const order = split === 'train' ? shuffledIndices(set.count, seededRandom(options.seed ?? 42)).subarray(0, count) : Int32Array.from({ length: count }, (_, i) => i);
  return {
    inputs: Array.from(order, (i) => Array.from(toModelInput(set.images, i, side))),
    labels: Array.from(order, (i) => set.labels[i]),
    source: `${dir} (${split}, ${count} of ${set.count} images${split === 'train' ? `, shuffled with seed ${options.seed ?? 42}` : ''})`,
    inputRange: MODEL_INPUT_RANGE,
  };
}

const IDX_FILE = /idx\d-ubyte(\.gz)?$/;

/** Whether `location` is a folder of IDX files (train and test splits, images and labels). */
export async function isIdxFolder(location: string): Promise<boolean> {
  const stat = await fs.stat(location).catch(() => undefined);
  return stat?.isDirectory() === true && (await fs.readdir(location)).some((n) => IDX_FILE.test(n));
}

export async function loadDataset(location: string, inputShape: readonly number[], options: DatasetOptions = {}): Promise<Dataset> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new InputError(`data not found: ${location}`);
  let data: Dataset;
  if (stat.isDirectory()) {
    const names = await fs.readdir(location);
    data = names.some((n) => IDX_FILE.test(n)) ? await fromIdx(location, inputShape, options) : await fromInputFolder(location, names, inputShape);
  } else if (location.endsWith('.npy')) {
    data = await fromNpy(location, inputShape);
  } else {
    data = await fromJsonFile(location, inputShape);
  }
  if (options.limit !== undefined && data.inputs.length > options.limit) {
    const limit = options.limit;
    data = { ...data, inputs: data.inputs.slice(0, limit), ...(data.labels ? { labels: data.labels.slice(0, limit) } : {}), ...(data.targets ? { targets: data.targets.slice(0, limit) } : {}) };
  }
  if (data.inputs.length === 0) throw new InputError(`${location} holds no inputs`);
  return data;
}
