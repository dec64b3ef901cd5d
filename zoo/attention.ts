/**
 * A pre-norm self-attention block as a float graph (model/float.ts), the layout every importer
 * maps attention onto: tokens × width, channels last, as [1, tokens, width] so that the per-token
 * projections are 1x1 convolutions.
 *   LayerNorm → Q, K, V (1x1 conv) → split heads ([n, h, d] → [h, n, d]; K to [h, d, n]) →
 *   scores Q·Kᵀ per head → × 1/√d → softmax along rows → ·V → merge heads ([h, n, d] → [n, h, d])
 *   → output projection (1x1 conv) → residual add of the block's input → (a classifier: Dense)
 * Weights are random (seeded): for tests and for measuring what a block costs.
 */
import type { Conv2DLayer, FloatLayer, FloatModel } from '../model/float.js';
import { OnnxGraph, attr } from './onnx-writer.js';

export interface AttentionBlockShape {
  tokens: number;
  width: number;
  heads: number;
  /** A dense classifier of the flattened block output into this many classes (0: none). */
  classes: number;
}

const uniform = (rng: () => number, n: number, scale: number) => Float64Array.from({ length: n }, () => (rng() * 2 - 1) * scale);

/** The layers of one block reading layer `from` (-1: the model's input), appended to `layers`; the index of its output. */
export function appendAttentionBlock(layers: FloatLayer[], from: number, shape: AttentionBlockShape, rng: () => number, prefix = 'block'): number {
  const { tokens: n, width: w, heads: h } = shape;
  if (w % h !== 0) throw new Error(`width ${w} is not a multiple of ${h} heads`);
  const d = w / h;
  const at = (layer: FloatLayer) => layers.push(layer) - 1;
  const projection = (name: string, input: number): number => {
    const conv: Conv2DLayer = {
      kind: 'conv2d',
      name: `${prefix}/${name}`,
      inShape: [1, n, w],
      outShape: [1, n, w],
      kernel: [1, 1],
      strides: [1, 1],
      padding: [0, 0, 0, 0],
      groups: 1,
      weights: uniform(rng, w * w, Math.sqrt(3 / w)),
      bias: uniform(rng, w, 0.1),
      activation: { kind: 'linear' },
      inputs: [input],
    };
    return at(conv);
  };
  const norm = at({ kind: 'norm', name: `${prefix}/norm`, mode: 'layer', size: w, epsilon: 1e-5, gamma: Float64Array.from({ length: w }, () => 0.8 + 0.4 * rng()), beta: uniform(rng, w, 0.1), inputs: [from] });
  const [q, k, v] = ['q', 'k', 'v'].map((name) => projection(name, norm));
  const qh = at({ kind: 'transpose', name: `${prefix}/q_heads`, inShape: [n, h, d], perm: [1, 0, 2], inputs: [q!] });
  const kt = at({ kind: 'transpose', name: `${prefix}/k_heads_t`, inShape: [n, h, d], perm: [1, 2, 0], inputs: [k!] });
  const vh = at({ kind: 'transpose', name: `${prefix}/v_heads`, inShape: [n, h, d], perm: [1, 0, 2], inputs: [v!] });
  at({ kind: 'matmul', name: `${prefix}/scores`, batch: h, rows: n, inner: d, cols: n, inputs: [qh, kt] });
  at({ kind: 'affine', name: `${prefix}/scale`, multiplier: new Float64Array(h * n * n).fill(1 / Math.sqrt(d)), offset: new Float64Array(h * n * n) });
  const weights = at({ kind: 'softmax', name: `${prefix}/attention`, size: n });
  at({ kind: 'matmul', name: `${prefix}/context`, batch: h, rows: n, inner: n, cols: d, inputs: [weights, vh] });
  const merged = at({ kind: 'transpose', name: `${prefix}/merge`, inShape: [h, n, d], perm: [1, 0, 2] });
  const out = projection('out', merged);
  return at({ kind: 'add', name: `${prefix}/residual`, coefficients: [1, 1], activation: { kind: 'linear' }, inputs: [from, out] });
}

/** One block on a [1, tokens, width] input, then a Dense classifier when `classes` > 0. */
export function attentionBlockModel(shape: AttentionBlockShape, rng: () => number, name = 'attention_block'): FloatModel {
  const layers: FloatLayer[] = [];
  const out = appendAttentionBlock(layers, -1, shape, rng);
  const size = shape.tokens * shape.width;
  if (shape.classes > 0) {
    layers.push({ kind: 'dense', name: 'classifier', inputSize: size, units: shape.classes, kernel: uniform(rng, size * shape.classes, Math.sqrt(3 / size)), bias: uniform(rng, shape.classes, 0.1), activation: { kind: 'linear' }, inputs: [out] });
  }
  return { name, inputShape: [1, shape.tokens, shape.width], layers };
}

/**
 * The block above written as ONNX (opset 17) as PyTorch exports attention, with a Flatten and a
 * Gemm classifier:
 * - 'hand' (hand-written attention over [1, n, w]): Linear as MatMul + Add; Reshape to
 *   [1, n, h, d], Transpose [0, 2, 1, 3] (K: [0, 2, 3, 1]); MatMul; Div by √d; Softmax(-1);
 *   MatMul; Transpose [0, 2, 1, 3]; Reshape [1, n, w];
 * - 'mha' (nn.MultiheadAttention's layout, batch 1 folded away): tokens [n, 1, w]; q scaled by a
 *   Mul before the product; Reshape to [n, h, d] and Transpose [1, 0, 2] to [h, n, d]; K's
 *   Transpose [0, 2, 1] of that; the context's Transpose [1, 0, 2] and Reshape [n, 1, w].
 * The weights are the float model's (attentionBlockModel with the same shape and seed), so both
 * must compute what it computes.
 */
export function attentionBlockOnnx(float: FloatModel, shape: AttentionBlockShape, style: 'hand' | 'mha'): Uint8Array {
  const { tokens: n, width: w, heads: h, classes } = shape;
  const d = w / h;
  const g = new OnnxGraph(17);
  const layer = <K extends FloatLayer['kind']>(name: string, kind: K) => float.layers.find((l) => l.name === name && l.kind === kind) as Extract<FloatLayer, { kind: K }>;
  const tokensShape = style === 'hand' ? [1, n, w] : [n, 1, w];
  const input = g.input('tokens', [1, n, w]);
  const x = style === 'hand' ? input : g.node('Reshape', [input, g.init('as_mha', [3], tokensShape, 'int')])[0]!;
  const norm = layer('block/norm', 'norm');
  const normed = g.node('LayerNormalization', [x, g.init('ln_scale', [w], norm.gamma!), g.init('ln_bias', [w], norm.beta!)], { axis: attr.int(-1), epsilon: attr.float(norm.epsilon) })[0]!;
  // A 1x1 convolution's weights [oc][ic] as a Linear's MatMul operand [ic, oc].
  const linear = (name: string, from: string, factor = 1) => {
    const conv = layer(`block/${name}`, 'conv2d');
    const matrix = Float64Array.from({ length: w * w }, (_, at) => conv.weights[(at % w) * w + Math.floor(at / w)]! * factor);
    const product = g.node('MatMul', [from, g.init(`${name}_weight`, [w, w], matrix)])[0]!;
    return g.node('Add', [product, g.init(`${name}_bias`, [w], conv.bias.map((b) => b * factor))])[0]!;
  };
  const heads = (from: string, perm: number[]) => {
    const split = g.node('Reshape', [from, g.init(`${from}_heads`, [style === 'hand' ? 4 : 3], style === 'hand' ? [1, n, h, d] : [n, h, d], 'int')])[0]!;
    return g.node('Transpose', [split], { perm: attr.ints(perm) })[0]!;
  };
  let scores: string;
  let v: string;
  if (style === 'hand') {
    const [q, k] = [heads(linear('q', normed), [0, 2, 1, 3]), heads(linear('k', normed), [0, 2, 3, 1])];
    v = heads(linear('v', normed), [0, 2, 1, 3]);
    scores = g.node('Div', [g.node('MatMul', [q, k])[0]!, g.init('sqrt_d', [], [Math.sqrt(d)])])[0]!;
  } else {
    const q = g.node('Mul', [heads(linear('q', normed), [1, 0, 2]), g.init('scaling', [], [1 / Math.sqrt(d)])])[0]!;
    const k = g.node('Transpose', [heads(linear('k', normed), [1, 0, 2])], { perm: attr.ints([0, 2, 1]) })[0]!;
    v = heads(linear('v', normed), [1, 0, 2]);
    scores = g.node('MatMul', [q, k])[0]!;
  }
  const weights = g.node('Softmax', [scores], { axis: attr.int(-1) })[0]!;
  const context = g.node('Transpose', [g.node('MatMul', [weights, v])[0]!], { perm: attr.ints(style === 'hand' ? [0, 2, 1, 3] : [1, 0, 2]) })[0]!;
  const merged = g.node('Reshape', [context, g.init('merge', [3], tokensShape, 'int')])[0]!;
  const block = g.node('Add', [x, linear('out', merged)])[0]!;
  const classifier = layer('classifier', 'dense');
  const flat = g.node('Flatten', [block], { axis: attr.int(0) })[0]!;
  const gemm = g.node('Gemm', [flat, g.init('classifier_weight', [n * w, classes], classifier.kernel), g.init('classifier_bias', [classes], classifier.bias)], {}, ['logits'])[0]!;
  g.output(gemm, [1, classes]);
  return g.encode();
}
