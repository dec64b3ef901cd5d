/**
 * Table activations: a function f applied to small integer codes by looking up a table of its
 * correctly rounded values. The table op (model/ir.ts TableOp) stores the table itself, so what a
 * circuit computes never depends on a platform's libm: this module builds tables (at quantization
 * time), defines the integer step the reference interpreter runs, and the float f the float
 * model and the accuracy measurements use.
 *
 * Integer semantics (docs/ARCHITECTURE.md, "Table activations"): for an input code q,
 *   y = table[clamp(q, -2^(bits-1), 2^(bits-1) - 1) + 2^(bits-1)]
 *   table[i] = roundHalfAway(f((i - 2^(bits-1)) * inScale) / outScale)
 * where f is evaluated in float64 (relative error about 1e-15 here, far below the half-code steps
 * of rounding), and codes outside the domain saturate to its ends. reciprocal(0) is the rule
 * below (the value at the smallest positive code).
 */
import { ModelError } from '../core/errors.js';
import { rescaleValue } from './bounds.js';

/** The functions a table op can hold; parameters as the frameworks define them. */
export type TableFunction =
  | { name: 'sigmoid' }
  | { name: 'tanh' }
  /** x * Φ(x), Φ by erf (Keras 'gelu', ONNX Gelu approximate='none'). */
  | { name: 'gelu' }
  /** 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) (TF.js 'gelu_new', ONNX Gelu approximate='tanh'). */
  | { name: 'geluTanh' }
  /** x * sigmoid(x) (SiLU, Swish). */
  | { name: 'silu' }
  /** max(0, min(1, alpha x + beta)): TF.js's hardSigmoid is alpha 0.2, beta 0.5; ONNX's defaults are the same. */
  | { name: 'hardSigmoid'; alpha: number; beta: number }
  /** x * max(0, min(1, x / 6 + 1/2)) (ONNX HardSwish). */
  | { name: 'hardSwish' }
  /** x for x > 0, alpha (e^x - 1) otherwise. */
  | { name: 'elu'; alpha: number }
  /** ln(1 + e^x). */
  | { name: 'softplus' }
  /** e^x: a building block (softmax). */
  | { name: 'exp' }
  /** 1 / x: a building block (normalisations); at x = 0, the value at the smallest positive code. */
  | { name: 'reciprocal' };

export type TableFunctionName = TableFunction['name'];

export const TABLE_FUNCTION_NAMES: readonly TableFunctionName[] = ['sigmoid', 'tanh', 'gelu', 'geluTanh', 'silu', 'hardSigmoid', 'hardSwish', 'elu', 'softplus', 'exp', 'reciprocal'];

/** Widest table input zkinfer builds: 2^12 entries (the circuit's cost grows as about 2 * 2^(bits/2)). */
export const MAX_TABLE_BITS = 12;

/** erf: its Maclaurin series below 2, 1 - erfc by erfc's continued fraction (Lentz) from 2: both within about 1e-15. */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 2) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)); terms peak near e^(x²) < 60: about 1e-14 absolute at worst.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const clamp01 = (v: number) => Math.max(0, Math.min(1, v));

/** f itself, in float64. */
export function evaluateTable(fn: TableFunction, x: number): number {
  switch (fn.name) {
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'geluTanh':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'silu':
      return x * sigmoid(x);
    case 'hardSigmoid':
      return clamp01(fn.alpha * x + fn.beta);
    case 'hardSwish':
      return x * clamp01(x / 6 + 0.5);
    case 'elu':
      return x > 0 ? x : fn.alpha * Math.expm1(x);
    case 'softplus':
      return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case 'exp':
      return Math.exp(x);
    case 'reciprocal':
      return 1 / x;
  }
}

/** Round half away from zero: symmetric, so an odd f gets an odd table. */
export const roundHalfAway = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

export const tableOffset = (bits: number) => 2 ** (bits - 1);

/** The table of f over the codes q in [-2^(bits-1), 2^(bits-1)): entry q + 2^(bits-1). */
export function buildTable(fn: TableFunction, bits: number, inScale: number, outScale: number): number[] {
  const offset = tableOffset(bits);
  return Array.from({ length: 2 ** bits }, (_, i) => {
    const q = fn.name === 'reciprocal' && i === offset ? 1 : i - offset;
    const y = roundHalfAway(evaluateTable(fn, q * inScale) / outScale);
    if (!Number.isSafeInteger(y)) {
      throw new ModelError('QUANTIZATION', `the ${fn.name} table at input ${q * inScale} is ${y * outScale}, which codes of ${outScale} cannot hold exactly; use a smaller input range`);
    }
    return y;
  });
}

/** The integer step: the code q saturated to the table's domain, then looked up. */
export function lookupTable(table: readonly number[], bits: number, q: number): number {
  const offset = tableOffset(bits);
  return table[Math.min(offset - 1, Math.max(-offset, q)) + offset]!;
}

/**
 * Where f is worth tabulating, for the quantizer's choice of input scale: the functions that
 * level off (sigmoid, tanh, the hard ones) need no inputs beyond the point where they are within
 * a small fraction of their limit; the others need the whole measured range.
 */
export function saturation(fn: TableFunction): number {
  switch (fn.name) {
    case 'sigmoid':
      return 8; // 1 - sigmoid(8) = 3.4e-4: below half a code at 1/1023
    case 'tanh':
      return 4; // 1 - tanh(4) = 6.7e-4
    case 'hardSigmoid':
      return Math.max(Math.abs((1 - fn.beta) / fn.alpha), Math.abs(fn.beta / fn.alpha));
    default:
      return Infinity;
  }
}

/** The largest |f| over the inputs [-range, range]: sets the output scale. */
export function outputMagnitude(fn: TableFunction, range: number): number {
  let max = 0;
  for (let i = 0; i <= 1024; i++) {
    const x = -range + (2 * range * i) / 1024;
    if (fn.name === 'reciprocal' && x === 0) continue;
    max = Math.max(max, Math.abs(evaluateTable(fn, x)));
  }
  return max;
}

/** The reference step of a table op on one value: rescaled as a rescale rounds, then looked up. */
export function tableValue(table: readonly number[], bits: number, x: number, shift: number): number {
  return lookupTable(table, bits, rescaleValue(x, shift));
}

/** The least and greatest output over the inputs [lo, hi] (exact: every code in between is reached). */
export function tableBounds(table: readonly number[], bits: number, lo: number, hi: number, shift: number): [number, number] {
  const offset = tableOffset(bits);
  const clamp = (q: number) => Math.min(offset - 1, Math.max(-offset, q)) + offset;
  const entries = table.slice(clamp(rescaleValue(lo, shift)), clamp(rescaleValue(hi, shift)) + 1);
  return [Math.min(...entries), Math.max(...entries)];
}

/** A bound on |f'| over [x - e, x + e]: how far an input error of e can move f (error bounds). */
export function slopeBound(fn: TableFunction, x: number, e: number): number {
  switch (fn.name) {
    case 'sigmoid':
      return 0.25;
    case 'tanh':
    case 'softplus':
      return 1;
    case 'gelu':
    case 'geluTanh':
      return 1.13; // max GELU' = 1.1289 (erf form), 1.1295 (tanh form)
    case 'silu':
      return 1.1; // max SiLU' = 1.0998
    case 'hardSigmoid':
      return Math.abs(fn.alpha);
    case 'hardSwish':
      return 1.5;
    case 'elu':
      return Math.max(1, Math.abs(fn.alpha));
    case 'exp':
      return Math.exp(x + e);
    case 'reciprocal':
      return Math.abs(x) > e ? 1 / (Math.abs(x) - e) ** 2 : Infinity;
  }
}
