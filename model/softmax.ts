/**
 * Softmax in integers (model/ir.ts SoftmaxOp): the probabilities a contract can compare against a
 * threshold. Per row x of `rowSize` values at one scale:
 *   m      = max_j x_j                                  (the circuit proves m >= x_j and m = some x_j)
 *   e_i    = table[clamp(rescale(x_i - m, shift))]       (a table op's step on d_i = x_i - m <= 0)
 *   S      = sum_i e_i                                  (>= e at the maximum = 2^expBits >= 1)
 *   p_i    = floor(e_i * 2^probabilityBits / S)         (the circuit pins it by a remainder in [0, S))
 * table[q] = roundHalfAway(2^expBits * exp(min(q, 0) * inScale)): positive codes never occur (d <= 0)
 * and repeat exp(0), which keeps the table's lookup cheap there. The probabilities are read as
 * p_i / 2^probabilityBits; each is at most the float softmax's plus the errors of the rounded
 * exponent and of the floors (docs/FORMATS.md), and they add up to at most 1.
 */
import { ModelError } from '../core/errors.js';
import type { SoftmaxOp } from './ir.js';
import { MAX_TABLE_BITS, roundHalfAway, tableOffset, tableValue } from './tables.js';

/** e^x in 2^-expBits units: 16 bits, so that a probability's error from the exponent's rounding is below 2^-16 per unit of S. */
export const SOFTMAX_EXP_BITS = 16;
/** Probabilities in 2^-16 units by default: a threshold of 0.9 is 58982 / 65536. */
export const SOFTMAX_PROBABILITY_BITS = 16;

/** What defines a softmax op (model/ir.ts). */
export type SoftmaxParams = Omit<SoftmaxOp, 'kind' | 'name' | 'inputs'>;

/** The exp table of a softmax over codes of `bits` bits at inScale (see above). */
export function softmaxExpTable(bits: number, inScale: number, expBits: number): number[] {
  const offset = tableOffset(bits);
  return Array.from({ length: 2 ** bits }, (_, i) => roundHalfAway(2 ** expBits * Math.exp(Math.min(i - offset, 0) * inScale)));
}

/**
 * Parameters for a softmax over values at `scale`: the table's codes must reach far enough below
 * the maximum that every entry beyond is 0 (e^d * 2^expBits < 1/2, d < -(expBits + 1) ln 2), with
 * as fine a step as MAX_TABLE_BITS allows, and no finer than the input's own scale.
 */
export function planSoftmax(rowSize: number, scale: number, expBits = SOFTMAX_EXP_BITS, probabilityBits = SOFTMAX_PROBABILITY_BITS): SoftmaxParams {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new ModelError('QUANTIZATION', `a softmax needs inputs of one positive scale, found ${scale}`);
  const reach = (expBits + 1) * Math.LN2;
  const half = 2 ** (MAX_TABLE_BITS - 1);
  const shift = Math.max(0, Math.ceil(Math.log2(reach / (half * scale))));
  const inScale = scale * 2 ** shift;
  let bits = MAX_TABLE_BITS;
  while (bits > 2 && 2 ** (bits - 2) * inScale >= reach) bits--;
  return { rowSize, shift, bits, inScale, expBits, probabilityBits, table: softmaxExpTable(bits, inScale, expBits) };
}

/** One row's probabilities (integers in [0, 2^probabilityBits]), exactly as the circuit computes them. */
export function softmaxRow(p: Omit<SoftmaxParams, 'rowSize' | 'inScale'>, x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => tableValue(p.table, p.bits, v - m, p.shift));
  const sum = e.reduce((a, b) => a + b, 0);
  // Integers below 2^53: the quotient is correctly rounded, and a non-integer one is at least 1/sum
  // from the next integer, far more than its rounding error, so floor takes the exact floor.
  return e.map((v) => Math.floor((v * 2 ** p.probabilityBits) / sum));
}

/** Every row of x, in order. */
export function softmaxRows(p: Omit<SoftmaxParams, 'inScale'>, x: readonly number[]): number[] {
  const out: number[] = [];
  for (let at = 0; at < x.length; at += p.rowSize) out.push(...softmaxRow(p, x.slice(at, at + p.rowSize)));
  return out;
}

/** The float softmax of one row, for error measurements. */
export function floatSoftmax(x: ArrayLike<number>): number[] {
  const values = Array.from(x);
  const m = Math.max(...values);
  const e = values.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * How far a probability p_i / 2^probabilityBits can be from the float softmax of the same logits:
 * the exponent is rounded to the table's step (each e^d off by a factor within e^(±inScale/2), so
 * a ratio within e^(±inScale)), each entry by half a unit of 2^-expBits (S >= 2^expBits: at most
 * (rowSize + 1) / 2 units of p), and the floor by one unit of 2^-probabilityBits.
 */
export function softmaxErrorBound(p: Pick<SoftmaxParams, 'rowSize' | 'inScale' | 'expBits' | 'probabilityBits'>): number {
  return Math.expm1(p.inScale) + (p.rowSize + 1) * 2 ** -(p.expBits + 1) + 2 ** -p.probabilityBits;
}
