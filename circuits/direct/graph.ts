/**
 * The ops where a graph's branches meet, as circuits/emit/graph.ts emits them: add (terms, free),
 * concat and transpose (the same values renamed, free), mul and matmul (one product wire per
 * element or term whose factors both vary; a constant factor makes it linear).
 */
import { concatSources, transposeSources, type QOp } from '../../model/ir.js';
import type { Outputs } from './layers.js';
import { type ConstraintSystem, type Expr, type Rank, combine, constant } from './system.js';

/** y[j] = bias[j] + Σ_i weights[i][j] · x_i[j], as terms for a rescale or table to read. */
export function addTerms(op: Extract<QOp, { kind: 'add' }>, inputs: readonly (readonly Expr[])[]): Outputs {
  return { length: op.bias.length, at: (j) => combine([[op.bias[j]!, constant(1)], ...inputs.map((x, i): [number, Expr] => [op.weights[i]![j]!, x[j]!])]) };
}

export function concat(op: Extract<QOp, { kind: 'concat' }>, inputs: readonly (readonly Expr[])[]): Expr[] {
  return concatSources(op).map(([i, at]) => inputs[i]![at]!);
}

export function transpose(op: Extract<QOp, { kind: 'transpose' }>, x: readonly Expr[]): Expr[] {
  return transposeSources(op).map((at) => x[at]!);
}

/** op<k>_out[j] <== a[j] · b[j]. */
export function mul(sys: ConstraintSystem, index: number, rank: (j: number) => Rank, a: readonly Expr[], b: readonly Expr[]): Expr[] {
  return a.map((x, j) => sys.product(`op${index}_out[${j}]`, rank(j), x, b[j]!));
}

/**
 * op<k>_prod[(h·rows + i)·cols + j][t] <== a[h, i, t] · b[h, t, j], ranked at rank(flat index),
 * and the sums Σ_t prod as terms of weight 1 (each output's products, in t order, for a Dot to take).
 */
export function matmul(sys: ConstraintSystem, op: Extract<QOp, { kind: 'matmul' }>, index: number, rank: (k: number) => Rank, a: readonly Expr[], b: readonly Expr[]): Expr[][] {
  const { batch, rows, inner, cols } = op;
  const products: Expr[][] = [];
  for (let h = 0; h < batch; h++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const out = (h * rows + i) * cols + j;
        products.push(Array.from({ length: inner }, (_, t) => sys.product(`op${index}_prod[${out}][${t}]`, rank(out * inner + t), a[(h * rows + i) * inner + t]!, b[(h * inner + t) * cols + j]!)));
      }
    }
  }
  return products;
}

/** Each output's products summed with weight 1. */
export function sums(products: readonly (readonly Expr[])[]): Outputs {
  return { length: products.length, at: (j) => combine(products[j]!.map((e): [number, Expr] => [1, e])) };
}
