/**
 * What every importer does the same way to a chain of float layers: fold a per-channel scale and
 * shift (BatchNormalization, a bias Add, a Mul by a constant) and an activation into the Dense or
 * Conv2D layer before it, and keep softmax at the end. Format-specific code stays in the importers.
 */
import { ModelError } from '../../core/errors.js';
import { type Activation, type FloatLayer, LINEAR } from '../float.js';
import { type Shape3, groupInputChannels } from '../geometry.js';

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

/**
 * A clamp to [min, max] of a ReLU's output, where the ReLU is `previous`'s activation (a layer
 * whose output nothing else reads): the ReLU's output is never negative, so a lower bound of at
 * most 0 does nothing, and the two are one ReLU capped at the smaller maximum. This is how
 * PyTorch exports relu6: Relu, then Clip(0, 6), or at opset 9 a Clip with only its max (the
 * lower bound defaults to the lowest float). True when `previous` took the clamp.
 */
export function clampRelu(previous: FloatLayer | undefined, min: number, max: number): boolean {
  if (!previous || !('activation' in previous) || typeof previous.activation !== 'object' || previous.activation.kind !== 'relu') return false;
  if (!(min <= 0 && max > 0)) return false;
  const cap = Math.min(previous.activation.max ?? Infinity, max);
  previous.activation = cap === Infinity ? { kind: 'relu' } : { kind: 'relu', max: cap };
  return true;
}

/** Softmax is proven as argmax, so nothing but reshapes may follow it. */
export function requireSoftmaxLast(layers: readonly FloatLayer[]): void {
  const endAt = layers.findIndex((l) => 'activation' in l && typeof l.activation === 'object' && l.activation.kind === 'softmax');
  if (endAt >= 0 && layers.slice(endAt + 1).some((l) => l.kind !== 'reshape')) {
    throw new ModelError('MODEL_UNSUPPORTED', 'softmax is supported only at the end of the model (it is proven as argmax)', { name: layers[endAt].name, index: endAt });
  }
}

/**
 * A leaky ReLU zkinfer proves: slopes strictly between 0 and 1, one or one per element (equal
 * ones become one); `refuse` makes the importer's error.
 */
export function leakyRelu(alpha: number | readonly number[], refuse: (message: string) => Error): Activation {
  const slopes = typeof alpha === 'number' ? [alpha] : alpha;
  const bad = slopes.find((a) => !(a > 0 && a < 1));
  if (bad !== undefined) throw refuse(`leaky ReLU slope ${bad} is not supported (0 < alpha < 1)`);
  return { kind: 'leakyRelu', alpha: slopes.every((a) => a === slopes[0]) ? slopes[0]! : [...slopes] };
}

/**
 * Fold each per-element scale and shift (Rescaling, Normalization: kind 'affine') into the Dense
 * or Conv2D layer that reads it, through reshapes, when that is its only reader:
 * W (a x + c) + b = (W a) x + (W c + b), exact. A convolution shares its weights over positions, so
 * it takes a and c only when they depend on the channel alone, and c only without padding (its
 * zeros pad a x + c, not x). What cannot fold stays a layer of its own (quantized as one term per element).
 */
export function foldAffineForward(layers: FloatLayer[]): FloatLayer[] {
  for (let k = 0; k < layers.length; k++) {
    const layer = layers[k];
    if (layer.kind !== 'affine') continue;
    const target = soleReader(layers, k);
    if (target && takeInputAffine(target, layer.multiplier, layer.offset)) layers = withoutLayer(layers, k--);
  }
  return layers;
}

/** The layer that alone reads layer k's value, past reshapes (which only relabel it). */
function soleReader(layers: readonly FloatLayer[], k: number): FloatLayer | undefined {
  for (let at = k; ; ) {
    const readers = layers.flatMap((l, i) => (l.inputs ?? [i - 1]).filter((j) => j === at).map(() => i));
    if (readers.length !== 1) return undefined;
    if (layers[readers[0]].kind !== 'reshape') return layers[readers[0]];
    at = readers[0];
  }
}

/** Make `target` compute on a x + c what it computed on x, where it can. */
function takeInputAffine(target: FloatLayer, a: Float64Array, c: Float64Array): boolean {
  if (target.kind === 'dense') {
    if (a.length !== target.inputSize) return false;
    for (let i = 0; i < target.inputSize; i++) {
      for (let j = 0; j < target.units; j++) {
        target.bias[j] += target.kernel[i * target.units + j] * c[i];
        target.kernel[i * target.units + j] *= a[i];
      }
    }
    return true;
  }
  if (target.kind !== 'conv2d') return false;
  const channels = target.inShape[2];
  const perChannel = (v: Float64Array) => v.length === target.inShape[0] * target.inShape[1] * channels && v.every((value, e) => value === v[e % channels]);
  if (!perChannel(a) || !perChannel(c) || (c.some((v) => v !== 0) && target.padding.some((p) => p !== 0))) return false;
  const { perGroup, outPerGroup } = groupInputChannels(target);
  const rowLength = target.weights.length / target.outShape[2];
  for (let oc = 0; oc < target.outShape[2]; oc++) {
    for (let t = 0; t < rowLength; t++) {
      const ic = Math.floor(oc / outPerGroup) * perGroup + (t % perGroup);
      target.bias[oc] += target.weights[oc * rowLength + t] * c[ic];
      target.weights[oc * rowLength + t] *= a[ic];
    }
  }
  return true;
}

/** The graph without the layers no later layer reads (the last one stays: it is the output). */
export function withoutUnread(layers: FloatLayer[]): FloatLayer[] {
  for (let k = layers.length - 2; k >= 0; k--) {
    if (!layers.some((l, i) => (l.inputs ?? [i - 1]).includes(k))) layers = withoutLayer(layers, k);
  }
  return layers;
}

/** The graph without layer k, whose readers read its input instead. */
function withoutLayer(layers: readonly FloatLayer[], k: number): FloatLayer[] {
  const source = layers[k].inputs?.[0] ?? k - 1;
  return layers.flatMap((layer, old) => {
    if (old === k) return [];
    const at = old > k ? old - 1 : old;
    const inputs = (layer.inputs ?? [old - 1]).map((j) => (j === k ? source : j > k ? j - 1 : j));
    const { inputs: _, ...rest } = layer;
    return [inputs.length === 1 && inputs[0] === at - 1 ? (rest as FloatLayer) : ({ ...rest, inputs } as FloatLayer)];
  });
}
