/**
 * The Conv2D filter gradient the zoo's training registers on TF.js's wasm backend (which lacks
 * one) must be the gradient TF.js's reference CPU backend computes.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { registerConv2dFilterGradient } from '../../zoo/wasm-conv-gradient.js';
import { maxOf } from '../../core/numbers.js';

const previous = tf.getBackend();
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], padding: 'valid' | 'same'): Float32Array {
  return tf.tidy(() => {
    const gradient = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, 1, padding), dy)));
    return gradient(tf.zeros(filterShape)).dataSync() as Float32Array;
  });
}

type Shape4 = [number, number, number, number];
const CASES: [string, Shape4, Shape4, 'valid' | 'same'][] = [
  ['the first 14x14 convolution', [8, 14, 14, 1], [3, 3, 1, 5], 'valid'],
  ['a 5x5 convolution over 6 channels', [5, 12, 12, 6], [5, 5, 6, 16], 'valid'],
  ['3x3 over 5 channels on non-square images', [3, 6, 7, 5], [3, 3, 5, 11], 'valid'],
  // The residual and concat CNNs' 'same' convolutions; an even kernel pads one more row at the bottom.
  ["a 'same' 3x3 convolution over 8 channels", [4, 12, 12, 8], [3, 3, 8, 8], 'same'],
  ["a 'same' 5x5 convolution of the input", [4, 14, 14, 1], [5, 5, 1, 6], 'same'],
  ["a 'same' 2x4 convolution on non-square images", [3, 6, 7, 2], [2, 4, 2, 3], 'same'],
];

it.each(CASES)('matches the CPU backend on %s', async (_name, xShape, filterShape, padding) => {
  const random = seededRandom(11);
  const [b, h, w] = xShape;
  const dyShape: Shape4 = padding === 'same' ? [b, h, w, filterShape[3]] : [b, h - filterShape[0] + 1, w - filterShape[1] + 1, filterShape[3]];
  const xValues = Float32Array.from({ length: xShape.reduce((p, d) => p * d, 1) }, () => random() * 2 - 1);
  const dyValues = Float32Array.from({ length: dyShape.reduce((p, d) => p * d, 1) }, () => random() * 2 - 1);
  const gradientOn = async (backend: string) => {
    await tf.setBackend(backend);
    if (backend === 'wasm') registerConv2dFilterGradient();
    const x = tf.tensor4d(xValues, xShape);
    const dy = tf.tensor4d(dyValues, dyShape);
    const before = tf.engine().backend.numDataIds();
    const result = filterGradient(x, dy, filterShape, padding);
    expect(tf.engine().backend.numDataIds()).toBe(before); // the kernel's intermediates are released
    tf.dispose([x, dy]);
    return result;
  };
  const expected = await gradientOn('cpu');
  const actual = await gradientOn('wasm');
  expect(actual).toHaveLength(expected.length);
  const scale = maxOf(expected.map(Math.abs));
  expected.forEach((value, i) => expect(Math.abs(actual[i]! - value)).toBeLessThan(1e-5 * Math.max(1, scale)));
});
