/**
 * Exact integer bounds of every value of a QModel, for every input in its declared range.
 * Interval arithmetic is exact here: each input appears once in each dense sum, so the bounds are
 * attained. The circuit takes its bit widths from these bounds (circuits/plan.ts), and the
 * reference interpreter relies on them to compute with JS numbers without losing precision.
 */
import { ModelError } from '../core/errors.js';
import { type QModel, type QOp, inputRange, inputSize } from './ir.js';

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

function denseBounds(op: Extract<QOp, { kind: 'dense' }>, input: Interval, index: number): Interval {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < op.outputSize; j++) {
    const row = op.weights[j];
    let l = op.bias[j];
    let h = op.bias[j];
    // |any partial sum| <= |bias| + sum |w| * max|x|: bounding this bounds every order of summation.
    let magnitude = Math.abs(op.bias[j]);
    for (let i = 0; i < op.inputSize; i++) {
      const w = row[i];
      if (w === 0) continue;
      const a = w * input.lo[i];
      const b = w * input.hi[i];
      l += Math.min(a, b);
      h += Math.max(a, b);
      magnitude += Math.max(Math.abs(a), Math.abs(b));
    }
    if (magnitude >= MAX_EXACT) {
      throw new ModelError(
        'QUANTIZATION',
        `output ${j} can reach ${magnitude.toExponential(3)}, beyond the 2^52 zkinfer computes exactly; use fewer weight or activation bits`,
        { name: op.name, index },
      );
    }
    lo.push(l);
    hi.push(h);
  }
  return { lo, hi };
}

function rescaleBounds(op: Extract<QOp, { kind: 'rescale' }>, input: Interval): Interval {
  const clamp = (v: number) => (op.relu ? Math.max(0, v) : v);
  return {
    lo: input.lo.map((v, j) => clamp(rescaleValue(v, op.shift[j]))),
    hi: input.hi.map((v, j) => clamp(rescaleValue(v, op.shift[j]))),
  };
}

/** Bounds of the input and of each op's output: result[0] is the input, result[k + 1] op k's output. */
export function analyzeBounds(model: QModel): Interval[] {
  const { min, max } = inputRange(model.input);
  const n = inputSize(model.input);
  let current: Interval = { lo: new Array(n).fill(min), hi: new Array(n).fill(max) };
  const result = [current];
  model.ops.forEach((op, index) => {
    if (op.kind === 'dense') current = denseBounds(op, current, index);
    else if (op.kind === 'rescale') current = rescaleBounds(op, current);
    else current = { lo: [0], hi: [current.lo.length - 1] };
    result.push(current);
  });
  return result;
}
