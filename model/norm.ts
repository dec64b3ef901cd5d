/**
 * LayerNorm and RMSNorm in integers (model/ir.ts NormOp), over rows of n values of one scale s.
 * With c = n (layer) or 1 (rms) and the row's sum Σx (layer only):
 *   D_i = c x_i - Σx  (layer)   or   D_i = x_i  (rms)        exact integers
 *   v   = Σ D_i² + epsilon                                  epsilon = max(1, round(c² n ε / s²)), an integer >= 1
 *   r   = floor(2^K / sqrt(v))                              the largest r with r² v <= 2^(2K); K = rsqrtBits
 *   y_i = D_i · r                                            read as z_i = y_i · √n / 2^K
 * since sqrt(v) = c √n sqrt(var + ε) / s (layer: v = n³ (var + ε) / s²; rms: v = n (mean square + ε) / s²),
 * z_i is (x_i - mean) / sqrt(var + ε), or x_i / sqrt(mean square + ε), up to r's floor (relative
 * error below 1 / r). |y_i| <= 2^K, as D_i² <= v. The circuit pins r by r² v <= 2^(2K) < (r + 1)² v
 * (docs/FORMATS.md); gamma and beta are a linear layer after it, folded into its constants.
 * D_i and y_i are below 2^52 (model/bounds.ts checks D_i; K <= 48); v, which may pass 2^53 for
 * wide inputs, is summed exactly (sumOfSquares).
 */
import { ZkinferError } from '../core/errors.js';
import type { NormOp } from './ir.js';

export type NormMode = NormOp['mode'];

/** What defines a norm op (model/ir.ts). */
export type NormParams = Omit<NormOp, 'kind' | 'name' | 'inputs'>;

/** Bits of precision r keeps at the largest v the quantizer expects (relative error 2^-10). */
const RSQRT_PRECISION = 10;

/** epsilon in the integers' units (at least 1, so v > 0 for a constant row). */
export function normEpsilon(mode: NormMode, rowSize: number, epsilon: number, scale: number): number {
  const c = mode === 'layer' ? rowSize : 1;
  return Math.max(1, Math.round((c * c * rowSize * epsilon) / (scale * scale)));
}

/** Parameters for rows of `rowSize` values at `scale` that reach about ±maxCode. */
export function planNorm(mode: NormMode, rowSize: number, epsilon: number, scale: number, maxCode: number): NormParams {
  const e = normEpsilon(mode, rowSize, epsilon, scale);
  const v = Number(normReach({ mode, rowSize, epsilon: e }, Math.max(1, maxCode)).squares);
  return { mode, rowSize, epsilon: e, rsqrtBits: Math.ceil(Math.log2(Math.sqrt(v))) + RSQRT_PRECISION };
}

/** floor(sqrt(a)) of a non-negative bigint. */
export function isqrt(a: bigint): bigint {
  if (a < 0n) throw new ZkinferError('INTERNAL', `isqrt of ${a}`);
  if (a < 2n) return a;
  let x = BigInt(Math.floor(Math.sqrt(Number(a))));
  while (x * x > a) x--;
  while ((x + 1n) * (x + 1n) <= a) x++;
  return x;
}

/** r = floor(2^K / sqrt(v)): r² <= 2^(2K) / v exactly when r² <= floor(2^(2K) / v). */
export function rsqrt(v: bigint, bits: number): number {
  return Number(isqrt((1n << BigInt(2 * bits)) / v));
}

/** v = Σ D² + epsilon, exactly: in doubles while the sum stays below 2^53 (each square is then exact too), else in bigints. */
export function sumOfSquares(d: readonly number[], epsilon: number): bigint {
  const v = d.reduce((a, b) => a + b * b, epsilon);
  if (v < 2 ** 53) return BigInt(v);
  return d.reduce((a, b) => a + BigInt(b) * BigInt(b), BigInt(epsilon));
}

/**
 * The largest v = Σ D² + epsilon of a row whose values stay within ±big, and the largest |D|
 * (layer: |n x_i - Σx| <= 2 n big).
 */
export function normReach(p: Pick<NormParams, 'mode' | 'rowSize' | 'epsilon'>, big: number): { deviation: number; squares: bigint } {
  const deviation = (p.mode === 'layer' ? 2 * p.rowSize : 1) * Math.ceil(big);
  return { deviation, squares: BigInt(p.rowSize) * BigInt(deviation) ** 2n + BigInt(p.epsilon) };
}

/** The D_i of one row. */
export function normDeviations(mode: NormMode, x: readonly number[]): number[] {
  if (mode === 'rms') return [...x];
  const sum = x.reduce((a, b) => a + b, 0);
  return x.map((v) => x.length * v - sum);
}

/** One row's outputs D_i · r, exactly as the circuit computes them. */
export function normRow(p: NormParams, x: readonly number[]): number[] {
  const d = normDeviations(p.mode, x);
  const r = rsqrt(sumOfSquares(d, p.epsilon), p.rsqrtBits);
  return d.map((v) => v * r);
}

export function normRows(p: NormParams, x: readonly number[]): number[] {
  const out: number[] = [];
  for (let at = 0; at < x.length; at += p.rowSize) out.push(...normRow(p, x.slice(at, at + p.rowSize)));
  return out;
}

/** The float normalisation of one row (before gamma and beta). */
export function floatNorm(mode: NormMode, x: ArrayLike<number>, epsilon: number): number[] {
  const values = Array.from(x);
  const mean = mode === 'layer' ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  const square = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return values.map((v) => (v - mean) / Math.sqrt(square + epsilon));
}
