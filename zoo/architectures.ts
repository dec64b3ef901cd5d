/**
 * The reference models of the zoo, as data: zoo/train.ts builds and trains each one, the benchmark
 * and tests find them by name. Adding a model is adding a row (and, for a new layer kind, teaching
 * layers-model.ts to build it).
 */
import type { InputSize } from '../model/data/fashion-mnist.js';

/** A layer; `from` names the layers it reads (-1: the input), by default the one before: a graph. */
export type LayerSpec = (
  | { kind: 'dense'; units: number; activation: 'relu' | 'linear' | 'softmax' | 'sigmoid' | 'tanh' | 'gelu' }
  /** Stride 1, a square kernel, 'valid' padding unless 'same' (the output keeps the input's height and width). */
  | { kind: 'conv2d'; filters: number; kernelSize: number; activation: 'relu' | 'linear'; padding?: 'valid' | 'same' }
  /** Non-overlapping square windows (stride = pool size), 'valid' padding. */
  | { kind: 'avgpool2d'; poolSize: number }
  | { kind: 'flatten' }
  /** The sum of the layers it reads (a residual connection). */
  | { kind: 'add' }
  /** The layers it reads, side by side (their last axis). */
  | { kind: 'concat' }
) & { from?: number[] };

export interface Architecture {
  name: string;
  /** Side of the preprocessed image (see toModelInput). */
  inputSize: InputSize;
  /**
   * What the model's input layer takes: a flat vector for dense models, [side, side, 1] (channels
   * last) for convolutional ones. Either way the numbers are toModelInput's, in its row-major order.
   */
  inputShape: number[];
  layers: LayerSpec[];
  /** Training settings that differ from train.ts's defaults. */
  training?: { epochs?: number; batchSize?: number; learningRate?: number };
  /**
   * Hundreds of thousands of constraints: minutes to compile, set up and prove, so the test suite
   * leaves it out and only `zkinfer bench` runs it.
   */
  large?: true;
  /**
   * Left out of `zkinfer bench`'s default run too, run only when named with --models: its compile
   * has not finished in reasonable time on this machine yet.
   */
  onRequest?: true;
  /**
   * Not a TF.js model: the zoo holds zoo/<name>/model.onnx, trained in TF.js ops and written by
   * zkinfer's ONNX writer (`layers` is empty; this describes the model instead).
   */
  onnx?: { description: string; trainer: string };
}

/** The tiny vision transformer of zoo/vit.ts (issue 19). */
export const VIT_NAME = 'vit_28_p7_w32_b2_10';

/**
 * The feature extractor of every CNN in the zoo: two stages of a square Conv2D with ReLU followed
 * by 2x2 average pooling, then Flatten.
 */
function convFeatures(kernelSize: number, filters: readonly [number, number]): LayerSpec[] {
  const stage = (count: number): LayerSpec[] => [
    { kind: 'conv2d', filters: count, kernelSize, activation: 'relu' },
    { kind: 'avgpool2d', poolSize: 2 },
  ];
  return [...filters.flatMap(stage), { kind: 'flatten' }];
}

/** A VGG block: two 3x3 'same' convolutions with ReLU, then 2x2 average pooling. */
function vggBlock(filters: number): LayerSpec[] {
  const conv: LayerSpec = { kind: 'conv2d', filters, kernelSize: 3, activation: 'relu', padding: 'same' };
  return [conv, conv, { kind: 'avgpool2d', poolSize: 2 }];
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
  // mlp_196_25_10's shape with the hidden ReLU replaced by a table activation (circuits/templates/table.circom).
  ...(['sigmoid', 'tanh', 'gelu'] as const).map(
    (activation): Architecture => ({
      name: `mlp_196_25_10_${activation}`,
      inputSize: 14,
      inputShape: [196],
      layers: [
        { kind: 'dense', units: 25, activation },
        { kind: 'dense', units: 10, activation: 'softmax' },
      ],
    }),
  ),
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
  {
    name: 'cnn_14_5_11_80_10',
    inputSize: 14,
    inputShape: [14, 14, 1],
    layers: [
      ...convFeatures(3, [5, 11]),
      { kind: 'dense', units: 80, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // About 10 s an epoch (wasm backend, 2 cores). At the default rate it learns slowly (82.8%
    // after 20 epochs); three times that reaches 85.6%.
    training: { learningRate: 0.003 },
  },
  {
    name: 'cnn_28_6_16_10',
    inputSize: 28,
    inputShape: [28, 28, 1],
    layers: [
      ...convFeatures(5, [6, 16]),
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // About 45 s an epoch on 2 cores (28x28 convolutions); 10 epochs reach 86.9%.
    training: { epochs: 10 },
  },
  {
    name: 'lenet_28_6_16_120_84_10',
    inputSize: 28,
    inputShape: [28, 28, 1],
    layers: [
      ...convFeatures(5, [6, 16]),
      { kind: 'dense', units: 120, activation: 'relu' },
      { kind: 'dense', units: 84, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // About 45 s an epoch on 2 cores (more when the machine is busy); 10 epochs reach 89.0%.
    training: { epochs: 10 },
  },
  {
    // VGG-style: blocks of two 3x3 'same' convolutions, each block followed by pooling, then a
    // dense classifier that holds 98% of the 300k parameters (weights cost no constraints; each
    // requantized activation about 20, so the convolutions stay narrow: 437k constraints).
    name: 'vgg_28_8_8_16_16_372_10',
    inputSize: 28,
    inputShape: [28, 28, 1],
    layers: [
      ...vggBlock(8),
      ...vggBlock(16),
      { kind: 'flatten' },
      { kind: 'dense', units: 372, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // About 2.4 min of CPU an epoch (6 to 7 min of wall time at load 11, niced); 2 epochs reach 87.6%.
    training: { epochs: 2, batchSize: 128 },
    large: true,
  },
  {
    // About 1M parameters, again almost all in the dense layer; two 'same' convolutions, each
    // pooled at once and the first narrow, keep it at about 300k constraints (2^19 powers of tau).
    name: 'cnn_28_8_32_632_10',
    inputSize: 28,
    inputShape: [28, 28, 1],
    layers: [
      { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
      { kind: 'avgpool2d', poolSize: 2 },
      { kind: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' },
      { kind: 'avgpool2d', poolSize: 2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 632, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // 10 epochs: 62 min of wall time at load 15 to 22 (137 to 152 s an epoch once given most of a
    // core); 91.20% float, 91.12% quantized (2 epochs reached 88.0%).
    training: { epochs: 10 },
    large: true,
  },
  {
    // A residual block: the second layer's output added to the first's (fed to both).
    name: 'res_mlp_196_32_32_10',
    inputSize: 14,
    inputShape: [196],
    layers: [
      { kind: 'dense', units: 32, activation: 'relu' },
      { kind: 'dense', units: 32, activation: 'relu' },
      { kind: 'add', from: [0, 1] },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  {
    // Two branches from the input, side by side.
    name: 'cat_mlp_196_16_16_10',
    inputSize: 14,
    inputShape: [196],
    layers: [
      { kind: 'dense', units: 16, activation: 'relu' },
      { kind: 'dense', units: 16, activation: 'relu', from: [-1] },
      { kind: 'concat', from: [0, 1] },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  {
    // A residual block: two 'same' convolutions whose output is added to the block's input (the
    // first convolution's output, fed to both), then pooling and a dense classifier.
    name: 'res_cnn_14_8_8_8_10',
    inputSize: 14,
    inputShape: [14, 14, 1],
    layers: [
      { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
      { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
      { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
      { kind: 'add', from: [0, 2] },
      { kind: 'avgpool2d', poolSize: 2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    training: { epochs: 8, learningRate: 0.003 },
  },
  {
    // Two branches of the input, a 3x3 and a 5x5 convolution, concatenated on channels.
    name: 'cat_cnn_14_6_6_10',
    inputSize: 14,
    inputShape: [14, 14, 1],
    layers: [
      { kind: 'conv2d', filters: 6, kernelSize: 3, activation: 'relu', padding: 'same' },
      { kind: 'conv2d', filters: 6, kernelSize: 5, activation: 'relu', padding: 'same', from: [-1] },
      { kind: 'concat', from: [0, 1] },
      { kind: 'avgpool2d', poolSize: 2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
    // Five epochs: the two branches' 14x14 'same' convolutions make each epoch about a minute on the shared machine.
    training: { epochs: 5, learningRate: 0.003 },
  },
  {
    // 4 epochs (lr 0.002) of zoo/train-vit.ts: 123 to 189 s each at load 5 to 7; 83.99% float,
    // 72.53% quantized at 8 bits (the residual stream is too coarse for its LayerNorms); 604k constraints.
    name: VIT_NAME,
    inputSize: 28,
    inputShape: [1, 1, 28, 28],
    layers: [],
    onnx: {
      description: '16 patches 7x7 → Conv 32 → + position → 2 × (LayerNorm → attention 2 heads → Add → LayerNorm → Linear 64 gelu → Linear 32 → Add) → LayerNorm → mean of tokens → Linear 10',
      trainer: 'node dist/zoo/train-vit.js',
    },
    large: true,
    // circom ran 26 minutes (8.7 min of CPU, 2.5 GB) on it without finishing, at load 11 to 12; the
    // direct path (--backend auto) compiles it in 31 s of CPU, but setup and each proof take minutes of wall time here.
    onRequest: true,
  },
];

/** Whether an architecture is a graph (some layer reads other than the layer before it). */
export function isGraphArchitecture(architecture: Architecture): boolean {
  return architecture.layers.some((layer, index) => layer.from !== undefined && (layer.from.length !== 1 || layer.from[0] !== index - 1));
}

/** The model file of a zoo model in its folder: model.onnx or the TF.js model.json. */
export function zooModelFile(architecture: Architecture): string {
  return architecture.onnx ? 'model.onnx' : 'model.json';
}

export function findArchitecture(name: string): Architecture | undefined {
  return ARCHITECTURES.find((architecture) => architecture.name === name);
}

function describeLayer(layer: LayerSpec): string {
  switch (layer.kind) {
    case 'dense':
      return `Dense ${layer.units} ${layer.activation}`;
    case 'conv2d':
      return `Conv2D ${layer.filters} ${layer.kernelSize}x${layer.kernelSize}${layer.padding === 'same' ? ' same' : ''} ${layer.activation}`;
    case 'avgpool2d':
      return `AvgPool ${layer.poolSize}x${layer.poolSize}`;
    case 'flatten':
      return 'Flatten';
    case 'add':
      return 'Add';
    case 'concat':
      return 'Concat';
  }
}

/** A one-line description, e.g. "14x14 → 196 → Dense 25 relu → Dense 10 softmax"; a layer reading others than the one before says which, e.g. "Add (of 1, 2)" (numbered from 1, 0 the input). */
export function describeArchitecture(architecture: Architecture): string {
  const side = architecture.inputSize;
  if (architecture.onnx) return `${side}x${side} → ${architecture.onnx.description}`;
  const layers = architecture.layers.map((layer) => describeLayer(layer) + (layer.from ? ` (of ${layer.from.map((i) => i + 1).join(', ')})` : ''));
  return [`${side}x${side}`, architecture.inputShape.join('x'), ...layers].join(' → ');
}
