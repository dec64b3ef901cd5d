/**
 * Small TF.js models with the 1-D layers (Conv1D, pools, global pools) and the preprocessing layers
 * (Rescaling, Normalization) zkinfer maps onto its float graph: the unit tests hold them to TF.js,
 * the circuit tests prove some of them.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { FloatLayer } from '../../model/float.js';
import { type NormalizationArgs, registerNormalization } from '../../model/load/normalization.js';
import type { Tf } from './fixtures.js';

export interface TfjsLayerCase {
  name: string;
  build: (tf: Tf) => tfTypes.layers.Layer[];
  /** The range the inputs are drawn from (and quantized over). */
  inputRange: [number, number];
  /** The float graph's layer kinds after loading: what folded where. */
  kinds: FloatLayer['kind'][];
}

const normalization = (tf: Tf, args: NormalizationArgs) => new (registerNormalization(tf))(args);

export const TFJS_LAYER_CASES: TfjsLayerCase[] = [
  {
    name: 'Conv1D valid with strides, Conv1D same with a dilation rate, MaxPooling1D same, AveragePooling1D same with strides 1, GlobalAveragePooling1D',
    build: (tf) => [
      tf.layers.conv1d({ inputShape: [13, 2], filters: 3, kernelSize: 3, strides: 2, activation: 'relu' }),
      tf.layers.conv1d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'same' }),
      tf.layers.maxPooling1d({ poolSize: 2, padding: 'same' }),
      tf.layers.averagePooling1d({ poolSize: 2, strides: 1, padding: 'same' }),
      tf.layers.globalAveragePooling1d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    inputRange: [0, 1],
    kinds: ['conv2d', 'conv2d', 'pool', 'pool', 'pool', 'dense'],
  },
  {
    name: 'Conv1D valid with a dilation rate of 3, GlobalMaxPooling1D',
    build: (tf) => [
      tf.layers.conv1d({ inputShape: [9, 3], filters: 2, kernelSize: [3], dilationRate: [3], activation: 'relu' }),
      tf.layers.globalMaxPooling1d({}),
      tf.layers.dense({ units: 2 }),
    ],
    inputRange: [0, 1],
    kinds: ['conv2d', 'pool', 'dense'],
  },
  {
    name: 'Rescaling with scale and offset, folded through a Flatten into the Dense after it',
    build: (tf) => [
      tf.layers.rescaling({ inputShape: [3, 3, 1], scale: 1 / 255, offset: -0.5 }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: 4, activation: 'relu' }),
      tf.layers.dense({ units: 3 }),
    ],
    inputRange: [0, 255],
    kinds: ['reshape', 'dense', 'dense'],
  },
  {
    name: 'Rescaling with an offset before a same-padded Conv2D stays a layer (the padding zeros are of the rescaled image)',
    build: (tf) => [
      tf.layers.rescaling({ inputShape: [4, 4, 2], scale: 0.02, offset: -1 }),
      tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: 3 }),
    ],
    inputRange: [0, 100],
    kinds: ['affine', 'conv2d', 'reshape', 'dense'],
  },
  {
    name: 'Normalization adapted per channel of an image, folded into the valid Conv2D after it',
    build: (tf) => [
      normalization(tf, { inputShape: [5, 5, 3] }),
      tf.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    inputRange: [-1, 1],
    kinds: ['conv2d', 'pool', 'dense'],
  },
  {
    name: 'Normalization with its statistics in the config on a flat input, and an inverted one after a Dense (folded into it)',
    build: (tf) => [
      normalization(tf, { inputShape: [6], mean: [0.1, 0.2, -0.3, 0.5, 0, 1], variance: [0.04, 1, 2, 0.5, 0.01, 9] }),
      tf.layers.dense({ units: 5 }),
      normalization(tf, { mean: 0.5, variance: 4, invert: true }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.dense({ units: 3 }),
    ],
    inputRange: [-1, 1],
    kinds: ['dense', 'dense'],
  },
  {
    name: 'Normalization per position (axis [1, 2]) of an image stays a layer before a convolution (its constants vary over positions)',
    build: (tf) => [
      normalization(tf, { inputShape: [3, 3, 2], axis: [1, 2] }),
      tf.layers.conv2d({ filters: 2, kernelSize: 2 }),
      tf.layers.flatten({}),
      tf.layers.dense({ units: 2 }),
    ],
    inputRange: [0, 1],
    kinds: ['affine', 'conv2d', 'reshape', 'dense'],
  },
  {
    name: 'Normalization with one mean and variance (axis null) after a ReLU, folded into the Dense after it',
    build: (tf) => [
      tf.layers.dense({ inputShape: [4], units: 5, activation: 'relu' }),
      normalization(tf, { axis: null, mean: 0.2, variance: 0.5 }),
      tf.layers.dense({ units: 3 }),
    ],
    inputRange: [0, 1],
    kinds: ['dense', 'dense'],
  },
];
