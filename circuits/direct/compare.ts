/**
 * Are two R1CS the same constraint system up to wire order? Wires are matched by name (circom's
 * .sym names; ours carry the same), each constraint is put in a canonical form (A scaled so its
 * first coefficient, by wire name, is 1, B likewise, C by the product of both factors; A and B in
 * name order; a linear constraint scaled by C's first coefficient), and the constraints are
 * compared as multisets. The answer names the first difference.
 */
import { FIELD_MODULUS } from '../../core/field.js';
import { parseSymbols } from '../attribution.js';
import type { LinearCombination } from '../r1cs.js';
import { invert } from './system.js';

export interface NamedR1cs {
  /** The name of each wire, by index. */
  names: readonly (string | undefined)[];
  constraints: readonly (readonly [LinearCombination, LinearCombination, LinearCombination])[];
}

/** Each wire's name from a .sym file's text (as parseSymbols reads it), 'one' for wire 0. */
export function symbolNames(sym: string): string[] {
  const names: string[] = ['one'];
  for (const [w, name] of parseSymbols(sym)) names[w] = name;
  return names;
}

type Named = [string, bigint][];

function named(lc: LinearCombination, names: NamedR1cs['names']): Named {
  return [...lc].filter(([, c]) => c % FIELD_MODULUS !== 0n).map(([w, c]): [string, bigint] => [names[w] ?? `?wire${w}`, c % FIELD_MODULUS]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const scaled = (lc: Named, k: bigint): Named => lc.map(([n, c]) => [n, (c * k) % FIELD_MODULUS]);
const text = (lc: Named) => lc.map(([n, c]) => `${c > FIELD_MODULUS / 2n ? `-${FIELD_MODULUS - c}` : c}·${n}`).join(' + ') || '0';

/** A constraint's canonical text. */
export function canonicalConstraint([a0, b0, c0]: readonly [LinearCombination, LinearCombination, LinearCombination], names: NamedR1cs['names']): string {
  let [a, b, c] = [named(a0, names), named(b0, names), named(c0, names)];
  if (a.length === 0 || b.length === 0) return c.length === 0 ? '0 = 0' : `linear: ${text(scaled(c, invert(c[0][1])))} = 0`;
  const [ia, ib] = [invert(a[0][1]), invert(b[0][1])];
  [a, b, c] = [scaled(a, ia), scaled(b, ib), scaled(c, (ia * ib) % FIELD_MODULUS)];
  const [ta, tb] = [text(a), text(b)];
  return `(${ta < tb ? ta : tb}) * (${ta < tb ? tb : ta}) = ${text(c)}`;
}

/** undefined when the two are the same system up to wire order; else the first difference, in words. */
export function compareR1cs(ours: NamedR1cs, theirs: NamedR1cs, labels = { ours: 'direct', theirs: 'circom' }): string | undefined {
  const counts = new Map<string, number>();
  for (const row of ours.constraints) {
    const key = canonicalConstraint(row, ours.names);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const row of theirs.constraints) {
    const key = canonicalConstraint(row, theirs.names);
    const n = counts.get(key) ?? 0;
    if (n === 0) return `${labels.theirs} has a constraint ${labels.ours} lacks: ${key.slice(0, 600)}`;
    counts.set(key, n - 1);
  }
  for (const [key, n] of counts) if (n > 0) return `${labels.ours} has a constraint ${labels.theirs} lacks: ${key.slice(0, 600)}`;
  return undefined;
}
