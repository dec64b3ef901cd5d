/**
 * The plan and cost of a table op (model/ir.ts TableOp; circuits/templates/table.circom): each
 * value's decomposition width, how many of its bits index the table, the split of those bits
 * between the monomials and the multiplexer tree, and the table's coefficients in the form the
 * template reads them.
 */
import { rescaleValue } from '../model/bounds.js';
import type { Interval } from '../model/bounds.js';
import type { NormOp, SoftmaxOp, TableOp } from '../model/ir.js';
import { ModelError } from '../core/errors.js';
import { lookupTable, tableOffset } from '../model/tables.js';
import { isqrt, normReach } from '../model/norm.js';
import { maxOf, minOf } from '../core/numbers.js';
import { bitLength, signedBits } from './plan.js';

/** Parameters of one TableActivation instance. */
export interface TableParams {
  shift: number;
  /** Bits of q's decomposition; 0: the result is a constant. */
  nq: number;
  /** Index bits: min(nq, the table's bits). */
  k: number;
  /** Index bits taken by the multiplexer tree; the other k - high make the monomials. */
  high: number;
  /** 1 when q can leave the table's domain (nq > bits) and must saturate. */
  clamp: 0 | 1;
  /** Which row of the op's coefficients (one per distinct k, and one per constant). */
  group: number;
  /** The lookup's products that remain after circom's --O2 (see treeProducts). */
  products: number;
}

export interface TablePlan {
  kind: 'table';
  elements: TableParams[];
  /** Coefficient rows, each 2^bits long (zero-padded): a sub-table's Moebius transform per high value, or [constant]. */
  coefficients: bigint[][];
  /** The table's ends: where q saturates. */
  edges: [number, number];
}

/**
 * The multiplexer tree's products that circom keeps: a node's product bit · (right - left) is
 * linear, and --O2 substitutes it away, when the two subtrees differ by a constant (in a
 * saturated stretch of the table, GELU's and sigmoid's tails). Followed symbolically: each
 * node's value as coefficients of the monomials, the tree bits and the kept products.
 */
export function treeProducts(coefficients: readonly bigint[], k: number, high: number): number {
  const nLow = 2 ** (k - high);
  type Expression = Map<string, bigint>;
  const minus = (a: Expression, b: Expression): Expression => {
    const d = new Map(a);
    for (const [key, v] of b) d.set(key, (d.get(key) ?? 0n) - v);
    return d;
  };
  const plus = (a: Expression, key: string, v: bigint): Expression => new Map(a).set(key, (a.get(key) ?? 0n) + v);
  let nodes: Expression[] = Array.from({ length: 2 ** high }, (_, h) => new Map(coefficients.slice(h * nLow, (h + 1) * nLow).map((c, set) => [set === 0 ? '1' : `m${set}`, c] as const)));
  let kept = 0;
  for (let level = 0; level < high; level++) {
    nodes = Array.from({ length: nodes.length / 2 }, (_, h) => {
      const [left, right] = [nodes[2 * h]!, nodes[2 * h + 1]!];
      const difference = minus(right, left);
      const varying = [...difference].some(([key, v]) => key !== '1' && v !== 0n);
      return varying ? plus(left, `p${kept++}`, 1n) : plus(left, `b${level}`, difference.get('1') ?? 0n);
    });
  }
  return 2 ** (k - high) - (k - high) - 1 + kept;
}

/** Products the lookup of k index bits costs with `high` of them in the tree, at most (treeProducts: what remains). */
export const lookupCost = (k: number, high: number) => 2 ** (k - high) - (k - high) - 1 + 2 ** high - 1;

/** The split of k index bits that costs least (ties: fewer in the tree). */
export function bestSplit(k: number): number {
  let best = 0;
  for (let high = 1; high <= k; high++) if (lookupCost(k, high) < lookupCost(k, best)) best = high;
  return best;
}

/**
 * The sub-table of the codes [-2^(k-1), 2^(k-1)) as the template reads it: for each value h of the
 * high bits, the coefficients c[S] over subsets S of the low bits with entry(h, l) = sum over S ⊆ l of c[S].
 */
export function tableCoefficients(op: Pick<TableOp, 'table' | 'bits'>, k: number, high: number): bigint[] {
  const low = k - high;
  const out: bigint[] = [];
  for (let h = 0; h < 2 ** high; h++) {
    const c = Array.from({ length: 2 ** low }, (_, l) => BigInt(lookupTable(op.table, op.bits, h * 2 ** low + l - 2 ** (k - 1))));
    for (let b = 0; b < low; b++) for (let s = 0; s < c.length; s++) if (s & (1 << b)) c[s] = c[s]! - c[s ^ (1 << b)]!;
    out.push(...c);
  }
  return out;
}

export function planTable(op: Pick<TableOp, 'table' | 'bits' | 'shift'>, input: Interval): TablePlan {
  const rows: bigint[][] = [];
  const keys = new Map<string, number>();
  const width = 2 ** op.bits;
  const row = (key: string, values: () => bigint[]) => {
    let g = keys.get(key);
    if (g === undefined) {
      const v = values();
      rows.push([...v, ...new Array<bigint>(width - v.length).fill(0n)]);
      keys.set(key, (g = rows.length - 1));
    }
    return g;
  };
  const offset = tableOffset(op.bits);
  const inDomain = (q: number) => Math.min(offset - 1, Math.max(-offset, q));
  const elements = op.shift.map((shift, j): TableParams => {
    const [qlo, qhi] = [rescaleValue(input.lo[j]!, shift), rescaleValue(input.hi[j]!, shift)];
    if (inDomain(qlo) === inDomain(qhi)) {
      const value = lookupTable(op.table, op.bits, qlo);
      return { shift, nq: 0, k: 0, high: 0, clamp: 0, group: row(`constant ${value}`, () => [BigInt(value)]), products: 0 };
    }
    const nq = signedBits(qlo, qhi);
    const k = Math.min(nq, op.bits);
    const high = bestSplit(k);
    const group = row(`k ${k}`, () => tableCoefficients(op, k, high));
    return { shift, nq, k, high, clamp: nq > op.bits ? 1 : 0, group, products: treeProducts(rows[group]!.slice(0, 2 ** k), k, high) };
  });
  return { kind: 'table', elements, coefficients: rows, edges: [op.table[0]!, op.table[width - 1]!] };
}

/** The decomposition (one constraint per bit and the sum check), the lookup, and the saturation's products. */
export function tableActivationCost(p: TableParams): number {
  if (p.nq === 0) return 0;
  const clamp = p.clamp === 0 ? 0 : p.nq - p.k === 1 ? 2 : 4;
  return p.shift + p.nq + 1 + p.products + clamp;
}

/**
 * The plan of a softmax op (circuits/templates/table.circom Softmax): one width for every row.
 * diffBits holds max - x_i; the exp is one TableActivation plan for d = x_i - max over
 * [least x - greatest x, 0]; sumBits holds S <= rowSize * 2^expBits, so the remainder and
 * S - 1 - remainder are checked in it, and the quotient in probabilityBits + 1 bits.
 */
export interface SoftmaxPlan {
  kind: 'softmax';
  rows: number;
  rowSize: number;
  diffBits: number;
  exp: TableParams;
  coefficients: bigint[][];
  edges: [number, number];
  sumBits: number;
  probabilityBits: number;
}

export function planSoftmaxOp(op: SoftmaxOp, input: Interval): SoftmaxPlan {
  const spread = maxOf(input.hi) - minOf(input.lo);
  const exp = planTable({ table: op.table, bits: op.bits, shift: [op.shift] }, { lo: [-spread], hi: [0] });
  return {
    kind: 'softmax',
    rows: input.lo.length / op.rowSize,
    rowSize: op.rowSize,
    diffBits: Math.max(1, bitLength(spread)),
    exp: exp.elements[0]!,
    coefficients: exp.coefficients,
    edges: exp.edges,
    sumBits: bitLength(op.rowSize * 2 ** op.expBits),
    probabilityBits: op.probabilityBits,
  };
}

/** Per element: the max's choice bit, product and range check; the exp; the division's product and three range checks. */
export function softmaxCost(p: SoftmaxPlan): number {
  const perElement = p.diffBits + 2 + tableActivationCost(p.exp) + 1 + p.probabilityBits + 1 + 2 * p.sumBits;
  return p.rows * p.rowSize * perElement;
}

/**
 * The plan of a norm op (circuits/templates/table.circom Norm): one width for every row, from the
 * largest v = Σ D² + epsilon the input's bounds allow. r is checked in K + 1 bits, 2^(2K) - r² v in
 * 2K + 1, (r + 1)² v - 2^(2K) - 1 <= 2^(K+1) sqrt(v) + v in highBits; every product stays below
 * 2^(2K+2) · vmax, which must be far below the field (else the checks could wrap).
 */
export interface NormPlan {
  kind: 'norm';
  rows: number;
  rowSize: number;
  layer: 0 | 1;
  epsilon: number;
  rsqrtBits: number;
  highBits: number;
}

export function planNormOp(op: NormOp, input: Interval, where: { name: string; index: number }): NormPlan {
  const vmax = normReach(op, Math.max(maxOf(input.lo.map(Math.abs)), maxOf(input.hi.map(Math.abs)))).squares;
  const K = op.rsqrtBits;
  const productBits = 2 * K + 2 + bigBitLength(vmax);
  if (productBits > 240) throw new ModelError('QUANTIZATION', `r² v can reach 2^${productBits}, too close to the field's 2^253 for its checks to be sound; use fewer rsqrt or activation bits`, where);
  // Exact in bigints (v passes 2^53 for wide inputs): 2^(K+1) ceil(sqrt(vmax)) + vmax.
  const root = isqrt(vmax);
  const high = (1n << BigInt(K + 1)) * (root * root === vmax ? root : root + 1n) + vmax;
  return { kind: 'norm', rows: input.lo.length / op.rowSize, rowSize: op.rowSize, layer: op.mode === 'layer' ? 1 : 0, epsilon: op.epsilon, rsqrtBits: K, highBits: bigBitLength(high) };
}

/** Bits to write a non-negative bigint (0 for 0). */
const bigBitLength = (v: bigint) => v.toString(2).length - (v === 0n ? 1 : 0);

/** Per row: a square per value, r v and r² v, the three range checks, a product per value. */
export function normCost(p: NormPlan): number {
  return p.rows * (2 * p.rowSize + 2 + (p.rsqrtBits + 1) + (2 * p.rsqrtBits + 1) + p.highBits);
}
