/** Seeded randomness for tests: the same seed gives the same models and inputs on every machine. */
import type { DenseLayer, FloatModel } from '../../model/float.js';

export type Rng = () => number;

export { seededRandom as seededRng } from '../../core/random.js';

export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** A dense float model with the given layer sizes, ReLU between layers and softmax at the end. */
export function randomDenseModel(rng: Rng, sizes: number[], name = 'random'): FloatModel {
  const layers: DenseLayer[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const [inputSize, units] = [sizes[l - 1], sizes[l]];
    const scale = Math.sqrt(6 / (inputSize + units));
    layers.push({
      kind: 'dense',
      name: `dense_${l}`,
      inputSize,
      units,
      kernel: Float64Array.from({ length: inputSize * units }, () => (rng() * 2 - 1) * scale),
      bias: Float64Array.from({ length: units }, () => (rng() * 2 - 1) * 0.1),
      activation: l === sizes.length - 1 ? 'softmax' : 'relu',
    });
  }
  return { name, inputShape: [sizes[0]], layers };
}

export function randomInputs(rng: Rng, count: number, size: number): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: size }, () => rng()));
}
