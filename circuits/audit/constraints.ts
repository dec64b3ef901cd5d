/**
 * Constraints indexed by wire, so a tampered witness is re-checked only where it changed: a
 * constraint whose wires all keep their honest values is still satisfied.
 */
import type { LinearCombination, R1cs } from '../r1cs.js';

export interface ConstraintIndex {
  r1cs: R1cs;
  /** wire → the constraints it appears in (each once, in order). */
  byWire: number[][];
  /** Each constraint's A, B and C with float64 coefficients, for holds(). */
  terms: [Terms, Terms, Terms][];
}

export function indexConstraints(r1cs: R1cs): ConstraintIndex {
  const byWire: number[][] = Array.from({ length: r1cs.nWires }, () => []);
  r1cs.constraints.forEach((constraint, c) => {
    const seen = new Set<number>();
    for (const lc of constraint) for (const wire of lc.keys()) seen.add(wire);
    for (const wire of seen) byWire[wire]?.push(c);
  });
  const terms = r1cs.constraints.map(([a, b, c]): [Terms, Terms, Terms] => [toTerms(a, r1cs.prime), toTerms(b, r1cs.prime), toTerms(c, r1cs.prime)]);
  return { r1cs, byWire, terms };
}

/**
 * Most values and coefficients of a model circuit are small signed integers, written mod p (x < 0
 * as p + x). Read as such they are summed in float64 wherever every product and partial sum stays
 * below 2^53, so exactly; holds() falls back to BigInt elsewhere (hashes, wide decompositions).
 */
const SAFE = 2 ** 53;

/** A field element as a signed integer in float64 when it is exactly one (|x| < 2^53), else NaN. */
export function smallValue(x: bigint, p: bigint): number {
  if (x < 9007199254740992n) return Number(x);
  const negated = p - x;
  return negated < 9007199254740992n ? -Number(negated) : NaN;
}

export interface Terms {
  wires: Int32Array;
  /** smallValue of each coefficient. */
  coefficients: Float64Array;
}

export function toTerms(lc: LinearCombination, p: bigint): Terms {
  return { wires: Int32Array.from(lc.keys()), coefficients: Float64Array.from(lc.values(), (x) => smallValue(x, p)) };
}

/** The exact sum of the terms over `small` values, or NaN when some term or partial sum could leave float64's integers. */
export function smallSum({ wires, coefficients }: Terms, small: Float64Array): number {
  let sum = 0;
  let magnitude = 0;
  for (let i = 0; i < wires.length; i++) {
    const term = coefficients[i]! * small[wires[i]!]!;
    sum += term;
    magnitude += Math.abs(term);
  }
  // A computed magnitude below 2^52 bounds every term and partial sum, each then exact (a NaN fails the test).
  return magnitude < SAFE / 2 ? sum : NaN;
}

/**
 * Whether constraint c holds for `witness`, whose values smallValue gives in `small`. Exact sums
 * A, B, C below 2^53 satisfy A * B = C modulo p only as integers: |A * B - C| < 2^107 < p.
 */
export function holds(index: ConstraintIndex, c: number, witness: readonly bigint[], small: Float64Array): boolean {
  const [ta, tb, tc] = index.terms[c]!;
  const [a, b, cc] = [smallSum(ta, small), smallSum(tb, small), smallSum(tc, small)];
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(cc)) return isSatisfied(index.r1cs, c, witness);
  const product = a * b;
  return Math.abs(product) < SAFE ? product === cc : BigInt(a) * BigInt(b) === BigInt(cc);
}

/** The value of a linear combination, reduced modulo p. */
export function evaluate(lc: LinearCombination, witness: readonly bigint[], p: bigint): bigint {
  let sum = 0n;
  for (const [wire, coef] of lc) sum += coef * witness[wire]!;
  sum %= p;
  return sum < 0n ? sum + p : sum;
}

/** The same, with some wires read from `overrides` instead of the witness. */
export function evaluateWith(lc: LinearCombination, witness: readonly bigint[], p: bigint, overrides: ReadonlyMap<number, bigint>): bigint {
  let sum = 0n;
  for (const [wire, coef] of lc) sum += coef * (overrides.get(wire) ?? witness[wire]!);
  sum %= p;
  return sum < 0n ? sum + p : sum;
}

export function isSatisfied(r1cs: R1cs, c: number, witness: readonly bigint[]): boolean {
  const [a, b, cc] = r1cs.constraints[c]!;
  const p = r1cs.prime;
  return (evaluate(a, witness, p) * evaluate(b, witness, p) - evaluate(cc, witness, p)) % p === 0n;
}

/** The wires of a constraint, each once. */
export function wiresOf(r1cs: R1cs, c: number): number[] {
  const seen = new Set<number>();
  for (const lc of r1cs.constraints[c]!) for (const wire of lc.keys()) seen.add(wire);
  return [...seen];
}

/** Wires 1 + nPubOut … : the public and private inputs, which a prover may not change without changing the statement. */
export function inputWires(r1cs: R1cs): { first: number; end: number } {
  const first = 1 + r1cs.nPubOut;
  return { first, end: first + r1cs.nPubIn + r1cs.nPrvIn };
}
