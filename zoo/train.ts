/**
 * Trains the zoo's reference models on Fashion-MNIST and writes each to zoo/<name>/ as a TF.js
 * LayersModel plus metadata, calibration inputs, samples and a demo input.
 *
 *   node dist/zoo/train.js [names...] [--seed 42] [--epochs N] [--data-dir DIR] [--out DIR]
 *
 * Runs are reproducible: every initializer is seeded, fit never shuffles, and the per-epoch order
 * comes from our own seeded PRNG. The wasm backend is used so results do not depend on whether the
 * native tfjs-node binding happens to be installed (its Conv2D filter gradient, which the wasm
 * backend lacks, is registered by wasm-conv-gradient.ts).
 *
 * Calibration, sample and input files hold flat rows of toModelInput's numbers for every model,
 * convolutional ones included: the loader accepts a flat array of the right size for any input
 * shape, and [side, side, 1] channels-last is the same row-major order.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ZkinferError, exitCodeFor, messageOf } from '../core/errors.js';
import { writeFileAtomic } from '../core/files.js';
import { seededRandom, shuffledIndices } from '../core/random.js';
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
import { buildModel, compactJson, saveLayersModel } from './layers-model.js';
import { registerConv2dFilterGradient } from './wasm-conv-gradient.js';
import { inputMatrix, writeZooData } from './zoo-data.js';

const DEFAULTS = { seed: 42, epochs: 20, batchSize: 64, learningRate: 0.001 };
const CLASSES = FASHION_MNIST_LABELS.length;

function accuracy(model: tf.LayersModel, xs: tf.Tensor, labels: Uint8Array): number {
  const predicted = tf.tidy(() => (model.predict(xs, { batchSize: 1000 }) as tf.Tensor).argMax(-1).dataSync());
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
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

  // Convolutional models take the same numbers as images [side, side, 1]: row-major order is the same.
  const trainX = tf.tensor(inputMatrix(train, size, all(train.count)), [train.count, ...architecture.inputShape]);
  const trainY = tf.tidy(() => tf.oneHot(tf.tensor1d(train.labels, 'int32'), CLASSES).toFloat());
  const testX = tf.tensor(inputMatrix(test, size, all(test.count)), [test.count, ...architecture.inputShape]);

  const model = buildModel(architecture, seed);
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  console.log(`${architecture.name}: ${describeArchitecture(architecture)}, ${model.countParams()} parameters`);

  const random = seededRandom(seed);
  const started = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const epochStart = performance.now();
    const order = tf.tensor1d(shuffledIndices(train.count, random), 'int32');
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

  await writeZooData(dir, train, test, size, seed);
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
  const layered = ARCHITECTURES.filter((architecture) => !architecture.onnx);
  const names = positionals.length > 0 ? positionals : layered.map((architecture) => architecture.name);
  const unknown = names.filter((name) => !findArchitecture(name));
  if (unknown.length > 0) {
    throw new ZkinferError('USAGE', `unknown model ${unknown.join(', ')}; known: ${layered.map((a) => a.name).join(', ')}`);
  }
  const elsewhere = names.map((name) => findArchitecture(name)!).find((architecture) => architecture.onnx);
  if (elsewhere) throw new ZkinferError('USAGE', `${elsewhere.name} is not a TF.js layers model: train it with \`${elsewhere.onnx!.trainer}\``);
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
  registerConv2dFilterGradient();
  const [train, test] = await Promise.all([loadFashionMnist('train', settings.dataDir), loadFashionMnist('test', settings.dataDir)]);
  console.log(`Fashion-MNIST: ${train.count} train, ${test.count} test images from ${settings.dataDir}; backend ${tf.getBackend()}`);
  for (const name of names) await trainOne(findArchitecture(name)!, train, test, settings);
}

main().catch((error: unknown) => {
  console.error(`train: ${messageOf(error)}`);
  process.exitCode = exitCodeFor(error);
});
