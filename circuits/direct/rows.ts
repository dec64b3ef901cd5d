/**
 * circuits/templates/table.circom's Softmax and Norm as circom --O2 leaves them, one component per
 * row, written straight into a ConstraintSystem line by line as the templates. Every width is the
 * plan's (circuits/table-plan.ts), derived from the op and the bounds.
 */
import type { NormPlan, SoftmaxPlan } from '../table-plan.js';
import { HINT } from './program.js';
import { type Value, hintValue } from './record.js';
import { type ConstraintSystem, type Expr, combine, constant } from './system.js';
import { tableActivation } from './table.js';
import { type Component, oneHotMax, pow2, rangeCheck } from './templates.js';

/** Subcomponents start after a row component's own signals; each element gets a block of ranks. */
const SUBCOMPONENTS = 1_000_000;
const BLOCK = 10_000;

/** The subcomponent `name` (`array[i]` for an array's element) in the `slot`-th block (circom numbers a template's arrays by name). */
function subcomponent(at: Component, name: string, slot: number): Component {
  const base = SUBCOMPONENTS + slot * BLOCK;
  return { name: `${at.name}.${name}`, rank: (k) => at.rank(base + k) };
}

const valueOf = (e: Expr): Value | undefined => e.value;

/** A hint of expressions' values, when they all have one. */
function hintOf(kind: number, parts: readonly Expr[]): Value | undefined {
  const values = parts.map(valueOf);
  return values.every((v) => v !== undefined) ? hintValue(kind, values as Value[]) : undefined;
}

/**
 * Softmax(n, ...) of one row: signals out[n] (the quotients), in[n], choice[n], picked[n], max,
 * remainder[n]; subcomponents below, e, quotientRange, remainderBelow, remainderRange.
 */
export function softmaxRow(sys: ConstraintSystem, at: Component, inputs: Expr[], plan: SoftmaxPlan): Expr[] {
  const n = inputs.length;
  const sub = (array: string, order: number, i: number) => subcomponent(at, `${array}[${i}]`, order * n + i);
  const { max: chosen } = oneHotMax(sys, at, inputs, 2 * n, 3 * n);
  const max = sys.alias(`${at.name}.max`, at.rank(4 * n), chosen);
  inputs.forEach((x, i) => rangeCheck(sys, sub('below', 0, i), combine([[1, max], [-1, x]]), plan.diffBits));
  const coef = plan.coefficients[plan.exp.group]!;
  const e = inputs.map((x, i) => tableActivation(sys, sub('e', 1, i), combine([[1, x], [-1, max]]), plan.exp, coef, plan.edges));
  const sum = combine(e.map((ei): [number, Expr] => [1, ei]));
  const unit = pow2(plan.probabilityBits);
  return e.map((ei, i) => {
    const scaled = combine([[unit, ei]]);
    const out = sys.hint(`${at.name}.out[${i}]`, at.rank(i), hintOf(HINT.div, [scaled, sum]));
    const remainder = sys.hint(`${at.name}.remainder[${i}]`, at.rank(4 * n + 1 + i), hintOf(HINT.mod, [scaled, sum]));
    sys.mul(out, sum, combine([[1, scaled], [-1, remainder]]));
    rangeCheck(sys, sub('quotientRange', 2, i), out, plan.probabilityBits + 1);
    rangeCheck(sys, sub('remainderRange', 4, i), remainder, plan.sumBits);
    rangeCheck(sys, sub('remainderBelow', 3, i), combine([[1, sum], [-1, constant(1)], [-1, remainder]]), plan.sumBits);
    return out;
  });
}

/**
 * Norm(n, layer, epsilon, K, highBits) of one row: signals out[n], in[n], square[n], r, rv, rrv;
 * subcomponents above, below, rRange.
 */
export function normRow(sys: ConstraintSystem, at: Component, inputs: Expr[], plan: NormPlan): Expr[] {
  const n = inputs.length;
  const total = combine(inputs.map((x): [number, Expr] => [1, x]));
  const d = inputs.map((x) => (plan.layer === 1 ? combine([[n, x], [-1, total]]) : x));
  const squares = d.map((di, i) => sys.product(`${at.name}.square[${i}]`, at.rank(2 * n + i), di, di));
  const v = combine([[plan.epsilon, constant(1)], ...squares.map((s): [number, Expr] => [1, s])]);
  const K = plan.rsqrtBits;
  const unit = constant(pow2(2 * K));
  const quotient = hintOf(HINT.div, [unit, v]);
  const r = sys.hint(`${at.name}.r`, at.rank(3 * n), quotient === undefined ? undefined : hintValue(HINT.isqrt, [quotient]));
  rangeCheck(sys, subcomponent(at, 'rRange', 2), r, K + 1);
  const rv = sys.product(`${at.name}.rv`, at.rank(3 * n + 1), r, v);
  const rrv = sys.product(`${at.name}.rrv`, at.rank(3 * n + 2), r, rv);
  rangeCheck(sys, subcomponent(at, 'below', 1), combine([[1, unit], [-1, rrv]]), 2 * K + 1);
  rangeCheck(sys, subcomponent(at, 'above', 0), combine([[1, rrv], [2, rv], [1, v], [-1, unit], [-1, constant(1)]]), plan.highBits);
  return d.map((di, i) => sys.product(`${at.name}.out[${i}]`, at.rank(i), di, r));
}
