/**
 * The zoo's tiny vision transformer (issue 19): its shape, its weights, its forward pass in TF.js
 * ops (TF.js layers cannot express attention) and its export to ONNX with zoo/onnx-writer.ts.
 *
 *   image 28x28 → 16 patches of 7x7 → patch embedding (a 7x7 convolution of stride 7, 32 channels)
 *   → + learned position embedding → 2 × [LayerNorm → 2-head attention → residual add →
 *   LayerNorm → Linear 64 → GELU (erf) → Linear 32 → residual add] → LayerNorm → mean over the
 *   tokens → Linear 10.
 *
 * The ONNX file is written as PyTorch exports such a model (opset 17): Conv, Reshape and Transpose
 * to tokens [1, 16, 32], Add of the position embedding, LayerNormalization, MatMul + Add for each
 * Linear, the hand-written attention of zoo/attention.ts's 'hand' style, GELU as Erf's subgraph.
 * The mean over tokens followed by the head is written as one Gemm over the flattened tokens whose
 * weight is the head's repeated per token and divided by their number: the same linear map.
 */
import type * as tf from '@tensorflow/tfjs';
import { OnnxGraph, attr } from './onnx-writer.js';

export interface VitShape {
  side: number;
  patch: number;
  width: number;
  heads: number;
  hidden: number;
  blocks: number;
  classes: number;
}

export const VIT_SHAPE: VitShape = { side: 28, patch: 7, width: 32, heads: 2, hidden: 64, blocks: 2, classes: 10 };

export const tokensOf = (s: VitShape) => (s.side / s.patch) ** 2;

/** Every weight's name and shape; matrices of Linears are [in, out] (x · W). */
export function vitParameterShapes(s: VitShape): [string, number[]][] {
  const { width: w, hidden } = s;
  const shapes: [string, number[]][] = [
    ['patch.weight', [s.patch * s.patch, w]],
    ['patch.bias', [w]],
    ['position', [tokensOf(s), w]],
  ];
  for (let b = 0; b < s.blocks; b++) {
    const p = `block${b}`;
    shapes.push([`${p}.ln1.gamma`, [w]], [`${p}.ln1.beta`, [w]]);
    for (const m of ['q', 'k', 'v', 'out']) shapes.push([`${p}.${m}.weight`, [w, w]], [`${p}.${m}.bias`, [w]]);
    shapes.push([`${p}.ln2.gamma`, [w]], [`${p}.ln2.beta`, [w]]);
    shapes.push([`${p}.fc1.weight`, [w, hidden]], [`${p}.fc1.bias`, [hidden]], [`${p}.fc2.weight`, [hidden, w]], [`${p}.fc2.bias`, [w]]);
  }
  shapes.push(['norm.gamma', [w]], ['norm.beta', [w]], ['head.weight', [w, s.classes]], ['head.bias', [s.classes]]);
  return shapes;
}

export type VitWeights = Map<string, Float32Array>;

/** Seeded initial weights: uniform ±√(3/fan_in) (unit variance out) for matrices, small position embedding, LayerNorm at identity. */
export function initialVitWeights(s: VitShape, random: () => number): VitWeights {
  const weights: VitWeights = new Map();
  for (const [name, shape] of vitParameterShapes(s)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const uniform = (scale: number) => Float32Array.from({ length: size }, () => (random() * 2 - 1) * scale);
    if (name.endsWith('.gamma')) weights.set(name, new Float32Array(size).fill(1));
    else if (name.endsWith('.bias') || name.endsWith('.beta')) weights.set(name, new Float32Array(size));
    else if (name === 'position') weights.set(name, uniform(0.1));
    else weights.set(name, uniform(Math.sqrt(3 / shape[0]!)));
  }
  return weights;
}

/** Pixel indices of the image, token by token (row · grid + col), each patch's pixels row-major. */
function patchOrder(s: VitShape): Int32Array {
  const grid = s.side / s.patch;
  const order = new Int32Array(s.side * s.side);
  let at = 0;
  for (let row = 0; row < grid; row++) for (let col = 0; col < grid; col++) for (let y = 0; y < s.patch; y++) for (let x = 0; x < s.patch; x++) order[at++] = (row * s.patch + y) * s.side + col * s.patch + x;
  return order;
}

/**
 * The forward pass in TF.js ops: images [batch, side·side] (toModelInput's numbers) → logits
 * [batch, classes]. `v` maps each parameter's name to its tensor (variables while training).
 */
export function vitLogits(tfjs: typeof tf, s: VitShape, v: (name: string) => tf.Tensor, images: tf.Tensor): tf.Tensor {
  const { width: w, heads: h, patch: p } = s;
  const n = tokensOf(s);
  const d = w / h;
  const batch = images.shape[0]!;
  const linear = (x: tf.Tensor, name: string) => tfjs.add(tfjs.matMul(x.reshape([-1, x.shape[x.shape.length - 1]!]), v(`${name}.weight`) as tf.Tensor2D), v(`${name}.bias`));
  const layerNorm = (x: tf.Tensor, name: string) => {
    const { mean, variance } = tfjs.moments(x, -1, true);
    return tfjs.add(tfjs.mul(tfjs.div(tfjs.sub(x, mean), tfjs.sqrt(tfjs.add(variance, 1e-5))), v(`${name}.gamma`)), v(`${name}.beta`));
  };
  const patches = tfjs.gather(images, tfjs.tensor1d(patchOrder(s), 'int32'), 1).reshape([batch * n, p * p]);
  let x = tfjs.add(linear(patches, 'patch').reshape([batch, n, w]), v('position'));
  const heads = (t: tf.Tensor) => t.reshape([batch, n, h, d]).transpose([0, 2, 1, 3]);
  for (let b = 0; b < s.blocks; b++) {
    const pre = `block${b}`;
    const normed = layerNorm(x, `${pre}.ln1`);
    const [q, k, vv] = ['q', 'k', 'v'].map((m) => heads(linear(normed, `${pre}.${m}`)));
    const scores = tfjs.div(tfjs.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), Math.sqrt(d));
    const context = tfjs.matMul(tfjs.softmax(scores), vv as tf.Tensor4D).transpose([0, 2, 1, 3]).reshape([batch * n, w]);
    x = tfjs.add(x, linear(context, `${pre}.out`).reshape([batch, n, w]));
    const hidden = linear(layerNorm(x, `${pre}.ln2`), `${pre}.fc1`);
    x = tfjs.add(x, linear(gelu(tfjs, hidden), `${pre}.fc2`).reshape([batch, n, w]));
  }
  return linear(tfjs.mean(layerNorm(x, 'norm'), 1), 'head');
}

/**
 * GELU, erf form: x · (1 + erf(x/√2)) / 2, with erf by Abramowitz and Stegun 7.1.26 (error under
 * 1.5e-7, below float32's resolution of the result), as TF.js's wasm backend has no Erf kernel.
 */
function gelu(tfjs: typeof tf, x: tf.Tensor): tf.Tensor {
  const z = tfjs.div(x, Math.SQRT2);
  const a = tfjs.abs(z);
  const t = tfjs.div(1, tfjs.add(1, tfjs.mul(0.3275911, a)));
  const coefficients = [1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592];
  let poly = tfjs.scalar(coefficients[0]!);
  for (const c of coefficients.slice(1)) poly = tfjs.add(tfjs.mul(poly, t), c);
  const erfAbs = tfjs.sub(1, tfjs.mul(tfjs.mul(poly, t), tfjs.exp(tfjs.neg(tfjs.square(a)))));
  const erf = tfjs.mul(tfjs.sign(z), erfAbs);
  return tfjs.mul(tfjs.mul(x, tfjs.add(erf, 1)), 0.5);
}

/** The model as ONNX (opset 17), input `image` [1, 1, side, side], output `logits` [1, classes]. */
export function vitOnnx(s: VitShape, weights: VitWeights): Uint8Array {
  const { width: w, heads: h, patch: p, hidden } = s;
  const n = tokensOf(s);
  const d = w / h;
  const grid = s.side / p;
  const get = (name: string) => {
    const value = weights.get(name);
    if (!value) throw new Error(`the ViT's weights have no ${name}`);
    return value;
  };
  const g = new OnnxGraph(17, 'zkinfer zoo/vit.ts');
  const image = g.input('image', [1, 1, s.side, s.side]);
  // The patch matrix [p·p, w] as Conv weights [w, 1, p, p].
  const patch = get('patch.weight');
  const kernel = Float32Array.from({ length: w * p * p }, (_, at) => patch[(at % (p * p)) * w + Math.floor(at / (p * p))]!);
  const conv = g.node('Conv', [image, g.init('patch.conv.weight', [w, 1, p, p], kernel), g.init('patch.conv.bias', [w], get('patch.bias'))], { kernel_shape: attr.ints([p, p]), strides: attr.ints([p, p]) })[0]!;
  const flat = g.node('Reshape', [conv, g.init('patch.flatten', [3], [1, w, grid * grid], 'int')])[0]!;
  let x = g.node('Add', [g.node('Transpose', [flat], { perm: attr.ints([0, 2, 1]) })[0]!, g.init('position', [1, n, w], get('position'))])[0]!;
  const layerNorm = (from: string, name: string) =>
    g.node('LayerNormalization', [from, g.init(`${name}.gamma`, [w], get(`${name}.gamma`)), g.init(`${name}.beta`, [w], get(`${name}.beta`))], { axis: attr.int(-1), epsilon: attr.float(1e-5) })[0]!;
  const linear = (from: string, name: string, rows: number, cols: number) =>
    g.node('Add', [g.node('MatMul', [from, g.init(`${name}.weight`, [rows, cols], get(`${name}.weight`))])[0]!, g.init(`${name}.bias`, [cols], get(`${name}.bias`))])[0]!;
  const heads = (from: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [from, g.init(`${from}.heads`, [4], [1, n, h, d], 'int')])[0]!], { perm: attr.ints(perm) })[0]!;
  for (let b = 0; b < s.blocks; b++) {
    const pre = `block${b}`;
    const normed = layerNorm(x, `${pre}.ln1`);
    const q = heads(linear(normed, `${pre}.q`, w, w), [0, 2, 1, 3]);
    const k = heads(linear(normed, `${pre}.k`, w, w), [0, 2, 3, 1]);
    const v = heads(linear(normed, `${pre}.v`, w, w), [0, 2, 1, 3]);
    const scores = g.node('Div', [g.node('MatMul', [q, k])[0]!, g.init(`${pre}.sqrt_d`, [], [Math.sqrt(d)])])[0]!;
    const context = g.node('Transpose', [g.node('MatMul', [g.node('Softmax', [scores], { axis: attr.int(-1) })[0]!, v])[0]!], { perm: attr.ints([0, 2, 1, 3]) })[0]!;
    const merged = g.node('Reshape', [context, g.init(`${pre}.merge`, [3], [1, n, w], 'int')])[0]!;
    x = g.node('Add', [x, linear(merged, `${pre}.out`, w, w)])[0]!;
    const up = linear(layerNorm(x, `${pre}.ln2`), `${pre}.fc1`, w, hidden);
    // PyTorch's nn.GELU(): x · 0.5 · (1 + erf(x / √2)).
    const erf = g.node('Erf', [g.node('Div', [up, g.init(`${pre}.sqrt2`, [], [Math.SQRT2])])[0]!])[0]!;
    const activated = g.node('Mul', [g.node('Mul', [up, g.node('Add', [erf, g.init(`${pre}.one`, [], [1])])[0]!])[0]!, g.init(`${pre}.half`, [], [0.5])])[0]!;
    x = g.node('Add', [x, linear(activated, `${pre}.fc2`, hidden, w)])[0]!;
  }
  // mean over tokens, then the head: one Gemm of the flattened tokens by the head's rows repeated per token, over n.
  const head = get('head.weight');
  const tiled = Float32Array.from({ length: n * w * s.classes }, (_, at) => head[at % (w * s.classes)]! / n);
  const flat2 = g.node('Flatten', [layerNorm(x, 'norm')], { axis: attr.int(1) })[0]!;
  g.node('Gemm', [flat2, g.init('head.tiled', [n * w, s.classes], tiled), g.init('head.bias', [s.classes], get('head.bias'))], {}, ['logits']);
  g.output('logits', [1, s.classes]);
  return g.encode();
}
