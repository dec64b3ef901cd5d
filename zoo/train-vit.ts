/**
 * Trains the zoo's tiny vision transformer (zoo/vit.ts) on Fashion-MNIST in TF.js ops (a custom
 * loop with Adam, wasm backend, seeded initial weights and batch order) and writes it to
 * zoo/<name>/ as model.onnx (zkinfer's own ONNX writer) plus metadata, calibration inputs,
 * samples and a demo input, as zoo/train.ts does for the TF.js models.
 *
 *   node dist/zoo/train-vit.js [--epochs N] [--seed 42] [--batch 64] [--rate 0.001] [--limit N] [--data-dir DIR] [--out DIR]
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ZkinferError, exitCodeFor, messageOf } from '../core/errors.js';
import { writeFileAtomic } from '../core/files.js';
import { seededRandom, shuffledIndices } from '../core/random.js';
import { packageRoot } from '../core/paths.js';
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_LABELS, PREPROCESSING, loadFashionMnist, type FashionMnist } from '../model/data/fashion-mnist.js';
import { VIT_NAME, describeArchitecture, findArchitecture } from './architectures.js';
import { compactJson } from './layers-model.js';
import { VIT_SHAPE, initialVitWeights, vitParameterShapes, vitLogits, vitOnnx, type VitWeights } from './vit.js';
import { inputMatrix, writeZooData } from './zoo-data.js';

interface Settings {
  epochs: number;
  seed: number;
  batchSize: number;
  learningRate: number;
  /** Train on the first `limit` images of each epoch's order only (to measure an epoch's time). */
  limit?: number;
  dataDir: string;
  outDir: string;
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      rate: { type: 'string' },
      limit: { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const number = (text: string | undefined, what: string, fallback: number, integer = true): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!(integer ? Number.isSafeInteger(value) : Number.isFinite(value)) || value <= 0) throw new ZkinferError('USAGE', `--${what} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
    return value;
  };
  return {
    epochs: number(values.epochs, 'epochs', 3),
    seed: number(values.seed, 'seed', 42),
    batchSize: number(values.batch, 'batch', 64),
    learningRate: number(values.rate, 'rate', 0.001, false),
    ...(values.limit !== undefined ? { limit: number(values.limit, 'limit', 0) } : {}),
    dataDir: values['data-dir'] ?? DEFAULT_FASHION_MNIST_DIR,
    outDir: path.resolve(values.out ?? path.join(packageRoot(), 'zoo')),
  };
}

function testAccuracy(v: (name: string) => tf.Tensor, test: FashionMnist): number {
  let correct = 0;
  for (let start = 0; start < test.count; start += 500) {
    const indices = Int32Array.from({ length: Math.min(500, test.count - start) }, (_, k) => start + k);
    const predicted = tf.tidy(() => vitLogits(tf, VIT_SHAPE, v, tf.tensor2d(inputMatrix(test, 28, indices), [indices.length, 784])).argMax(-1).dataSync());
    predicted.forEach((label, k) => (correct += label === test.labels[start + k] ? 1 : 0));
  }
  return correct / test.count;
}

async function main(): Promise<void> {
  const settings = parseSettings();
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new ZkinferError('INTERNAL', 'the TF.js wasm backend failed to initialise');
  const [train, test] = await Promise.all([loadFashionMnist('train', settings.dataDir), loadFashionMnist('test', settings.dataDir)]);
  const architecture = findArchitecture(VIT_NAME)!;
  const initial = initialVitWeights(VIT_SHAPE, seededRandom(settings.seed));
  const shapes = new Map(vitParameterShapes(VIT_SHAPE));
  const variables = new Map([...initial].map(([name, values]) => [name, tf.variable(tf.tensor(values, shapes.get(name)), true, name)]));
  const v = (name: string) => variables.get(name)!;
  const parameters = [...initial.values()].reduce((sum, w) => sum + w.length, 0);
  console.log(`${VIT_NAME}: ${describeArchitecture(architecture)}, ${parameters} parameters; backend ${tf.getBackend()}`);

  const trainX = tf.tensor2d(inputMatrix(train, 28, Int32Array.from({ length: train.count }, (_, i) => i)), [train.count, 784]);
  const trainY = tf.tidy(() => tf.oneHot(tf.tensor1d(train.labels, 'int32'), FASHION_MNIST_LABELS.length).toFloat());
  const optimizer = tf.train.adam(settings.learningRate);
  const random = seededRandom(settings.seed);
  const started = performance.now();
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const epochStart = performance.now();
    const order = shuffledIndices(train.count, random).subarray(0, settings.limit ?? train.count);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += settings.batchSize) {
      const indices = tf.tensor1d(order.subarray(start, start + settings.batchSize), 'int32');
      const loss = optimizer.minimize(() => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.gather(trainY, indices), vitLogits(tf, VIT_SHAPE, v, tf.gather(trainX, indices)))) as tf.Scalar, true);
      indices.dispose();
      if (batches % 100 === 0) {
        lossSum += loss!.dataSync()[0]!;
      }
      loss!.dispose();
      batches++;
    }
    const seconds = (performance.now() - epochStart) / 1000;
    console.log(`  epoch ${epoch}/${settings.epochs}  ${order.length} images  sampled loss ${(lossSum / Math.ceil(batches / 100)).toFixed(4)}  ${seconds.toFixed(1)} s`);
  }
  const floatTestAccuracy = testAccuracy(v, test);
  console.log(`  trained in ${((performance.now() - started) / 1000).toFixed(1)} s; test accuracy ${(floatTestAccuracy * 100).toFixed(2)}%`);

  const trained: VitWeights = new Map([...variables].map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
  const dir = path.join(settings.outDir, VIT_NAME);
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, 'model.onnx'), vitOnnx(VIT_SHAPE, trained));
  const metadata = {
    name: VIT_NAME,
    architecture: describeArchitecture(architecture),
    inputShape: architecture.inputShape,
    preprocessing: PREPROCESSING[28],
    inputRange: [0, 1],
    labels: FASHION_MNIST_LABELS,
    training: {
      dataset: 'fashion-mnist',
      epochs: settings.epochs,
      ...(settings.limit !== undefined ? { imagesPerEpoch: settings.limit } : {}),
      batchSize: settings.batchSize,
      seed: settings.seed,
      optimizer: 'adam',
      learningRate: settings.learningRate,
      tfjsVersion: tf.version.tfjs,
      backend: tf.getBackend(),
      trainer: 'zoo/train-vit.ts (TF.js ops), exported by zoo/vit.ts',
    },
    parameters,
    floatTestAccuracy,
  };
  await writeFileAtomic(path.join(dir, 'metadata.json'), compactJson(metadata) + '\n');
  await writeZooData(dir, train, test, 28, settings.seed);
  console.log(`  wrote ${dir}`);
}

main().catch((error: unknown) => {
  console.error(`train-vit: ${messageOf(error)}`);
  process.exitCode = exitCodeFor(error);
});
