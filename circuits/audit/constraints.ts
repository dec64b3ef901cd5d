/**
 * Constraints indexed by wire, so a tampered witness is re-checked only where it changed: a
 * constraint whose wires all keep their honest values is still satisfied.
 */
import type { LinearCombination, R1cs } from '../r1cs.js';

export interface ConstraintIndex {
  r1cs: R1cs;
  /** wire → the constraints it appears in (each once, in order). */
  byWire: number[][];
}

export function indexConstraints(r1cs: R1cs): ConstraintIndex {
  const byWire: number[][] = Array.from({ length: r1cs.nWires }, () => []);
  r1cs.constraints.forEach((constraint, c) => {
    const seen = new Set<number>();
    for (const lc of constraint) for (const wire of lc.keys()) seen.add(wire);
    for (const wire of seen) byWire[wire]?.push(c);
  });
  return { r1cs, byWire };
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

/** The constraints touching any of `wires` that `witness` violates, in order. */
export function violatedAmong(index: ConstraintIndex, wires: Iterable<number>, witness: readonly bigint[]): number[] {
  const touched = new Set<number>();
  for (const wire of wires) for (const c of index.byWire[wire] ?? []) touched.add(c);
  return [...touched].sort((a, b) => a - b).filter((c) => !isSatisfied(index.r1cs, c, witness));
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
