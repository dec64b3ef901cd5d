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
