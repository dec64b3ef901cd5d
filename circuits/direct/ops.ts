/**
 * Each op kind of the QModel in the direct builder, as circuits/emit's registry emits it: a
 * function from the op, its plan and its inputs' values to its value. The registry is keyed by op
 * kind, so a new kind does not type-check until the direct path builds it.
 */
import { ZkinferError } from '../../core/errors.js';
import { type QModel, type QOp, type QOpKind, leakNumerator } from '../../model/ir.js';
import type { OpPlan } from '../plan.js';
import { addTerms, concat, matmul, mul, sums, transpose } from './graph.js';
import { type Held, type Outputs, avgPool, dot, elements, exprsOf, linearOutputs, maxPool, pad, privateLinear, signals } from './layers.js';
import { normRow, softmaxRow } from './rows.js';
import { type ConstraintSystem, type Expr, type Rank, constant } from './system.js';
import { tableActivation } from './table.js';
import { type Component, argmax, requantize } from './templates.js';

/** `array` or `array[index]`, ranked where circom numbers it among the main template's components. */
export type ComponentOf = (array: string, index?: number) => Component;

export interface OpContext {
  sys: ConstraintSystem;
  plan: OpPlan;
  index: number;
  component: ComponentOf;
  /** params hashed: every linear layer's outputs become Dot components at once. */
  hashedParams: boolean;
  /** The op's private weights and biases (params hashed, dense and convolution). */
  params?: { weights: Expr[][]; bias: Expr[] };
  /** The rank of main's signal op<index>_out[j]. */
  rank: (j: number) => Rank;
  /** The rank of the op's k-th signal of its own in main, declared before op<index>_out (matmul's products). */
  ownRank: (k: number) => Rank;
}

/** Ops that read a linear layer's terms directly; every other op is given signals. */
export const READS_TERMS: ReadonlySet<QOpKind> = new Set(['rescale', 'table']);

/** circom numbers main's signals as declared: an op's own first (matmul's products), then op<k>_out. */
const MAIN_OP = 1e7;
export const ownRank = (k: number, position: number): Rank => MAIN_OP * (1 + k) + position;
export function outRank(model: QModel, k: number, j: number): Rank {
  const op = model.ops[k]!;
  return ownRank(k, (op.kind === 'matmul' ? op.batch * op.rows * op.cols * op.inner : 0) + j);
}

/** The plan an op kind has (plan.ts's planners make it so). */
function planOf<K extends OpPlan['kind']>(ctx: OpContext, kind: K): Extract<OpPlan, { kind: K }> {
  if (ctx.plan.kind !== kind) throw new ZkinferError('INTERNAL', `op ${ctx.index}: a plan of kind ${ctx.plan.kind} for ${kind}`);
  return ctx.plan as Extract<OpPlan, { kind: K }>;
}

type DirectOp<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, inputs: Held[], ctx: OpContext) => Held;

/** Each row of rowSize values through `row`, in order. */
function byRows(x: Expr[], rows: number, rowSize: number, row: (r: number, values: Expr[]) => Expr[]): Expr[] {
  return Array.from({ length: rows }, (_, r) => row(r, x.slice(r * rowSize, (r + 1) * rowSize))).flat();
}

function linear(op: Extract<QOp, { kind: 'dense' | 'conv2d' }>, [x]: Held[], ctx: OpContext): Held {
  if (ctx.params) return signals(privateLinear(ctx.sys, op, exprsOf(x!), (j) => ctx.component(`op${ctx.index}_out_dot`, j), ctx.params));
  return { kind: 'terms', terms: linearOutputs(op, exprsOf(x!)) };
}

/** Per value, reading terms or signals: a rescale's Requantize, a table's TableActivation. */
function perValue([x]: Held[], each: (value: Expr, j: number) => Expr): Held {
  const values: Outputs = elements(x!);
  return signals(Array.from({ length: values.length }, (_, j) => each(values.at(j), j)));
}

const DIRECT_OPS: { [K in QOpKind]: DirectOp<K> } = {
  dense: linear,
  conv2d: linear,
  avgPool: (op, [x]) => signals(avgPool(op, exprsOf(x!))),
  maxPool: (op, [x], ctx) => signals(maxPool(ctx.sys, op, exprsOf(x!), planOf(ctx, 'maxPool').pairs.flat(), (k) => ctx.component(`op${ctx.index}_max`, k))),
  pad: (op, [x]) => signals(pad(op, exprsOf(x!))),
  rescale(_op, inputs, ctx) {
    const plan = planOf(ctx, 'rescale');
    return perValue(inputs, (value, j) => requantize(ctx.sys, ctx.component(`op${ctx.index}_rq`, j), value, plan.elements[j]!, { numerator: leakNumerator(plan.leak, j), bits: plan.leak.bits }));
  },
  table(_op, inputs, ctx) {
    const plan = planOf(ctx, 'table');
    return perValue(inputs, (value, j) => {
      const p = plan.elements[j]!;
      return tableActivation(ctx.sys, ctx.component(`op${ctx.index}_ta`, j), value, p, plan.coefficients[p.group]!, plan.edges);
    });
  },
  softmax(_op, [x], ctx) {
    const plan = planOf(ctx, 'softmax');
    return signals(byRows(exprsOf(x!), plan.rows, plan.rowSize, (r, row) => softmaxRow(ctx.sys, ctx.component(`op${ctx.index}_sm`, r), row, plan)));
  },
  norm(_op, [x], ctx) {
    const plan = planOf(ctx, 'norm');
    return signals(byRows(exprsOf(x!), plan.rows, plan.rowSize, (r, row) => normRow(ctx.sys, ctx.component(`op${ctx.index}_nm`, r), row, plan)));
  },
  argmax: (_op, [x], ctx) => signals([argmax(ctx.sys, ctx.component(`op${ctx.index}_argmax`), exprsOf(x!), planOf(ctx, 'argmax').diffBits)]),
  add: (op, inputs) => ({ kind: 'terms', terms: addTerms(op, inputs.map(exprsOf)) }),
  concat: (op, inputs) => signals(concat(op, inputs.map(exprsOf))),
  mul: (_op, [a, b], ctx) => signals(mul(ctx.sys, ctx.index, ctx.rank, exprsOf(a!), exprsOf(b!))),
  matmul(op, [a, b], ctx) {
    const products = matmul(ctx.sys, op, ctx.index, ctx.ownRank, exprsOf(a!), exprsOf(b!));
    // params hashed: the emitter makes every linear value Dot components (weights of 1, no bias) at once.
    if (ctx.hashedParams) return signals(products.map((p, j) => dot(ctx.sys, ctx.component(`op${ctx.index}_out_dot`, j), p.map(() => constant(1)), p, constant(0))));
    return { kind: 'terms', terms: sums(products) };
  },
  transpose: (op, [x]) => signals(transpose(op, exprsOf(x!))),
};

export function runOp(ctx: OpContext, op: QOp, inputs: Held[]): Held {
  return (DIRECT_OPS[op.kind] as DirectOp<QOpKind>)(op, inputs, ctx);
}
