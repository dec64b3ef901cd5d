/**
 * Exact integer bounds of every value of a QModel, for every input in its declared range.
 * In a chain, interval arithmetic is exact: each input appears at most once in each sum, so the
 * bounds are attained. Where a graph's branches meet (add, mul of values that share an input)
 * they may not be attained, but they still hold every value: sound, only wider than needed. The circuit takes its bit widths from these bounds (circuits/plan.ts), and the
 * reference interpreter relies on them to compute with JS numbers without losing precision.
 */
import { ModelError } from '../core/errors.js';
import { averageMultipliers, convTerms, poolWindow, windowPositions } from './geometry.js';
import { type Conv2DOp, type DenseOp, type QModel, type QOp, type QOpKind, type RescaleActivation, concatSources, inputRange, leakNumerator, inputSize, transposeSources, walkOps } from './ir.js';
import { maxOf } from '../core/numbers.js';
import { normReach } from './norm.js';
import { tableBounds } from './tables.js';

export interface Interval {
  lo: number[];
  hi: number[];
}

/** Every partial sum must stay exactly representable in a double. */
export const MAX_EXACT = 2 ** 52;

export function roundingOffset(shift: number): number {
  return shift > 0 ? 2 ** (shift - 1) : 0;
}

/** floor((x + 2^(s-1)) / 2^s), exact for |x| < 2^52. */
export function rescaleValue(x: number, shift: number): number {
  return shift === 0 ? x : Math.floor((x + roundingOffset(shift)) / 2 ** shift);
}

/** The activation of a rescale on a rounded value q (element j). */
export function activate(q: number, activation: RescaleActivation, j: number): number {
  switch (activation.kind) {
    case 'linear':
      return q;
    case 'relu': {
      const y = Math.max(0, q);
      return activation.max ? Math.min(y, activation.max[j]) : y;
    }
    case 'leaky':
      return q >= 0 ? q * 2 ** activation.bits : q * leakNumerator(activation, j);
  }
}

type Where = { name: string; index: number };

/** Bounds of bias + sum(w * x[input]) over the given terms (input -1: padding, contributes nothing). */
function dotBounds(bias: number, weights: readonly number[], inputs: readonly number[], x: Interval, where: Where, j: number): [number, number] {
  let lo = bias;
  let hi = bias;
  // |any partial sum| <= |bias| + sum |w| * max|x|: bounding this bounds every order of summation.
  let magnitude = Math.abs(bias);
  for (let t = 0; t < weights.length; t++) {
    const w = weights[t];
    const i = inputs[t];
    if (w === 0 || i < 0) continue;
    const a = w * x.lo[i];
    const b = w * x.hi[i];
    lo += Math.min(a, b);
    hi += Math.max(a, b);
    magnitude += Math.max(Math.abs(a), Math.abs(b));
  }
  if (magnitude >= MAX_EXACT) {
    throw new ModelError('QUANTIZATION', `output ${j} can reach ${magnitude.toExponential(3)}, beyond the 2^52 zkinfer computes exactly; use fewer weight or activation bits`, where);
  }
  return [lo, hi];
}

/**
 * A dense or convolution layer over any weights of `weightBits` bits (params hashed: one circuit
 * serves every model of the architecture). Each output j is bias + a dot product of magnitude at
 * most reach[j] = 2^(weightBits-1) * sum of max|x| over its terms; the biases may take
 * `biasBits` signed bits, just enough to reach as far as the largest dot product.
 */
export interface AnyWeightsBounds {
  reach: number[];
  biasBits: number;
}

export function anyWeightsBounds(op: DenseOp | Conv2DOp, x: Interval, weightBits: number, where: Where): AnyWeightsBounds {
  const size = (i: number) => (i < 0 ? 0 : Math.max(Math.abs(x.lo[i]), Math.abs(x.hi[i])));
  const weight = 2 ** (weightBits - 1);
  const reachOf = (terms: readonly number[]) => weight * terms.reduce((sum, i) => sum + size(i), 0);
  const reach =
    op.kind === 'dense'
      ? new Array<number>(op.outputSize).fill(reachOf(Array.from({ length: op.inputSize }, (_, i) => i)))
      : spatial(op.outShape, (oy, ox, oc) => {
          const r = reachOf(convTerms(op, oy, ox, oc));
          return [r, r];
        }).hi;
  let biasBits = 1;
  while (2 ** (biasBits - 1) <= maxOf(reach)) biasBits++;
  const magnitude = maxOf(reach) + 2 ** (biasBits - 1);
  if (magnitude >= MAX_EXACT) {
    throw new ModelError('QUANTIZATION', `with --params hashed (any ${weightBits}-bit weights) an output can reach ${magnitude.toExponential(3)}, beyond the 2^52 zkinfer computes exactly; use fewer weight or activation bits`, where);
  }
  return { reach, biasBits };
}

export interface BoundOptions {
  /** Bound dense and convolution layers over any weights of this many bits, not the model's own. */
  anyWeightBits?: number;
}

type BoundRule<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, x: Interval, where: Where, all: Interval[]) => Interval;

function collect(n: number, each: (j: number) => [number, number]): Interval {
  const lo = new Array<number>(n);
  const hi = new Array<number>(n);
  for (let j = 0; j < n; j++) [lo[j], hi[j]] = each(j);
  return { lo, hi };
}

/** Visit every output (oy, ox, c) of a [OH, OW, C] op in flat order. */
function spatial(outShape: readonly number[], each: (oy: number, ox: number, c: number) => [number, number]): Interval {
  const [oh, ow, oc] = outShape;
  return collect(oh * ow * oc, (j) => each(Math.floor(j / (ow * oc)), Math.floor(j / oc) % ow, j % oc));
}

const rules: { [K in QOpKind]: BoundRule<K> } = {
  dense(op, x, where) {
    const inputs = Array.from({ length: op.inputSize }, (_, i) => i);
    return collect(op.outputSize, (j) => dotBounds(op.bias[j], op.weights[j], inputs, x, where, j));
  },
  conv2d: (op, x, where) => spatial(op.outShape, (oy, ox, oc) => dotBounds(op.bias[oc], op.weights[oc], convTerms(op, oy, ox, oc), x, where, oc)),
  avgPool(op, x) {
    const { multipliers } = averageMultipliers(op);
    return spatial(op.outShape, (oy, ox, c) => {
      const m = multipliers[oy * op.outShape[1] + ox];
      const window = windowPositions(poolWindow(op), oy, ox).filter((p) => p >= 0);
      return [m * window.reduce((s, p) => s + x.lo[p + c], 0), m * window.reduce((s, p) => s + x.hi[p + c], 0)];
    });
  },
  maxPool(op, x) {
    return spatial(op.outShape, (oy, ox, c) => {
      const window = windowPositions(poolWindow(op), oy, ox).filter((p) => p >= 0);
      return [maxOf(window.map((p) => x.lo[p + c])), maxOf(window.map((p) => x.hi[p + c]))];
    });
  },
  pad(op, x) {
    const [h, w] = op.inShape;
    return spatial(op.outShape, (oy, ox, c) => {
      const [iy, ix] = [oy - op.padding[0], ox - op.padding[1]];
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) return [0, 0];
      const i = (iy * w + ix) * op.inShape[2] + c;
      return [x.lo[i], x.hi[i]];
    });
  },
  rescale(op, x) {
    // Every activation is monotone non-decreasing, so the interval's ends map to the ends.
    return collect(x.lo.length, (j) => [
      activate(rescaleValue(x.lo[j], op.shift[j]), op.activation, j),
      activate(rescaleValue(x.hi[j], op.shift[j]), op.activation, j),
    ]);
  },
  // Table functions need not be monotone (GELU, SiLU): the extremes of the entries in reach.
  table: (op, x) => collect(x.lo.length, (j) => tableBounds(op.table, op.bits, x.lo[j], x.hi[j], op.shift[j])),
  // Each probability is floor(e_i 2^P / S) with e_i <= S: in [0, 2^P].
  softmax: (op, x) => collect(x.lo.length, () => [0, 2 ** op.probabilityBits]),
  // |D_i| <= sqrt(v) and r <= 2^K / sqrt(v): |y_i| <= 2^K. The D_i must stay exact in doubles (Σ D² is summed exactly, model/norm.ts).
  norm(op, x, where) {
    const { deviation } = normReach(op, Math.max(maxOf(x.lo.map(Math.abs)), maxOf(x.hi.map(Math.abs))));
    if (deviation >= MAX_EXACT) throw new ModelError('QUANTIZATION', `a row's deviations can reach ${deviation.toExponential(3)}, beyond the 2^52 zkinfer computes exactly; use fewer activation bits`, where);
    return collect(x.lo.length, () => [-(2 ** op.rsqrtBits), 2 ** op.rsqrtBits]);
  },
  argmax: (_op, x) => ({ lo: [0], hi: [x.lo.length - 1] }),
  add(op, x, where, all) {
    const inputs = all.map((_, i) => i);
    return collect(x.lo.length, (j) => {
      const column = { lo: all.map((input) => input.lo[j]), hi: all.map((input) => input.hi[j]) };
      return dotBounds(op.bias[j], op.weights.map((row) => row[j]), inputs, column, where, j);
    });
  },
  concat(op, _x, _where, all) {
    const sources = concatSources(op);
    return { lo: sources.map(([i, e]) => all[i].lo[e]), hi: sources.map(([i, e]) => all[i].hi[e]) };
  },
  mul(_op, a, where, [, b]) {
    return collect(a.lo.length, (j) => {
      const ends = [a.lo[j] * b.lo[j], a.lo[j] * b.hi[j], a.hi[j] * b.lo[j], a.hi[j] * b.hi[j]];
      const [lo, hi] = [Math.min(...ends), Math.max(...ends)];
      if (Math.max(-lo, hi) >= MAX_EXACT) throw new ModelError('QUANTIZATION', `product ${j} can reach ${Math.max(-lo, hi).toExponential(3)}, beyond the 2^52 zkinfer computes exactly; use fewer activation bits`, where);
      return [lo, hi];
    });
  },
  // Each term's product interval, summed: exact when the factors are independent, sound (wider) when a and b share inputs (Q·Kᵀ).
  matmul(op, a, where, [, b]) {
    const lo: number[] = [];
    const hi: number[] = [];
    for (let h = 0; h < op.batch; h++) {
      for (let i = 0; i < op.rows; i++) {
        for (let j = 0; j < op.cols; j++) {
          let [l, u, magnitude] = [0, 0, 0];
          for (let t = 0; t < op.inner; t++) {
            const [x, y] = [(h * op.rows + i) * op.inner + t, (h * op.inner + t) * op.cols + j];
            const ends = [a.lo[x] * b.lo[y], a.lo[x] * b.hi[y], a.hi[x] * b.lo[y], a.hi[x] * b.hi[y]];
            l += Math.min(...ends);
            u += Math.max(...ends);
            magnitude += Math.max(...ends.map(Math.abs));
          }
          if (magnitude >= MAX_EXACT) throw new ModelError('QUANTIZATION', `output ${lo.length} sums products up to ${magnitude.toExponential(3)}, beyond the 2^52 zkinfer computes exactly; use fewer activation bits`, where);
          lo.push(l);
          hi.push(u);
        }
      }
    }
    return { lo, hi };
  },
  transpose(op, x) {
    const sources = transposeSources(op);
    return { lo: sources.map((i) => x.lo[i]), hi: sources.map((i) => x.hi[i]) };
  },
};

/** Bounds of the input and of each op's output: result[0] is the input, result[k + 1] op k's output. */
export function analyzeBounds(model: QModel, options: BoundOptions = {}): Interval[] {
  const { min, max } = inputRange(model.input);
  const n = inputSize(model.input);
  const input: Interval = { lo: new Array(n).fill(min), hi: new Array(n).fill(max) };
  const outputs = walkOps(model, input, (op, inputs, index) => {
    const where = { name: op.name, index };
    if (options.anyWeightBits !== undefined && (op.kind === 'dense' || op.kind === 'conv2d')) {
      const { reach, biasBits } = anyWeightsBounds(op, inputs[0], options.anyWeightBits, where);
      return { lo: reach.map((r) => -(r + 2 ** (biasBits - 1))), hi: reach.map((r) => r + 2 ** (biasBits - 1)) };
    }
    return (rules[op.kind] as BoundRule<QOpKind>)(op, inputs[0], where, inputs);
  });
  return [input, ...outputs];
}
