/** Seeded randomness for tests: the same seed gives the same models and inputs on every machine. */
import type { Activation, DenseLayer, FloatLayer, FloatModel } from '../../model/float.js';
import { type Shape3, resolvePadding } from '../../model/geometry.js';

export type Rng = () => number;

export { seededRandom as seededRng } from '../../core/random.js';

export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

const uniform = (rng: Rng, n: number, scale: number) => Float64Array.from({ length: n }, () => (rng() * 2 - 1) * scale);

/** A dense float model with the given layer sizes, ReLU between layers and softmax at the end. */
export function randomDenseModel(rng: Rng, sizes: number[], name = 'random'): FloatModel {
  const layers: DenseLayer[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const [inputSize, units] = [sizes[l - 1], sizes[l]];
    layers.push({
      kind: 'dense',
      name: `dense_${l}`,
      inputSize,
      units,
      kernel: uniform(rng, inputSize * units, Math.sqrt(6 / (inputSize + units))),
      bias: uniform(rng, units, 0.1),
      activation: l === sizes.length - 1 ? { kind: 'softmax' } : { kind: 'relu' },
    });
  }
  return { name, inputShape: [sizes[0]], layers };
}

/**
 * Layers of a random image model, described briefly; shapes follow from the input. `from` names
 * the layers a layer reads (-1: the input), by default the one before: a graph.
 */
export type LayerSketch = (
  | { add: { coefficients?: number[]; activation?: Activation } }
  | { concat: true }
  | { mul: true }
  | { affine: { positive?: boolean } }
  | { conv: { filters: number; kernel: [number, number]; strides?: [number, number]; padding?: 'valid' | 'same'; depthwise?: boolean; activation?: Activation } }
  | { pool: { op: 'avg' | 'max'; size?: [number, number]; strides?: [number, number]; padding?: 'valid' | 'same'; global?: boolean } }
  | { pad: [number, number, number, number] }
  | { activation: Activation }
  | { flatten: true }
  | { dense: { units: number; activation?: Activation } }
) & { from?: number[] };

/** Build a float model from a sketch, with random weights and biases. */
export function randomImageModel(rng: Rng, inputShape: Shape3, sketch: LayerSketch[], name = 'random_cnn'): FloatModel {
  const shapes: number[][] = [];
  const layers: FloatLayer[] = sketch.map((s, i): FloatLayer => {
    const layerName = `layer_${i}`;
    const from = s.from ?? [i - 1];
    const inShapes = from.map((k) => (k < 0 ? inputShape : shapes[k]));
    const shape = inShapes[0];
    const image = shape as Shape3;
    let layer: FloatLayer;
    if ('add' in s) {
      layer = { kind: 'add', name: layerName, coefficients: s.add.coefficients ?? from.map(() => 1), activation: s.add.activation ?? { kind: 'linear' } };
    } else if ('concat' in s) {
      const three = inShapes.map((sh): Shape3 => (sh.length === 3 ? (sh as Shape3) : [1, 1, sh.reduce((a, b) => a * b, 1)]));
      layer = { kind: 'concat', name: layerName, inShapes: three, outShape: [three[0][0], three[0][1], three.reduce((sum, sh) => sum + sh[2], 0)] };
    } else if ('mul' in s) {
      layer = { kind: 'mul', name: layerName };
    } else if ('affine' in s) {
      const n = shape.reduce((a, b) => a * b, 1);
      const multiplier = uniform(rng, n, 2).map((m) => (s.affine.positive ? Math.abs(m) + 0.1 : m));
      layer = { kind: 'affine', name: layerName, multiplier, offset: s.affine.positive ? new Float64Array(n) : uniform(rng, n, 0.5) };
    } else if ('conv' in s) {
      const { filters, kernel, strides = [1, 1], padding = 'valid', depthwise = false, activation = { kind: 'relu' } } = s.conv;
      const groups = depthwise ? image[2] : 1;
      const outChannels = depthwise ? image[2] * filters : filters;
      const resolved = resolvePadding(image, kernel, strides, padding);
      const rowLength = kernel[0] * kernel[1] * (image[2] / groups);
      layer = {
        kind: 'conv2d',
        name: layerName,
        inShape: image,
        outShape: [resolved.outHW[0], resolved.outHW[1], outChannels],
        kernel,
        strides,
        padding: resolved.padding,
        groups,
        weights: uniform(rng, rowLength * outChannels, Math.sqrt(6 / (rowLength + outChannels))),
        bias: uniform(rng, outChannels, 0.1),
        activation,
      };
    } else if ('pool' in s) {
      const { op, size = [2, 2], strides = size, padding = 'valid', global = false } = s.pool;
      const window: [number, number] = global ? [image[0], image[1]] : size;
      const resolved = global ? { padding: [0, 0, 0, 0] as [number, number, number, number], outHW: [1, 1] } : resolvePadding(image, window, strides, padding);
      layer = { kind: 'pool', name: layerName, op, inShape: image, outShape: [resolved.outHW[0], resolved.outHW[1], image[2]], pool: window, strides: global ? [1, 1] : strides, padding: resolved.padding };
    } else if ('pad' in s) {
      const p = s.pad;
      layer = { kind: 'pad', name: layerName, inShape: image, outShape: [image[0] + p[0] + p[2], image[1] + p[1] + p[3], image[2]], padding: p };
    } else if ('activation' in s) {
      layer = { kind: 'activation', name: layerName, activation: s.activation };
    } else if ('flatten' in s) {
      layer = { kind: 'reshape', name: layerName, className: 'Flatten', outputShape: [shape.reduce((a, b) => a * b, 1)] };
    } else {
      const inputSize = shape[0];
      const { units, activation = { kind: 'relu' } } = s.dense;
      layer = { kind: 'dense', name: layerName, inputSize, units, kernel: uniform(rng, inputSize * units, Math.sqrt(6 / (inputSize + units))), bias: uniform(rng, units, 0.1), activation };
    }
    const concatFlat = layer.kind === 'concat' && inShapes[0].length !== 3;
    shapes.push(layer.kind === 'dense' ? [layer.units] : layer.kind === 'reshape' ? layer.outputShape : 'outShape' in layer ? (concatFlat ? [layer.outShape[2]] : layer.outShape) : shape);
    return s.from ? { ...layer, inputs: s.from } : layer;
  });
  return { name, inputShape, layers };
}

export function randomInputs(rng: Rng, count: number, size: number): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: size }, () => rng()));
}
