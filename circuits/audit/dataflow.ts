/**
 * How the constraints determine each wire, found by peeling the R1CS: starting from the inputs,
 * a wire is determined when a constraint fixes it from wires already known. Three rules:
 *
 * - linear: a constraint in which one unknown wire appears linearly, with a constant coefficient;
 * - bits: a constraint whose unknown wires all carry booleanity constraints and enter with
 *   distinct power-of-two coefficients (a bit decomposition, zkinfer's folded L * (L - 1) = 0,
 *   a linear sum = value, or Requantize's b0 * b0 = value - sum, a linear sum for a boolean b0):
 *   below 2^250 the bits of a value are unique;
 * - system: k constraints linear in the same k unknown wires, with a non-singular matrix (circom's
 *   optimizer leaves the logits of a layer with fewer inputs than logits this way).
 *
 * When nothing applies, some wire is a hint: a value the prover chooses (the argmax's one-hot
 * choice), held only by checks. The result is an order in which the whole witness can be
 * recomputed from the inputs and the hints, which is how the audit builds consistent
 * alternative witnesses (propagate.ts).
 */
import type { LinearCombination, R1cs } from '../r1cs.js';
import { type ConstraintIndex, type Terms, evaluateWith, inputWires, smallSum, toTerms, wiresOf } from './constraints.js';
import { MAX_EXPONENT, inverse, mod, powersOfTwo } from './field.js';
import { maxOf, minOf } from '../../core/numbers.js';

export type Definition =
  | { kind: 'linear'; wires: [number]; constraint: number }
  | {
      kind: 'bits';
      wires: number[];
      /** Each wire's weight is unit * 2^exponent. */
      exponents: number[];
      unit: bigint;
      constraint: number;
      /** L * (L - 1) = 0 with L the lowest bit (zkinfer's folded form), rather than a linear sum. */
      folded: boolean;
      /** Bits pinned, the folded one included. */
      width: number;
    }
  | { kind: 'system'; wires: number[]; constraints: number[] }
  | { kind: 'hint'; wires: [number] };

export interface Dataflow {
  definitions: Definition[];
  /** wire → index of its definition; -1 for the constant and the inputs, -2 for wires in no constraint. */
  definitionOf: Int32Array;
  /** constraint → index of the definition that uses it, or -1 for a check. */
  definitionBy: Int32Array;
  /** Wires with a booleanity constraint x * (x - 1) = 0. */
  booleans: Set<number>;
}

const GIVEN = -1;
const FREE = -2;
const MAX_SYSTEM = 64;

/** A constraint mentioning one wire: is it x * (x - 1) = 0 (up to scale)? */
function booleanWire(r1cs: R1cs, constraint: [LinearCombination, LinearCombination, LinearCombination]): number | undefined {
  const [a, b, c] = constraint;
  const wires = new Set<number>();
  for (const lc of constraint) for (const w of lc.keys()) if (w !== 0) wires.add(w);
  if (wires.size !== 1) return undefined;
  const [u] = wires;
  const p = r1cs.prime;
  const at = (lc: LinearCombination, w: number) => lc.get(w) ?? 0n;
  const [a0, a1, b0, b1, c0, c1] = [at(a, 0), at(a, u!), at(b, 0), at(b, u!), at(c, 0), at(c, u!)];
  const q2 = mod(a1 * b1, p);
  const q1 = mod(a0 * b1 + a1 * b0 - c1, p);
  const q0 = mod(a0 * b0 - c0, p);
  return q2 !== 0n && q0 === 0n && mod(q1 + q2, p) === 0n ? u : undefined;
}

/** Only the constant wire: a fixed value. */
const isConstant = (lc: LinearCombination) => [...lc.keys()].every((w) => w === 0);

/**
 * The coefficient with which `u` enters a constraint, if it enters linearly with a coefficient
 * that does not depend on other wires' values: (a_u * B + A * b_u - c_u) with the side pairing it constant.
 */
function linearCoefficient(r1cs: R1cs, c: number, u: number): bigint | undefined {
  const [a, b, cc] = r1cs.constraints[c]!;
  const p = r1cs.prime;
  const au = a.get(u) ?? 0n;
  const bu = b.get(u) ?? 0n;
  const cu = cc.get(u) ?? 0n;
  if (au !== 0n && bu !== 0n) return undefined;
  if (au !== 0n && !isConstant(b)) return undefined;
  if (bu !== 0n && !isConstant(a)) return undefined;
  const coefficient = mod(au * (b.get(0) ?? 0n) + bu * (a.get(0) ?? 0n) - cu, p);
  return coefficient === 0n ? undefined : coefficient;
}

/** The power-of-two structure of a set of coefficients: unit * 2^exponent each, exponents distinct and >= 0. */
function powerPattern(coefficients: bigint[], p: bigint, powers: Map<bigint, number>): { unit: bigint; exponents: number[] } | undefined {
  const first = coefficients[0]!;
  const firstInverse = inverse(first, p)!;
  const relative: number[] = [];
  for (const c of coefficients) {
    const e = powers.get(mod(c * firstInverse, p));
    if (e === undefined) return undefined;
    relative.push(e);
  }
  const low = minOf(relative);
  const exponents = relative.map((e) => e - low);
  if (new Set(exponents).size !== exponents.length || maxOf(exponents) > MAX_EXPONENT - 2) return undefined;
  // first = unit * 2^(relative[0] - low), and relative[0] = 0.
  const unit = mod(first * inverse(mod(2n ** BigInt(-low), p), p)!, p);
  return { unit, exponents };
}

/**
 * Bits of `target` at the given exponents, if it is exactly a sum of distinct such powers of two.
 * The unique solution of sum 2^e_k * b_k = target with boolean b_k, or undefined.
 */
export function bitPattern(target: bigint, exponents: readonly number[]): bigint[] | undefined {
  let rest = target;
  const bits = exponents.map((e) => {
    const bit = (target >> BigInt(e)) & 1n;
    rest -= bit << BigInt(e);
    return bit;
  });
  return rest === 0n ? bits : undefined;
}

export type BitsDefinition = Extract<Definition, { kind: 'bits' }>;

/**
 * The constraint as a linear sum S = 0, where it is one: A * B = 0 identically (S = C), or A and B
 * mention one wire u and nothing else but the constant (Requantize's b0 * b0 = value - rest).
 * Then, for a boolean u (u * u = u), A * B = (a_u b_u + a_u b_1 + a_1 b_u) u + a_1 b_1 with a_1,
 * b_1 the constant terms, and S = C - that; the wire it needs boolean is returned with it.
 */
export function linearSum(r1cs: R1cs, c: number): LinearSum | undefined {
  // Solving a decomposition reads it on every recomputation: made once per constraint.
  const cache = linearSums.get(r1cs) ?? linearSums.set(r1cs, new Map()).get(r1cs)!;
  if (!cache.has(c)) cache.set(c, readLinearSum(r1cs, c));
  return cache.get(c);
}

type LinearSum = { sum: LinearCombination; boolean?: number };
const linearSums = new WeakMap<R1cs, Map<number, LinearSum | undefined>>();

function readLinearSum(r1cs: R1cs, c: number): LinearSum | undefined {
  const [a, b, cc] = r1cs.constraints[c]!;
  if (a.size === 0 || b.size === 0) return { sum: cc };
  const wires = new Set([...a.keys(), ...b.keys()].filter((w) => w !== 0));
  if (wires.size !== 1) return undefined;
  const [u] = wires as Set<number>;
  const p = r1cs.prime;
  const [au, a1, bu, b1] = [a.get(u!) ?? 0n, a.get(0) ?? 0n, b.get(u!) ?? 0n, b.get(0) ?? 0n];
  const sum = new Map(cc);
  sum.set(u!, mod((cc.get(u!) ?? 0n) - au * bu - au * b1 - a1 * bu, p));
  sum.set(0, mod((cc.get(0) ?? 0n) - a1 * b1, p));
  for (const w of [u!, 0]) if (sum.get(w) === 0n) sum.delete(w);
  return { sum, boolean: u };
}

/**
 * The constraint as A * B' = 0, where it is one: C = 0, or C = mu * A (a bit substituted by
 * circom's optimizer into its check b * b = b gives L * L = L), and then B' = B - mu.
 */
function foldedFactors(r1cs: R1cs, c: number): [LinearCombination, LinearCombination] | undefined {
  const [a, b, cc] = r1cs.constraints[c]!;
  if (cc.size === 0) return [a, b];
  const p = r1cs.prime;
  const [w, aw] = [...a].find(([, x]) => x !== 0n) ?? [];
  if (w === undefined) return undefined;
  const mu = mod((cc.get(w) ?? 0n) * inverse(aw!, p)!, p);
  for (const x of new Set([...a.keys(), ...cc.keys()])) if (mod((cc.get(x) ?? 0n) - mu * (a.get(x) ?? 0n), p) !== 0n) return undefined;
  const shifted = new Map(b);
  shifted.set(0, mod((b.get(0) ?? 0n) - mu, p));
  return [a, shifted];
}

/**
 * Whether the unknown wires of a constraint form a bit decomposition, and its shape. Two forms:
 * a linear sum (see linearSum: C = value - sum of bits, or b0 * b0 = value - sum), or zkinfer's folded one,
 * A * B = 0 (see foldedFactors) with B = lambda * A + beta: A is one more bit (0 or 1, or -beta/lambda), which must
 * sit at a weight of its own, below, between or above the wires', or two assignments could
 * give the same value. Bits at distinct powers of two below the field size have one value each.
 */
function decompositionShape(r1cs: R1cs, c: number, unknowns: number[], powers: Map<bigint, number>, booleans: ReadonlySet<number>): Omit<BitsDefinition, 'kind' | 'wires' | 'constraint'> | undefined {
  const p = r1cs.prime;
  let coefficients: bigint[];
  let folded: bigint | undefined; // the folded bit's weight relative to the wires' sum, when folded
  const linear = linearSum(r1cs, c);
  if (linear && (linear.boolean === undefined || booleans.has(linear.boolean))) {
    coefficients = unknowns.map((u) => linear.sum.get(u) ?? 0n);
  } else {
    const factors = foldedFactors(r1cs, c);
    if (!factors) return undefined;
    const [a, b] = factors;
    coefficients = unknowns.map((u) => a.get(u) ?? 0n);
    if (coefficients.some((x) => x === 0n)) return undefined;
    const lambda = mod((b.get(unknowns[0]!) ?? 0n) * inverse(coefficients[0]!, p)!, p);
    if (lambda === 0n) return undefined;
    for (const w of new Set([...a.keys(), ...b.keys()])) {
      if (w !== 0 && mod((b.get(w) ?? 0n) - lambda * (a.get(w) ?? 0n), p) !== 0n) return undefined;
    }
    // Roots A = 0 and A = -beta / lambda: the sums they ask of the bits differ by beta / lambda.
    const beta = mod((b.get(0) ?? 0n) - lambda * (a.get(0) ?? 0n), p);
    folded = mod(beta * inverse(lambda, p)!, p);
    if (folded === 0n) return undefined;
  }
  if (coefficients.some((x) => x === 0n)) return undefined;
  const pattern = powerPattern(coefficients, p, powers);
  if (!pattern) return undefined;
  if (folded !== undefined) {
    // The folded bit's weight, in units: ±2^e at an exponent no wire has.
    const weight = mod(folded * inverse(pattern.unit, p)!, p);
    const e = powers.get(weight) ?? powers.get(mod(-weight, p));
    if (e === undefined || pattern.exponents.includes(e)) return undefined;
  }
  return { ...pattern, folded: folded !== undefined, width: pattern.exponents.length + (folded !== undefined ? 1 : 0) };
}

/**
 * Solve a bit decomposition for the current values of its other wires: the bits (in the
 * definition's order), or undefined when no boolean assignment satisfies the constraint. `fixed`
 * bits (wire → value) keep their values and the others are solved around them.
 */
export function solveBits(r1cs: R1cs, def: BitsDefinition, witness: readonly bigint[], fixed?: ReadonlyMap<number, bigint>, small?: Float64Array): bigint[] | undefined {
  const p = r1cs.prime;
  const { unitInverse, rest } = solvingOf(r1cs, def);
  if (!fixed && small && rest) {
    // All bits free: they must sum to minus the rest of the linear sum, exact in float64 when small.
    const sum = smallSum(rest, small);
    if (!Number.isNaN(sum)) return bitPattern(mod(mod(-BigInt(sum), p) * unitInverse, p), def.exponents);
  }
  const free = def.wires.map((w) => !fixed?.has(w));
  const probe = new Map<number, bigint>();
  def.wires.forEach((w, i) => probe.set(w, free[i] ? 0n : mod(fixed!.get(w)!, p)));
  const exponents = def.exponents.filter((_, i) => free[i]);
  // The sum over the free bits must equal one of these, by the constraint's form.
  const targets: bigint[] = [];
  if (!def.folded) {
    targets.push(mod(-evaluateWith(linearSum(r1cs, def.constraint)!.sum, witness, p, probe), p));
  } else {
    const [a, b] = foldedFactors(r1cs, def.constraint)!;
    const lambda = mod((b.get(def.wires[0]!) ?? 0n) * inverse(a.get(def.wires[0]!)!, p)!, p);
    // (A0 + S)(B0 + lambda S) = 0 with S the free bits' sum (A's coefficients).
    targets.push(mod(-evaluateWith(a, witness, p, probe), p), mod(-evaluateWith(b, witness, p, probe) * inverse(lambda, p)!, p));
  }
  for (const target of targets) {
    const bits = bitPattern(mod(target * unitInverse, p), exponents);
    if (!bits) continue;
    let k = 0;
    return def.wires.map((w, i) => (free[i] ? bits[k++]! : mod(fixed!.get(w)!, p)));
  }
  return undefined;
}

/** What solving a decomposition again needs, made once: its unit's inverse and, for a linear sum, the sum's terms other than the bits. */
const solvings = new WeakMap<BitsDefinition, { unitInverse: bigint; rest?: Terms }>();

function solvingOf(r1cs: R1cs, def: BitsDefinition): { unitInverse: bigint; rest?: Terms } {
  let solving = solvings.get(def);
  if (!solving) {
    const sum = def.folded ? undefined : linearSum(r1cs, def.constraint)!.sum;
    const rest = sum && toTerms(new Map([...sum].filter(([w]) => !def.wires.includes(w))), r1cs.prime);
    solving = { unitInverse: inverse(def.unit, r1cs.prime)!, ...(rest ? { rest } : {}) };
    solvings.set(def, solving);
  }
  return solving;
}

/** Solve the linear constraint of a 'linear' definition for its wire, or undefined. */
export function solveLinear(r1cs: R1cs, c: number, u: number, witness: readonly bigint[]): bigint | undefined {
  const p = r1cs.prime;
  const [a, b, cc] = r1cs.constraints[c]!;
  const probe = new Map([[u, 0n]]);
  const [a0, b0, c0] = [evaluateWith(a, witness, p, probe), evaluateWith(b, witness, p, probe), evaluateWith(cc, witness, p, probe)];
  const denominator = mod((a.get(u) ?? 0n) * b0 + a0 * (b.get(u) ?? 0n) - (cc.get(u) ?? 0n), p);
  const inv = inverse(denominator, p);
  return inv === undefined ? undefined : mod((c0 - a0 * b0) * inv, p);
}

/**
 * Rows of a linear system: each constraint as sum coef_u * u = rhs over the unknowns, with the
 * other wires at their current values. Returns [matrix, rhs].
 */
function systemRows(r1cs: R1cs, constraints: readonly number[], unknowns: readonly number[], witness: readonly bigint[]): [bigint[][], bigint[]] {
  const p = r1cs.prime;
  const probe = new Map(unknowns.map((u) => [u, 0n]));
  const matrix: bigint[][] = [];
  const rhs: bigint[] = [];
  for (const c of constraints) {
    const [a, b, cc] = r1cs.constraints[c]!;
    const [a0, b0, c0] = [evaluateWith(a, witness, p, probe), evaluateWith(b, witness, p, probe), evaluateWith(cc, witness, p, probe)];
    matrix.push(unknowns.map((u) => mod((a.get(u) ?? 0n) * b0 + a0 * (b.get(u) ?? 0n) - (cc.get(u) ?? 0n), p)));
    rhs.push(mod(c0 - a0 * b0, p));
  }
  return [matrix, rhs];
}

/** Gaussian elimination mod p: the pivot rows of a full-column-rank system and its solution, or undefined. */
function eliminate(matrix: bigint[][], rhs: bigint[], p: bigint): { pivots: number[]; solution: bigint[] } | undefined {
  const k = matrix[0]?.length ?? 0;
  const rows = matrix.map((row, i) => ({ row: [...row, rhs[i]!], origin: i }));
  const pivots: number[] = [];
  for (let col = 0, r = 0; col < k; col++) {
    const at = rows.findIndex((x, i) => i >= r && x.row[col] !== 0n);
    if (at < 0) return undefined;
    [rows[r], rows[at]] = [rows[at]!, rows[r]!];
    const pivot = rows[r]!;
    const inv = inverse(pivot.row[col]!, p)!;
    pivot.row = pivot.row.map((v) => mod(v * inv, p));
    rows.forEach((x, i) => {
      if (i === r || x.row[col] === 0n) return;
      const f = x.row[col]!;
      x.row = x.row.map((v, j) => mod(v - f * pivot.row[j]!, p));
    });
    pivots.push(pivot.origin);
    r++;
  }
  // Rows beyond the pivots must be consistent (0 = 0); the caller checks constraints anyway.
  return { pivots, solution: rows.slice(0, k).map((x) => x.row[k]!) };
}

/** Solve a 'system' definition for the current values of the other wires. */
export function solveSystem(r1cs: R1cs, def: Extract<Definition, { kind: 'system' }>, witness: readonly bigint[]): bigint[] | undefined {
  const [matrix, rhs] = systemRows(r1cs, def.constraints, def.wires, witness);
  return eliminate(matrix, rhs, r1cs.prime)?.solution;
}

export function analyzeDataflow(index: ConstraintIndex, honest: readonly bigint[]): Dataflow {
  const { r1cs, byWire } = index;
  const p = r1cs.prime;
  const nC = r1cs.constraints.length;
  const powers = powersOfTwo(p);
  const booleans = new Set<number>();
  r1cs.constraints.forEach((constraint) => {
    const u = booleanWire(r1cs, constraint);
    if (u !== undefined) booleans.add(u);
  });

  const known = new Uint8Array(r1cs.nWires);
  const definitionOf = new Int32Array(r1cs.nWires).fill(FREE);
  const definitionBy = new Int32Array(nC).fill(-1);
  const definitions: Definition[] = [];
  const wires: number[][] = r1cs.constraints.map((_, c) => wiresOf(r1cs, c));
  const unknownCount = new Int32Array(nC);
  const unknownBooleans = new Int32Array(nC);
  const queued = new Uint8Array(nC);
  const queue: number[] = [];
  const enqueue = (c: number) => {
    if (!queued[c] && definitionBy[c] < 0) {
      queued[c] = 1;
      queue.push(c);
    }
  };
  const ready = (c: number) => unknownCount[c]! === 1 || (unknownCount[c]! >= 1 && unknownCount[c] === unknownBooleans[c]);
  // A booleanity constraint alone decides nothing: both 0 and 1 satisfy it.
  const isBooleanity = new Uint8Array(nC);
  // Bits follow from the value they decompose, whether they enter its sum linearly or as
  // Requantize's b0 does (b0 * b0 = value - rest); other wires where they appear linearly.
  const solvable = new Set<number>(booleans);
  // Per constraint, per wire (in `wires` order): whether it enters linearly with a constant coefficient.
  const linearIn: Uint8Array[] = wires.map((ws, c) => Uint8Array.from(ws, (w) => (w !== 0 && linearCoefficient(r1cs, c, w) !== undefined ? 1 : 0)));
  wires.forEach((ws, c) => ws.forEach((w, i) => linearIn[c]![i] && solvable.add(w)));
  r1cs.constraints.forEach((constraint, c) => (isBooleanity[c] = booleanWire(r1cs, constraint) !== undefined ? 1 : 0));

  known[0] = 1;
  definitionOf[0] = GIVEN;
  const { first, end } = inputWires(r1cs);
  for (let w = first; w < end; w++) {
    known[w] = 1;
    definitionOf[w] = GIVEN;
  }
  /*
   * What pickHint and trySystems ask of the stuck constraints, kept up to date as wires become
   * known (scanning every constraint for each hint made the analysis quadratic: minutes on a
   * residual CNN whose substituted branches leave a thousand hints):
   * - unlocks[w]: how many stuck constraints would define another wire if w were known (see pickHint);
   * - stuckLinear: constraints not yet used, with two or more unknowns, all entering linearly.
   */
  const unknownNonlinear = new Int32Array(nC);
  const unlocks = new Int32Array(r1cs.nWires);
  const unlocking: number[][] = Array.from({ length: nC }, () => []);
  const stuckLinear = new Set<number>();
  const unknownsOf = (c: number) => wires[c]!.filter((w) => !known[w]);
  const recount = (c: number) => {
    for (const w of unlocking[c]!) unlocks[w]!--;
    const found: number[] = [];
    const n = unknownCount[c]!;
    if (n === 2) {
      const at = wires[c]!.flatMap((w, i) => (known[w] ? [] : [i]));
      const [x, y] = at.map((i) => wires[c]![i]!) as [number, number];
      if (linearIn[c]![at[1]!]) found.push(x);
      if (linearIn[c]![at[0]!]) found.push(y);
    } else if (n >= 3 && n - unknownBooleans[c]! === 1) {
      found.push(unknownsOf(c).find((w) => !booleans.has(w))!);
    }
    for (const w of found) unlocks[w]!++;
    unlocking[c] = found;
    if (definitionBy[c] < 0 && n >= 2 && unknownNonlinear[c] === 0) stuckLinear.add(c);
    else stuckLinear.delete(c);
  };
  wires.forEach((ws, c) => {
    ws.forEach((w, i) => {
      if (known[w]) return;
      unknownCount[c]++;
      if (booleans.has(w)) unknownBooleans[c]++;
      if (!linearIn[c]![i]) unknownNonlinear[c]++;
    });
    recount(c);
    if (ready(c)) enqueue(c);
  });

  const define = (def: Definition, used: number[]) => {
    const d = definitions.length;
    definitions.push(def);
    for (const c of used) {
      definitionBy[c] = d;
      stuckLinear.delete(c);
    }
    for (const w of def.wires) {
      known[w] = 1;
      definitionOf[w] = d;
      for (const c of byWire[w]!) {
        unknownCount[c]--;
        if (booleans.has(w)) unknownBooleans[c]--;
        if (!linearIn[c]![wires[c]!.indexOf(w)]) unknownNonlinear[c]--;
        recount(c);
        if (ready(c)) enqueue(c);
      }
    }
  };

  const tryDefine = (c: number): boolean => {
    if (isBooleanity[c]) return false;
    const unknowns = wires[c]!.filter((w) => !known[w]);
    if (unknowns.length === 1 && linearCoefficient(r1cs, c, unknowns[0]!) !== undefined) {
      define({ kind: 'linear', wires: [unknowns[0]!], constraint: c }, [c]);
      return true;
    }
    if (unknowns.length < 1 || !unknowns.every((u) => booleans.has(u))) return false;
    const shape = decompositionShape(r1cs, c, unknowns, powers, booleans);
    if (!shape) return false;
    const def: BitsDefinition = { kind: 'bits', wires: unknowns, constraint: c, ...shape };
    // A shape alone is not enough: the honest bits must be the decomposition's solution.
    const solved = solveBits(r1cs, def, honest);
    if (!solved || solved.some((v, i) => v !== honest[unknowns[i]!])) return false;
    define(def, [c]);
    return true;
  };

  /** Connected groups of stuck constraints linear in their unknowns, solved together when square and non-singular. */
  const trySystems = (): boolean => {
    const linear = [...stuckLinear].sort((x, y) => x - y);
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      while (parent.get(x) !== x) x = parent.get(x)!;
      return x;
    };
    for (const c of linear) {
      const unknowns = wires[c]!.filter((w) => !known[w]);
      for (const u of unknowns) if (!parent.has(u)) parent.set(u, u);
      for (const u of unknowns.slice(1)) parent.set(find(u), find(unknowns[0]!));
    }
    const groups = new Map<number, number[]>();
    for (const c of linear) {
      const root = find(wires[c]!.find((w) => !known[w])!);
      (groups.get(root) ?? groups.set(root, []).get(root)!).push(c);
    }
    let progress = false;
    for (const constraints of groups.values()) {
      const unknowns = [...new Set(constraints.flatMap((c) => wires[c]!.filter((w) => !known[w])))].sort((x, y) => x - y);
      if (unknowns.length > MAX_SYSTEM || constraints.length < unknowns.length) continue;
      const [matrix, rhs] = systemRows(r1cs, constraints, unknowns, honest);
      const solved = eliminate(matrix, rhs, p);
      if (!solved || solved.solution.some((v, i) => v !== honest[unknowns[i]!])) continue;
      define({ kind: 'system', wires: unknowns, constraints: solved.pivots.map((i) => constraints[i]!) }, solved.pivots.map((i) => constraints[i]!));
      progress = true;
    }
    return progress;
  };

  /**
   * No rule applies: some unknown wire must be a hint, the prover's own choice (a quotient, the
   * argmax's choice). Prefer one that no constraint could ever solve for (wires assigned with
   * `<==` appear linearly in their own constraint; hints assigned with `<--` do not), then the
   * one whose value would let most stuck constraints define another wire (a product whose other
   * factor it is, a decomposition whose value it is), then one that is not a bit (bits follow
   * from the value they decompose), then the most used, then the lowest-numbered.
   */
  const pickHint = (): boolean => {
    // Every constraint of an unknown wire has an unknown: it is used by all of them.
    const better = (a: number, b: number) => {
      const [sa, sb] = [solvable.has(a) ? 0 : 1, solvable.has(b) ? 0 : 1];
      if (sa !== sb) return sa > sb;
      if (unlocks[a] !== unlocks[b]) return unlocks[a]! > unlocks[b]!;
      const [ba, bb] = [booleans.has(a) ? 0 : 1, booleans.has(b) ? 0 : 1];
      if (ba !== bb) return ba > bb;
      if (byWire[a]!.length !== byWire[b]!.length) return byWire[a]!.length > byWire[b]!.length;
      return a < b;
    };
    let u = -1;
    for (let w = 1; w < r1cs.nWires; w++) if (!known[w] && byWire[w]!.length > 0 && (u < 0 || better(w, u))) u = w;
    if (u < 0) return false;
    define({ kind: 'hint', wires: [u] }, []);
    return true;
  };

  for (;;) {
    // First in, first out: constraints are met in circuit order, so definitions follow it (the input range checks first).
    for (let next = 0; next < queue.length; next++) {
      const c = queue[next]!;
      queued[c] = 0;
      if (definitionBy[c] < 0 && unknownCount[c]! >= 1) tryDefine(c);
    }
    queue.length = 0;
    if (trySystems()) continue;
    if (!pickHint()) break;
  }
  return { definitions, definitionOf, definitionBy, booleans };
}
