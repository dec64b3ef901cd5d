/**
 * The values ops pass each other in the direct builder, and the layers of a chain: dense and
 * convolution (terms, or Dot products with private weights), pools and padding. As in
 * circuits/emit, a linear layer's outputs stay terms (built one at a time as a reader takes them)
 * until an op needs signals.
 */
import { ZkinferError } from '../../core/errors.js';
import { averageMultipliers, convTermTable, poolWindowTable } from '../../model/geometry.js';
import type { QOp } from '../../model/ir.js';
import type { MaxPairParams } from '../plan.js';
import { type ConstraintSystem, type Expr, combine, constant } from './system.js';
import { type Component, maxPair } from './templates.js';

/** A layer's outputs as terms, each built when it is read. */
export interface Outputs {
  length: number;
  at(j: number): Expr;
}

/** What an op hands its readers: signals (expressions over wires), or terms not yet summed into signals. */
export type Held = { kind: 'signals'; exprs: Expr[] } | { kind: 'terms'; terms: Outputs };

export const signals = (exprs: Expr[]): Held => ({ kind: 'signals', exprs });

/** A held value as its elements, read one at a time (terms built as they are read). */
export function elements(value: Held): Outputs {
  return value.kind === 'terms' ? value.terms : { length: value.exprs.length, at: (j) => value.exprs[j]! };
}

/** A value that must be signals (an op that reads terms is given them only by the builder). */
export function exprsOf(value: Held): Expr[] {
  if (value.kind !== 'signals') throw new ZkinferError('INTERNAL', 'the direct builder must sum terms into signals before this op');
  return value.exprs;
}

/** A dense or convolution op's outputs with constant weights (params fixed): bias + Σ w·x, linear. */
export function linearOutputs(op: Extract<QOp, { kind: 'dense' | 'conv2d' }>, x: readonly Expr[]): Outputs {
  if (op.kind === 'dense') return { length: op.outputSize, at: (j) => combine([[op.bias[j], constant(1)], ...op.weights[j].map((w, t): [number, Expr] => [w, x[t]])]) };
  const { table, rowLength } = convTermTable(op);
  const channels = op.outShape[2];
  return {
    length: table.length / rowLength,
    at: (j) => {
      const row = op.weights[j % channels];
      const terms: [number, Expr][] = [[op.bias[j % channels], constant(1)]];
      for (let t = 0; t < rowLength; t++) if (table[j * rowLength + t] >= 0) terms.push([row[t], x[table[j * rowLength + t]]]);
      return combine(terms);
    },
  };
}

/** params hashed: a dense or convolution op's outputs as Dot components over its private weights. */
export function privateLinear(sys: ConstraintSystem, op: Extract<QOp, { kind: 'dense' | 'conv2d' }>, x: readonly Expr[], at: (j: number) => Component, params: { weights: Expr[][]; bias: Expr[] }): Expr[] {
  if (op.kind === 'dense') return op.weights.map((_, j) => dot(sys, at(j), params.weights[j], x, params.bias[j]));
  const { table, rowLength } = convTermTable(op);
  const channels = op.outShape[2];
  return Array.from({ length: table.length / rowLength }, (_, j) => {
    const inputs = Array.from({ length: rowLength }, (_, t) => (table[j * rowLength + t] >= 0 ? x[table[j * rowLength + t]] : constant(0)));
    return dot(sys, at(j), params.weights[j % channels], inputs, params.bias[j % channels]);
  });
}

/** Dot(n) (params hashed): bias + Σ w[i]·x[i], one product wire each (none where x is the padding's 0). */
export function dot(sys: ConstraintSystem, at: Component, w: readonly Expr[], x: readonly Expr[], bias: Expr): Expr {
  const n = w.length;
  const products = w.map((wi, i) => sys.product(`${at.name}.product[${i}]`, at.rank(2 * n + 2 + i), wi, x[i]));
  return combine([[1, bias], ...products.map((e): [number, Expr] => [1, e])]);
}

export function avgPool(op: Extract<QOp, { kind: 'avgPool' }>, x: readonly Expr[]): Expr[] {
  const { multipliers } = averageMultipliers(op);
  const windows = poolWindowTable(op);
  return spatial(op.outShape, (position, c) => combine(windows[position].map((at): [number, Expr] => [multipliers[position], x[at + c]])));
}

export function maxPool(sys: ConstraintSystem, op: Extract<QOp, { kind: 'maxPool' }>, x: readonly Expr[], pairs: readonly MaxPairParams[], at: (k: number) => Component): Expr[] {
  const windows = poolWindowTable(op);
  let k = 0;
  return spatial(op.outShape, (position, c) => {
    const [first, ...others] = windows[position];
    let cur = x[first + c];
    for (const from of others) {
      cur = maxPair(sys, at(k), x[from + c], cur, pairs[k]);
      k++;
    }
    return cur;
  });
}

export function pad(op: Extract<QOp, { kind: 'pad' }>, x: readonly Expr[]): Expr[] {
  const [h, w, channels] = op.inShape;
  return spatial(op.outShape, (position, c) => {
    const [iy, ix] = [Math.floor(position / op.outShape[1]) - op.padding[0], (position % op.outShape[1]) - op.padding[1]];
    return iy < 0 || iy >= h || ix < 0 || ix >= w ? constant(0) : x[(iy * w + ix) * channels + c];
  });
}

/** An [OH, OW, C] output in flat order, from (oy·OW + ox, c). */
function spatial(outShape: readonly number[], each: (position: number, c: number) => Expr): Expr[] {
  const [oh, ow, oc] = outShape;
  const out: Expr[] = [];
  for (let position = 0; position < oh * ow; position++) for (let c = 0; c < oc; c++) out.push(each(position, c));
  return out;
}
