/**
 * A rank-1 constraint system built directly, the way circom's --O2 leaves it: linear expressions
 * over wires (wire 0 is the constant 1), constraints A·B = C as sparse maps over the BN254 scalar
 * field, and each wire named as circom's .sym names the signal it keeps.
 *
 * Signals that circom would define by a linear constraint (template inputs, sums, pooled and
 * padded values) are never wires here: they are expressions, which is what circom's substitution
 * makes of them. Wires are the main template's inputs and outputs (which circom never eliminates),
 * the prover's hints (bits, choices) and results of products. A wire assigned from an expression
 * that is a single wire becomes one more name of it (circom's equality simplification keeps the
 * signal declared first). Linear constraints that remain between wires (the logits and the label
 * against what computes them) are eliminated at the end, by `finish`, as circom's cluster
 * simplification does.
 *
 * With values (a witness being computed), every expression also carries its value.
 */
import { ZkinferError } from '../../core/errors.js';
import { FIELD_MODULUS, toField } from '../../core/field.js';
import { type Value, checkMulValues, checkZeroValue, linValue, mulValue } from './record.js';

const P = FIELD_MODULUS;

/** wire → coefficient (mod p, never 0); wire 0 is the constant 1. */
export type Lc = Map<number, bigint>;

export interface Expr {
  lc: Lc;
  /** The value, when a witness is being computed (a bigint) or its program recorded (a register: record.ts). */
  value?: Value;
}

export function constant(v: bigint | number): Expr {
  const c = toField(v);
  return { lc: c === 0n ? new Map() : new Map([[0, c]]), value: c };
}

/**
 * One BigInt per small coefficient value (a weight, a power of two, their negations): a layer's
 * fan-in repeats a few hundred weights across millions of terms, and a BigInt each was a third of
 * the direct path's memory on a 300k-parameter CNN.
 */
const SMALL = 1n << 20n;
const interned = new Map<bigint, bigint>();
function intern(c: bigint): bigint {
  if (c >= SMALL && c <= P - SMALL) return c;
  const known = interned.get(c);
  if (known !== undefined) return known;
  interned.set(c, c);
  return c;
}

/** Σ k_i · e_i, with the value when every part has one. */
export function combine(parts: readonly [bigint | number, Expr][]): Expr {
  const lc: Lc = new Map();
  const values: [bigint, Value][] = [];
  let valued = true;
  for (const [k, e] of parts) {
    const kk = toField(k);
    if (kk === 0n) continue;
    for (const [w, c] of e.lc) {
      const sum = ((lc.get(w) ?? 0n) + kk * c) % P;
      if (sum === 0n) lc.delete(w);
      else lc.set(w, intern(sum));
    }
    if (e.value === undefined) valued = false;
    else if (valued) values.push([kk, e.value]);
  }
  return valued ? { lc, value: linValue(values) } : { lc };
}

export const add = (a: Expr, b: Expr): Expr => combine([[1, a], [1, b]]);
export const sub = (a: Expr, b: Expr): Expr => combine([[1, a], [-1, b]]);
export const scale = (k: bigint | number, a: Expr): Expr => combine([[k, a]]);

/** The constant an expression is (no wire but wire 0), or undefined. */
export function constantOf(e: Expr): bigint | undefined {
  for (const w of e.lc.keys()) if (w !== 0) return undefined;
  return e.lc.get(0) ?? 0n;
}

/** The one wire an expression is (coefficient 1, no constant), or undefined. */
function singleWire(e: Expr): number | undefined {
  if (e.lc.size !== 1) return undefined;
  const [[w, c]] = e.lc;
  return w !== 0 && c === 1n ? w : undefined;
}

/** A signal's place in circom's numbering: the main template's first, then each component's, in creation order. */
export type Rank = number;

export interface DirectR1cs {
  /** Each wire's name as circom's .sym gives it, without the 'main.' prefix ('one' for wire 0), in wire order. */
  names: string[];
  constraints: [Lc, Lc, Lc][];
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  /** Every wire's value, when built with a witness. */
  witness?: bigint[];
  /** Names of the wires the linear constraints eliminated: circom's .sym lists such signals with wire -1 (the audit counts their bits). */
  removed?: string[];
  /** Every wire's value as the build computed it: bigints (the witness) or, recording a program, registers. */
  values?: Value[];
}

export class ConstraintSystem {
  // Apart, not as an object per wire: a million wires' objects cost a hundred MB.
  private readonly names: string[] = ['one'];
  private readonly ranks: Rank[] = [-1];
  private readonly values: (Value | undefined)[] = [1n];
  private readonly fixed = new Set<number>([0]);
  private readonly quadratic: [Lc, Lc, Lc][] = [];
  private readonly linear: Lc[] = [];

  /** A new wire; `fixed` for the main template's inputs and outputs, which circom keeps. */
  wire(name: string, rank: Rank, value: Value | undefined, fixed = false): Expr {
    const w = this.names.length;
    const v = typeof value === 'bigint' ? toField(value) : value;
    this.names.push(name);
    this.ranks.push(rank);
    this.values.push(v);
    if (fixed) this.fixed.add(w);
    const e: Expr = { lc: new Map([[w, 1n]]) };
    if (v !== undefined) e.value = v;
    return e;
  }

  /** `name <== e` for a signal circom would substitute: it becomes e (and names its wire if it has a lower rank). */
  alias(name: string, rank: Rank, e: Expr): Expr {
    const w = singleWire(e);
    if (w !== undefined && rank < this.ranks[w]) {
      this.names[w] = name;
      this.ranks[w] = rank;
    }
    return e;
  }

  /**
   * `name <== e` for a signal the main template declares (or a component's output no main signal
   * takes): circom keeps such a signal as a wire held by a linear constraint, unless e is a
   * constant or one signal (then it substitutes it). Which wire of the constraint it then
   * eliminates is finish's choice.
   */
  define(name: string, rank: Rank, e: Expr): Expr {
    if (singleWire(e) !== undefined) return this.alias(name, rank, e);
    if ([...e.lc.keys()].every((w) => w === 0)) return e;
    const out = this.wire(name, rank, e.value);
    this.zero(combine([[1, out], [-1, e]]));
    return out;
  }

  /** A hint the prover supplies (`<--`), pinned by the constraints the caller adds. */
  hint(name: string, rank: Rank, value: Value | undefined): Expr {
    return this.wire(name, rank, value);
  }

  /** Give a wire (an expression that is one) its value, once known. */
  setValue(e: Expr, value: Value): void {
    const w = singleWire(e);
    if (w === undefined) throw new ZkinferError('INTERNAL', 'setValue needs a wire');
    const v = typeof value === 'bigint' ? toField(value) : value;
    this.values[w] = v;
    e.value = v;
  }

  /** a · b === c. */
  mul(a: Expr, b: Expr, c: Expr): void {
    // As circom's witness program fails an `===`: the input (hashed params beyond the planned widths, say) does not fit the circuit.
    if (a.value !== undefined && b.value !== undefined && c.value !== undefined) checkMulValues(a.value, b.value, c.value, this.quadratic.length);
    this.quadratic.push([a.lc, b.lc, c.lc]);
  }

  /**
   * `name <== a · b`: a new wire for the product. A constant factor makes it linear, and circom
   * then treats it as any linear assignment (Poseidon's first round: a state of 0 plus a constant).
   */
  product(name: string, rank: Rank, a: Expr, b: Expr): Expr {
    const [ka, kb] = [constantOf(a), constantOf(b)];
    if (ka !== undefined || kb !== undefined) return this.define(name, rank, ka !== undefined ? scale(ka, b) : scale(kb!, a));
    const out = this.wire(name, rank, a.value !== undefined && b.value !== undefined ? mulValue(a.value, b.value) : undefined);
    this.mul(a, b, out);
    return out;
  }

  /** e === 0 between wires. */
  zero(e: Expr): void {
    if (e.value !== undefined) checkZeroValue(e.value);
    if (e.lc.size > 0) this.linear.push(e.lc);
  }

  nameOf(w: number): string {
    return this.names[w];
  }

  rankOf(w: number): Rank {
    return this.ranks[w];
  }

  /**
   * Eliminate the remaining linear constraints by substitution, one wire each: `choose` picks it
   * among the constraint's wires that may be eliminated (by default as circom does; see
   * chooseLikeCircom). A constraint left with no such wire stays, as a linear constraint.
   * Then drop the wires no constraint uses (except the fixed ones) and number the rest:
   * the constant, the public outputs, the public inputs, the private inputs, then the others.
   */
  finish(order: { pubOut: string[]; pubIn: string[]; prvIn: string[] }, choose: Chooser = chooseLikeCircom): DirectR1cs {
    // pivot → its expression in wires not yet eliminated when it was; resolved fully at the end.
    const subs = new Map<number, Lc>();
    const eliminated: number[] = [];
    const substitute = (lc: Lc, table: Map<number, Lc>): Lc => {
      const out: Lc = new Map();
      for (const [w, c] of lc) {
        for (const [v, d] of table.get(w) ?? [[w, 1n] as [number, bigint]]) {
          const sum = ((out.get(v) ?? 0n) + c * d) % P;
          if (sum === 0n) out.delete(v);
          else out.set(v, sum);
        }
      }
      return out;
    };
    const reduce = (lc: Lc): Lc => {
      while ([...lc.keys()].some((w) => subs.has(w))) lc = substitute(lc, subs);
      return lc;
    };
    const remaining: Lc[] = [];
    // circom substitutes equalities between two signals first; then, its clusters listing a
    // constraint before those it joins and being worked from the list's end, the other linear
    // constraints in the order they were made.
    const isEquality = (lc: Lc) => lc.size === 2 && !lc.has(0) && [...lc.values()].reduce((a, b) => (a + b) % P) === 0n;
    for (const lc0 of [...this.linear.filter(isEquality), ...this.linear.filter((lc) => !isEquality(lc))]) {
      const lc = reduce(lc0);
      const candidates = [...lc.keys()].filter((w) => !this.fixed.has(w));
      const pivot = candidates.length > 0 ? choose(candidates, this) : undefined;
      if (pivot === undefined) {
        if (lc.size > 0) remaining.push(lc);
        continue;
      }
      // lc = c·pivot + rest = 0  →  pivot = -rest / c
      const inv = invert(lc.get(pivot)!);
      const solved: Lc = new Map();
      for (const [w, c] of lc) if (w !== pivot) solved.set(w, toField(-c * inv));
      subs.set(pivot, solved);
      eliminated.push(pivot);
    }
    // A pivot's expression may hold wires eliminated after it: resolve the last eliminated first.
    const final = new Map<number, Lc>();
    for (const pivot of eliminated.reverse()) final.set(pivot, substitute(subs.get(pivot)!, final));
    const apply = (lc: Lc): Lc => ([...lc.keys()].some((w) => final.has(w)) ? substitute(lc, final) : lc);
    // In place, and a combination that is A, B and C of one row (a bit's b · b = b) once: a second
    // copy of every constraint is what the direct path's memory peak was made of.
    const constraints = this.quadratic;
    const rewrite = (row: [Lc, Lc, Lc], f: (lc: Lc) => Lc): [Lc, Lc, Lc] => {
      const [a, b, c] = row;
      const fa = f(a);
      const fb = b === a ? fa : f(b);
      return [fa, fb, c === a ? fa : c === b ? fb : f(c)];
    };
    for (let i = 0; i < constraints.length; i++) constraints[i] = rewrite(constraints[i], apply);
    for (const lc of remaining) constraints.push([new Map(), new Map(), apply(lc)]);

    // Number the wires: fixed ones in the given order, then every wire a constraint uses, by rank.
    const used = new Uint8Array(this.names.length);
    for (const row of constraints) for (const lc of row) for (const w of lc.keys()) used[w] = 1;
    const byName = new Map<string, number>();
    for (const w of this.fixed) byName.set(this.names[w], w);
    const head = [0, ...[...order.pubOut, ...order.pubIn, ...order.prvIn].map((name) => {
      const w = byName.get(name);
      if (w === undefined) throw new ZkinferError('INTERNAL', `the direct R1CS has no main signal ${name}`);
      return w;
    })];
    const inHead = new Set(head);
    const rest: number[] = [];
    for (let w = 0; w < used.length; w++) if (used[w] && !inHead.has(w) && !final.has(w)) rest.push(w);
    rest.sort((x, y) => this.ranks[x] - this.ranks[y] || x - y);
    const wires = [...head, ...rest];
    const index = new Int32Array(this.names.length);
    wires.forEach((w, i) => (index[w] = i));
    const renumber = (lc: Lc): Lc => {
      const out: Lc = new Map();
      for (const [w, c] of lc) out.set(index[w], c);
      return out;
    };
    for (let i = 0; i < constraints.length; i++) constraints[i] = rewrite(constraints[i], renumber);
    const result: DirectR1cs = {
      names: wires.map((w) => this.names[w]),
      constraints,
      nPubOut: order.pubOut.length,
      nPubIn: order.pubIn.length,
      nPrvIn: order.prvIn.length,
      removed: [...final.keys()].map((w) => this.names[w]),
    };
    if (wires.every((w) => this.values[w] !== undefined)) {
      result.values = wires.map((w) => this.values[w]!);
      if (result.values.every((v) => typeof v === 'bigint')) result.witness = result.values as bigint[];
    }
    return result;
  }
}

/** Picks the wire a linear constraint eliminates, among those it may. */
export type Chooser = (candidates: number[], system: ConstraintSystem) => number | undefined;

/** circom's rule when a constraint has several candidates: the signal declared last. */
export const chooseLikeCircom: Chooser = (candidates, system) => candidates.reduce((best, w) => (system.rankOf(w) > system.rankOf(best) ? w : best));

/** a^-1 mod p (a ≠ 0). */
export function invert(a: bigint): bigint {
  let [r0, r1, s0, s1] = [toField(a), P, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return toField(s0);
}
