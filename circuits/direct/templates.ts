/**
 * The constraints of circuits/templates/zkinfer.circom's templates as circom --O2 leaves them,
 * written straight into a ConstraintSystem. Each function mirrors its template line by line; the
 * comparison test (test/circuits/direct.test.ts) holds them to circom's output.
 */
import type { MaxPairParams, RequantizeParams } from '../plan.js';
import { toField } from '../../core/field.js';
import { type Value, argmaxValues, bitValue, linValue, mulValue } from './record.js';
import { type ConstraintSystem, type Expr, type Rank, combine, constant, scale, sub } from './system.js';

/** A component: its name prefix and the rank of its signal at a position (see system.ts's Rank). */
export interface Component {
  name: string;
  rank(position: number): Rank;
}

/** Signal positions inside a component: its output first, then the decomposition's bits, then the rest. */
export const OUT = 0;
const BIT = 1;
export const LATER = 1_000;
/** ArgMax's gap[i] components, after its own signals. */
const GAPS = 1_000_000;

export const pow2 = (k: number) => 1n << BigInt(k);

/** A bit the prover supplies, checked as b · b = b (the templates' form: one coefficient less in A than b · (b − 1) = 0). */
export function bitHint(sys: ConstraintSystem, name: string, rank: Rank, value: Value | undefined): Expr {
  const bit = sys.hint(name, rank, value);
  sys.mul(bit, bit, bit);
  return bit;
}

/**
 * The decomposition of `value` into n bits; bits 1..n-1 are hint wires `bits[k-1]`, each boolean.
 * Folded (RangeCheck, ClipMax, MaxPair): bit 0 is value - Σ bits[k]·2^k, whose booleanity check
 * b0 · (b0 − 1) = 0 is also the sum's check. With `signalB0` (Requantize): bit 0 is a hint wire b0,
 * declared before the bits, checked as b0 · b0 = b0, and the sum as b0 · b0 = value − Σ bits[k]·2^k,
 * the value's fan-in in C only. Returns the n bits as expressions, bit 0 first.
 */
export function decompose(sys: ConstraintSystem, at: Component, value: Expr, n: number, signalB0 = false): Expr[] {
  const bitOf = (k: number) => (value.value === undefined ? undefined : bitValue(value.value, k));
  const first = signalB0 ? 1 : 0;
  const b0Wire = signalB0 ? bitHint(sys, `${at.name}.b0`, at.rank(BIT), bitOf(0)) : undefined;
  const bits: Expr[] = [];
  const rest: [bigint, Expr][] = [];
  for (let k = 1; k < n; k++) {
    const bit = bitHint(sys, `${at.name}.bits[${k - 1}]`, at.rank(BIT + first + k - 1), bitOf(k));
    bits.push(bit);
    rest.push([pow2(k), bit]);
  }
  const sum = combine([[1, value], ...rest.map(([k, e]): [bigint, Expr] => [-k, e])]);
  if (b0Wire) {
    sys.mul(b0Wire, b0Wire, sum);
    return [b0Wire, ...bits];
  }
  sys.mul(sum, sub(sum, constant(1)), constant(0));
  return [sum, ...bits];
}

/** Σ bits[from + k]·2^k for k < count. */
export function binary(bits: Expr[], from: number, count: number): Expr {
  return combine(Array.from({ length: count }, (_, k): [bigint, Expr] => [pow2(k), bits[from + k]]));
}

/** RangeCheck(n): 0 <= in < 2^n. */
export function rangeCheck(sys: ConstraintSystem, at: Component, input: Expr, n: number): void {
  decompose(sys, at, input, n);
}

/** Requantize of one value `dot` (its bias and weighted terms already summed). Returns out. */
export function requantize(sys: ConstraintSystem, at: Component, dot: Expr, p: RequantizeParams, leak: { numerator: number; bits: number }): Expr {
  if (p.nq === 0) return constant(p.offset);
  const total = p.shift + p.nq;
  const value = combine([[1, dot], [(p.shift > 0 ? pow2(p.shift - 1) : 0n) + BigInt(p.offset) * pow2(p.shift), constant(1)]]);
  const bits = decompose(sys, at, value, total, true);
  const sign = bits[total - 1];
  const low = binary(bits, p.shift, p.nq - (p.mode === 0 ? 0 : 1));
  const out = `${at.name}.out`;
  if (p.mode === 0) return sys.alias(out, at.rank(OUT), sub(low, constant(p.offset)));
  if (p.mode === 2) {
    // q = low + sign·offset - offset; out = leakNum·q + sign·((2^leakBits - leakNum)·q)
    const q = combine([[1, low], [p.offset, sign], [-p.offset, constant(1)]]);
    const gain = scale(pow2(leak.bits) - BigInt(leak.numerator), q);
    const product = sign.value === undefined || gain.value === undefined ? undefined : mulValue(sign.value, gain.value);
    const result = sys.wire(out, at.rank(OUT), product === undefined || q.value === undefined ? undefined : linValue([[BigInt(leak.numerator), q.value], [1n, product]]));
    sys.mul(sign, gain, combine([[1, result], [-leak.numerator, q]]));
    return result;
  }
  if (p.clipNq === 0) return sys.product(out, at.rank(OUT), sign, low);
  const relu = sys.product(`${at.name}.relu`, at.rank(LATER), sign, low);
  return clipMax(sys, { name: `${at.name}.clip`, rank: (k) => at.rank(LATER + 1 + k) }, relu, p.clipNq, p.clipMax);
}

/** ClipMax(nq, max): min(in, max) for in >= 0. */
function clipMax(sys: ConstraintSystem, at: Component, input: Expr, nq: number, max: number): Expr {
  const bits = decompose(sys, at, combine([[1, input], [pow2(nq - 1) - BigInt(max), constant(1)]]), nq);
  const excess = binary(bits, 0, nq - 1);
  const top = bits[nq - 1];
  return productOut(sys, at, top, excess, input, -1n);
}

/** out <== base + sign·top·part: a new wire, constrained by top · part === sign·(out - base). */
export function productOut(sys: ConstraintSystem, at: Component, top: Expr, part: Expr, base: Expr, sign: bigint): Expr {
  const value = top.value === undefined || part.value === undefined || base.value === undefined ? undefined : linValue([[1n, base.value], [toField(sign), mulValue(top.value, part.value)]]);
  const out = sys.wire(`${at.name}.out`, at.rank(OUT), value);
  sys.mul(top, part, scale(sign, sub(out, base)));
  return out;
}

/** MaxPair(nq, mode): max(a, b). */
export function maxPair(sys: ConstraintSystem, at: Component, a: Expr, b: Expr, p: MaxPairParams): Expr {
  if (p.mode === 0) return b;
  if (p.mode === 1) return a;
  const bits = decompose(sys, at, combine([[1, a], [-1, b], [pow2(p.nq - 1), constant(1)]]), p.nq);
  return productOut(sys, at, bits[p.nq - 1], binary(bits, 0, p.nq - 1), b, 1n);
}

/**
 * ArgMax(n, nBits): the index of the first maximum, as a one-hot choice of hint wires; returns the
 * label's expression. The gaps' range checks are its subcomponents gap[i], ranked by index after its own signals.
 */
export function argmax(sys: ConstraintSystem, at: Component, inputs: Expr[], nBits: number): Expr {
  const gap = (i: number): Component => ({ name: `${at.name}.gap[${i}]`, rank: (k) => at.rank(GAPS + i * (nBits + 1) + k) });
  const n = inputs.length;
  const { choice, max } = oneHotMax(sys, at, inputs, 1, 1 + n);
  let chosenLater = constant(0);
  for (let i = n - 1; i >= 0; i--) {
    rangeCheck(sys, gap(i), combine([[1, max], [-1, inputs[i]], [-1, chosenLater]]), nBits);
    chosenLater = combine([[1, chosenLater], [1, choice[i]]]);
  }
  return sys.alias(`${at.name}.label`, at.rank(OUT), combine(choice.map((c, i): [number, Expr] => [i, c])));
}

/**
 * The maximum ArgMax and Softmax both take: the prover's one-hot choice (hint wires choice[i], at
 * positions choiceAt + i), each checked boolean, exactly one set, and the chosen value
 * Σ picked[i] (products choice[i] · in[i] at pickedAt + i). Its range checks are the caller's.
 */
export function oneHotMax(sys: ConstraintSystem, at: Component, inputs: Expr[], choiceAt: number, pickedAt: number): { choice: Expr[]; max: Expr } {
  // circom compares field values as signed
  const oneHot = inputs.every((e) => e.value !== undefined) ? argmaxValues(inputs.map((e) => e.value!)) : undefined;
  const choice = inputs.map((_, i) => bitHint(sys, `${at.name}.choice[${i}]`, at.rank(choiceAt + i), oneHot?.[i]));
  const picked = inputs.map((e, i) => sys.product(`${at.name}.picked[${i}]`, at.rank(pickedAt + i), choice[i], e));
  sys.zero(combine([...choice.map((c): [number, Expr] => [1, c]), [-1, constant(1)]]));
  return { choice, max: combine(picked.map((e): [number, Expr] => [1, e])) };
}
