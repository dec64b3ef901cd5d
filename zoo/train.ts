/**
 * Trains the zoo's reference models on Fashion-MNIST and writes each to zoo/<name>/ as a TF.js
 * LayersModel plus metadata, calibration inputs, samples and a demo input.
 *
 *   node dist/zoo/train.js [names...] [--seed 42] [--epochs N] [--data-dir DIR] [--out DIR]
 *
 * Runs are reproducible: every initializer is seeded, fit never shuffles, and the per-epoch order
 * comes from our own seeded PRNG. The wasm backend is used so results do not depend on whether the
 * native tfjs-node binding happens to be installed.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ZkinferError, exitCodeFor, messageOf } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/files.js';
import { packageRoot } from '../core/paths.js';
import {
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_LABELS,
  PREPROCESSING,
  loadFashionMnist,
  toModelInput,
  type FashionMnist,
  type InputSize,
} from '../model/data/fashion-mnist.js';
import { ARCHITECTURES, describeArchitecture, findArchitecture, type Architecture } from './architectures.js';

const DEFAULTS = { seed: 42, epochs: 20, batchSize: 64, learningRate: 0.001 };
const CALIBRATION_COUNT = 256;
const SAMPLE_COUNT = 20;
const CLASSES = FASHION_MNIST_LABELS.length;

/** mulberry32: a tiny, well-mixed 32-bit PRNG; enough for shuffling, and identical everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates over 0..n-1. */
function shuffled(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function inputMatrix(set: FashionMnist, size: InputSize, indices: ArrayLike<number>): Float32Array {
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

/** JSON with 2-space indentation but each array of numbers on one line, so input files stay small and readable. */
function compactJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'number')) return JSON.stringify(value);
    const inner = indent + '  ';
    return `[\n${value.map((item) => inner + compactJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const inner = indent + '  ';
    const entries = Object.entries(value).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${compactJson(item, inner)}`);
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function buildModel(architecture: Architecture, seed: number): tf.Sequential {
  const model = tf.sequential({ name: architecture.name });
  architecture.layers.forEach((layer, index) => {
    model.add(
      tf.layers.dense({
        // Explicit names: tfjs's generated ones depend on how many layers the process made before.
        name: `dense_${index + 1}`,
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + index }),
        biasInitializer: 'zeros',
        ...(index === 0 ? { inputShape: architecture.inputShape } : {}),
      }),
    );
  });
  return model;
}

function accuracy(model: tf.LayersModel, xs: tf.Tensor2D, labels: Uint8Array): number {
  const predicted = tf.tidy(() => (model.predict(xs, { batchSize: 1000 }) as tf.Tensor).argMax(-1).dataSync());
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightSpecs || !artifacts.weightData) throw new ZkinferError('INTERNAL', 'tfjs saved a model without weights');
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      await writeFileAtomic(path.join(dir, 'weights.bin'), weights);
      await writeJsonAtomic(path.join(dir, 'model.json'), {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

interface Settings {
  seed: number;
  epochs?: number;
  dataDir: string;
  outDir: string;
}

async function trainOne(architecture: Architecture, train: FashionMnist, test: FashionMnist, settings: Settings): Promise<void> {
  const { seed } = settings;
  const epochs = settings.epochs ?? architecture.training?.epochs ?? DEFAULTS.epochs;
  const batchSize = architecture.training?.batchSize ?? DEFAULTS.batchSize;
  const learningRate = architecture.training?.learningRate ?? DEFAULTS.learningRate;
  const size = architecture.inputSize;
  const width = size * size;
  const dir = path.join(settings.outDir, architecture.name);
  const all = (count: number) => Int32Array.from({ length: count }, (_, i) => i);

  const trainX = tf.tensor2d(inputMatrix(train, size, all(train.count)), [train.count, width]);
  const trainY = tf.tidy(() => tf.oneHot(tf.tensor1d(train.labels, 'int32'), CLASSES).toFloat());
  const testX = tf.tensor2d(inputMatrix(test, size, all(test.count)), [test.count, width]);

  const model = buildModel(architecture, seed);
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  console.log(`${architecture.name}: ${describeArchitecture(architecture)}, ${model.countParams()} parameters`);

  const random = mulberry32(seed);
  const started = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const epochStart = performance.now();
    const order = tf.tensor1d(shuffled(train.count, random), 'int32');
    const xs = tf.gather(trainX, order);
    const ys = tf.gather(trainY, order);
    const history = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    tf.dispose([order, xs, ys]);
    const loss = Number(history.history.loss![0]);
    const trainAcc = Number((history.history.acc ?? history.history.accuracy)![0]);
    const seconds = (performance.now() - epochStart) / 1000;
    console.log(`  epoch ${epoch}/${epochs}  loss ${loss.toFixed(4)}  train acc ${trainAcc.toFixed(4)}  ${seconds.toFixed(1)} s`);
  }
  const floatTestAccuracy = accuracy(model, testX, test.labels);
  const totalSeconds = (performance.now() - started) / 1000;
  console.log(`  trained in ${totalSeconds.toFixed(1)} s; test accuracy ${(floatTestAccuracy * 100).toFixed(2)}%`);

  await saveLayersModel(model, dir);
  const metadata = {
    name: architecture.name,
    architecture: describeArchitecture(architecture),
    inputShape: architecture.inputShape,
    preprocessing: PREPROCESSING[size],
    inputRange: [0, 1],
    labels: FASHION_MNIST_LABELS,
    training: {
      dataset: 'fashion-mnist',
      epochs,
      batchSize,
      seed,
      optimizer: 'adam',
      learningRate,
      tfjsVersion: tf.version.tfjs,
      backend: tf.getBackend(),
    },
    floatTestAccuracy,
  };
  await writeFileAtomic(path.join(dir, 'metadata.json'), compactJson(metadata) + '\n');

  // Calibration uses the same permutation as training's first epoch: a representative slice of
  // the training set, never the test set.
  const calibrationOrder = shuffled(train.count, mulberry32(seed)).subarray(0, CALIBRATION_COUNT);
  await writeFileAtomic(
    path.join(dir, 'calibration.json'),
    compactJson({
      source: `fashion-mnist train, first ${CALIBRATION_COUNT} after a seeded shuffle (Fisher-Yates with mulberry32, seed ${seed})`,
      inputs: roundedRows(inputMatrix(train, size, calibrationOrder), width),
    }) + '\n',
  );
  const sampleIndices = all(SAMPLE_COUNT);
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
  console.log(`  wrote ${dir}`);

  model.dispose();
  tf.dispose([trainX, trainY, testX]);
}

function parseSettings(): { names: string[]; settings: Settings } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      epochs: { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const integer = (text: string | undefined, what: string, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) throw new ZkinferError('USAGE', `--${what} must be an integer >= ${min}, got '${text}'`);
    return value;
  };
  const names = positionals.length > 0 ? positionals : ARCHITECTURES.map((architecture) => architecture.name);
  const unknown = names.filter((name) => !findArchitecture(name));
  if (unknown.length > 0) {
    throw new ZkinferError('USAGE', `unknown model ${unknown.join(', ')}; known: ${ARCHITECTURES.map((a) => a.name).join(', ')}`);
  }
  return {
    names,
    settings: {
      seed: integer(values.seed, 'seed', 0) ?? DEFAULTS.seed,
      epochs: integer(values.epochs, 'epochs', 1),
      dataDir: values['data-dir'] ?? DEFAULT_FASHION_MNIST_DIR,
      outDir: path.resolve(values.out ?? path.join(packageRoot(), 'zoo')),
    },
  };
}

async function main(): Promise<void> {
  const { names, settings } = parseSettings();
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new ZkinferError('INTERNAL', 'the TF.js wasm backend failed to initialise');
  const [train, test] = await Promise.all([loadFashionMnist('train', settings.dataDir), loadFashionMnist('test', settings.dataDir)]);
  console.log(`Fashion-MNIST: ${train.count} train, ${test.count} test images from ${settings.dataDir}; backend ${tf.getBackend()}`);
  for (const name of names) await trainOne(findArchitecture(name)!, train, test, settings);
}

main().catch((error: unknown) => {
  console.error(`train: ${messageOf(error)}`);
  process.exitCode = exitCodeFor(error);
});
