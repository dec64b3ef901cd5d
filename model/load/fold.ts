/**
 * What every importer does the same way to a chain of float layers: fold a per-channel scale and
 * shift (BatchNormalization, a bias Add, a Mul by a constant) and an activation into the Dense or
 * Conv2D layer before it, and keep softmax at the end. Format-specific code stays in the importers.
 */
import { ModelError } from '../../core/errors.js';
import { type Activation, type FloatLayer, LINEAR } from '../float.js';
import type { Shape3 } from '../geometry.js';

/** Fold y = a * x + c (per output channel) into the layer that produced x, if it can take it. */
export function foldAffine(target: FloatLayer | undefined, a: Float64Array, c: Float64Array): boolean {
  if (!target || (target.kind !== 'dense' && target.kind !== 'conv2d') || target.activation.kind !== 'linear') return false;
  if (target.kind === 'dense') {
    for (let i = 0; i < target.inputSize; i++) for (let j = 0; j < target.units; j++) target.kernel[i * target.units + j] *= a[j];
  } else {
    const rowLength = target.weights.length / target.outShape[2];
    for (let oc = 0; oc < target.outShape[2]; oc++) for (let t = 0; t < rowLength; t++) target.weights[oc * rowLength + t] *= a[oc];
  }
  target.bias = target.bias.map((b, j) => b * a[j] + c[j]);
  return true;
}

/** A per-channel scale and shift that nothing could take: a 1x1 depthwise convolution over a [H, W, C] tensor. */
export function affineLayer(name: string, inShape: Shape3, a: Float64Array, c: Float64Array): FloatLayer {
  return { kind: 'conv2d', name, inShape, outShape: inShape, kernel: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], groups: inShape[2], weights: a, bias: c, activation: LINEAR };
}

/**
 * Fold an activation into `previous` (the layer it reads, when nothing else reads that) when it
 * has none; else return a layer of its own.
 */
export function activationLayer(previous: FloatLayer | undefined, name: string, activation: Activation): FloatLayer | undefined {
  if (activation.kind === 'linear') return undefined;
  if (previous && (previous.kind === 'dense' || previous.kind === 'conv2d' || previous.kind === 'add') && previous.activation.kind === 'linear') {
    previous.activation = activation;
    return undefined;
  }
  return { kind: 'activation', name, activation };
}

/** Softmax is proven as argmax, so nothing but reshapes may follow it. */
export function requireSoftmaxLast(layers: readonly FloatLayer[]): void {
  const endAt = layers.findIndex((l) => 'activation' in l && typeof l.activation === 'object' && l.activation.kind === 'softmax');
  if (endAt >= 0 && layers.slice(endAt + 1).some((l) => l.kind !== 'reshape')) {
    throw new ModelError('MODEL_UNSUPPORTED', 'softmax is supported only at the end of the model (it is proven as argmax)', { name: layers[endAt].name, index: endAt });
  }
}

/** A leaky ReLU zkinfer proves: a slope strictly between 0 and 1; `refuse` makes the importer's error. */
export function leakyRelu(alpha: number, refuse: (message: string) => Error): Activation {
  if (!(alpha > 0 && alpha < 1)) throw refuse(`leaky ReLU slope ${alpha} is not supported (0 < alpha < 1)`);
  return { kind: 'leakyRelu', alpha };
}
