/**
 * circuits/templates/table.circom's TableActivation as circom --O2 leaves it, written straight
 * into a ConstraintSystem, line by line as the template: the decomposition Requantize makes, the
 * monomials of the low index bits, one leaf per value of the high bits, the multiplexer tree, and
 * the saturation. Its parameters are the plan's (circuits/table-plan.ts), never a fixture's.
 */
import type { TableParams } from '../table-plan.js';
import { HINT } from './program.js';
import { hintValue } from './record.js';
import { type ConstraintSystem, type Expr, combine, constant, constantOf, sub } from './system.js';
import { type Component, LATER, OUT, decompose, pow2, productOut } from './templates.js';

/**
 * TableActivation of one value (`dot`: bias + Σ W·x, already summed): the table's entry at its
 * requantized code, saturated at the table's ends. `coef` is the op's coefficient row for it.
 */
export function tableActivation(sys: ConstraintSystem, at: Component, dot: Expr, p: TableParams, coef: readonly bigint[], edges: readonly [number, number]): Expr {
  if (p.nq === 0) return constant(coef[0]!);
  const total = p.shift + p.nq;
  const value = combine([[1, dot], [(p.shift > 0 ? pow2(p.shift - 1) : 0n) + pow2(p.nq - 1 + p.shift), constant(1)]]);
  const bits = decompose(sys, at, value, total, true);
  const sign = bits[total - 1]!;
  const index = [...bits.slice(p.shift, p.shift + p.k - 1), sign];

  // The positions after the decomposition: the low products, the multiplexer's, then the saturation's.
  const low = p.k - p.high;
  const [nLow, nHigh] = [2 ** low, 2 ** p.high];
  const lowAt = (i: number) => at.rank(LATER + i);
  const muxAt = (i: number) => at.rank(LATER + nLow + i);
  const clampAt = (i: number) => at.rank(LATER + nLow + nHigh + i);

  const monomial: Expr[] = [constant(1)];
  let used = 0;
  for (let set = 1; set < nLow; set++) {
    const top = 31 - Math.clz32(set);
    const others = set - 2 ** top;
    if (others === 0) monomial.push(index[top]!);
    else {
      monomial.push(sys.product(`${at.name}.lowProduct[${used}]`, lowAt(used), monomial[others]!, index[top]!));
      used++;
    }
  }
  let node = Array.from({ length: nHigh }, (_, h) => combine(monomial.map((m, set): [bigint, Expr] => [coef[h * nLow + set]!, m])));
  used = 0;
  for (let level = 0; level < p.high; level++) {
    node = Array.from({ length: node.length / 2 }, (_, h) => {
      // Subtrees that differ by a constant make the product linear: circom substitutes it (it is
      // numbered after the bit), and the nodes above then see the bit itself, as treeProducts counts.
      const difference = sub(node[2 * h + 1]!, node[2 * h]!);
      const bit = index[low + level]!;
      const k = constantOf(difference);
      const product = k !== undefined ? combine([[k, bit]]) : sys.product(`${at.name}.muxProduct[${used}]`, muxAt(used), bit, difference);
      used++;
      return combine([[1, node[2 * h]!], [1, product]]);
    });
  }
  const result = node[0]!;
  // A component's output held by a linear constraint stays a wire (circom eliminates the wire of it numbered last), unless it is one wire or a constant.
  if (p.clamp === 0) return sys.define(`${at.name}.out`, at.rank(OUT), result);

  // Saturation: u counts the extra bits that disagree with the sign; over = (u != 0).
  const extra = p.nq - p.k;
  const ones = combine(Array.from({ length: extra }, (_, e): [number, Expr] => [1, bits[p.shift + p.k - 1 + e]!]));
  const signedOnes = sys.product(`${at.name}.signedOnes`, clampAt(0), sign, combine([[2, ones], [-extra, constant(1)]]));
  const u = combine([[extra, constant(1)], [-1, ones], [1, signedOnes]]);
  let over = u;
  if (extra > 1) {
    const inv = sys.hint(`${at.name}.inv`, clampAt(1), u.value === undefined ? undefined : hintValue(HINT.inverse, [u.value]));
    over = sys.product(`${at.name}.isOver`, clampAt(2), u, inv);
    sys.mul(u, sub(constant(1), over), constant(0));
  }
  const [lowEdge, highEdge] = edges;
  const target = combine([[lowEdge, constant(1)], [highEdge - lowEdge, sign], [-1, result]]);
  return productPlusBase(sys, at, result, over, target);
}

/** out <== base + a · b (table.circom's last line): a wire held by a · b = out − base, or linear when a factor is constant. */
function productPlusBase(sys: ConstraintSystem, at: Component, base: Expr, a: Expr, b: Expr): Expr {
  const [ka, kb] = [constantOf(a), constantOf(b)];
  if (ka !== undefined) return sys.define(`${at.name}.out`, at.rank(OUT), combine([[1, base], [ka, b]]));
  if (kb !== undefined) return sys.define(`${at.name}.out`, at.rank(OUT), combine([[1, base], [kb, a]]));
  return productOut(sys, at, a, b, base, 1n);
}
