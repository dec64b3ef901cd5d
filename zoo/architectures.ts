/**
 * The reference models of the zoo, as data: zoo/train.ts builds and trains each one, the benchmark
 * and tests find them by name. Adding a model is adding a row (and, for a new layer kind, teaching
 * train.ts to build it).
 */
import type { InputSize } from '../model/data/fashion-mnist.js';

export type LayerSpec = { kind: 'dense'; units: number; activation: 'relu' | 'linear' | 'softmax' };

export interface Architecture {
  name: string;
  /** Side of the preprocessed image (see toModelInput). */
  inputSize: InputSize;
  /** What the model's input layer takes: a flat vector for dense models. */
  inputShape: number[];
  layers: LayerSpec[];
  /** Training settings that differ from train.ts's defaults. */
  training?: { epochs?: number; batchSize?: number; learningRate?: number };
}

// The last layer is softmax, as in a typical Keras classifier; the circuit proves the argmax,
// which softmax does not change.
export const ARCHITECTURES: readonly Architecture[] = [
  {
    name: 'mlp_196_25_10',
    inputSize: 14,
    inputShape: [196],
    layers: [
      { kind: 'dense', units: 25, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  {
    name: 'mlp_196_24_14_10',
    inputSize: 14,
    inputShape: [196],
    layers: [
      { kind: 'dense', units: 24, activation: 'relu' },
      { kind: 'dense', units: 14, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  {
    name: 'mlp_784_56_10',
    inputSize: 28,
    inputShape: [784],
    layers: [
      { kind: 'dense', units: 56, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // Each epoch costs about four times the 196-input models'; it also converges in fewer.
    training: { epochs: 8 },
  },
];

export function findArchitecture(name: string): Architecture | undefined {
  return ARCHITECTURES.find((architecture) => architecture.name === name);
}

/** A one-line description, e.g. "14x14 → 196 → Dense 25 relu → Dense 10 softmax". */
export function describeArchitecture(architecture: Architecture): string {
  const steps = architecture.layers.map((layer) => `Dense ${layer.units} ${layer.activation}`);
  const side = architecture.inputSize;
  return [`${side}x${side}`, architecture.inputShape.join('x'), ...steps].join(' → ');
}
