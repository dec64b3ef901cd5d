/**
 * The attacks: ways a cheating prover could try to change a witness. Each forces a few wires and
 * lets propagate.ts recompute the rest, so what is checked is a whole alternative witness, not a
 * lone changed wire that the next constraint would notice for the wrong reason.
 *
 * - every non-input wire in turn: +1, -1 (written +p-1), +2; hints also ±2^k (k = 8 … 128), the field's negation and zero;
 * - every bit decomposition (Requantize, TableActivation, ClipMax, MaxPair, RangeCheck): the part above each bit
 *   one less (or more) with the bits below re-solved to hold the difference: for a Requantize
 *   split at its shift, "quotient - 1, remainder + 2^shift", which no bits below can hold;
 *   the bits of x + p; the top bit (the sign, the comparison) flipped, on a zero value "negative
 *   zero"; the maximum 2^n - 1 and one past it, 2^n;
 * - every ArgMax: each other index, on ties and non-ties;
 * - every division pinned by a remainder (a product q * D = C whose C holds a hint r): the quotient
 *   one more or less with the remainder moved by the divisor, so that the product still holds and
 *   only the remainder's range checks (0 <= r < D) can refuse it;
 * - every range-checked input: one past its maximum and one below its minimum (must be refused).
 */
import type { BitsDefinition, Dataflow } from './dataflow.js';
import { evaluate, inputWires } from './constraints.js';
import type { R1cs } from '../r1cs.js';
import type { WireSymbol } from './symbols.js';
import { inverse, mod } from './field.js';
import { maxOf } from '../../core/numbers.js';

export type AttackFamily = 'wire' | 'bits' | 'argmax' | 'division' | 'input';

export interface Attack {
  family: AttackFamily;
  /** Which attack, as a short stable key (counted per key in the report). */
  kind: string;
  /** What the attack does, in words, for the report. */
  name: string;
  /** The wire the report names. */
  target: number;
  /** Values forced on wires; everything downstream is recomputed. */
  forced: Map<number, bigint>;
  /** Solve this decomposition's other bits around the forced ones first (no solution: rejected). */
  refit?: BitsDefinition;
  /** Refused whatever the outputs (an input outside its range): a witness that passes is a finding. */
  mustReject?: boolean;
}

/** What the caller knows about components beyond their names (from circuits/plan.ts for model circuits). */
export interface ComponentFacts {
  /** Requantize: bits below the shift are the rounding remainder. */
  shift?: number;
  /** Whether the top bit is a sign (Requantize in relu and leaky modes, ClipMax, MaxPair). */
  signed?: boolean;
}

export interface AttackContext {
  r1cs: R1cs;
  flow: Dataflow;
  honest: readonly bigint[];
  symbols: readonly (WireSymbol | undefined)[];
  /** Every signal name (without 'main.') → its wire, or -1 when the optimizer removed it. */
  signals: ReadonlyMap<string, number>;
  facts: ReadonlyMap<string, ComponentFacts>;
  /** Input wires and the integer range each must stay in. */
  inputRanges: ReadonlyMap<number, { min: bigint; max: bigint }>;
  /** 2^e mod p → e (field.ts). */
  powers: ReadonlyMap<bigint, number>;
}

const WIRE_DELTAS: [bigint | 'minus', string, string][] = [
  [1n, 'wire +1', '+1'],
  ['minus', 'wire +p-1', '+p-1 (that is, -1)'],
  [2n, 'wire +2', '+2'],
];

/** How far hints are pushed: past a byte, a word, a 64-bit limb and half the field. */
const HINT_SHIFTS = [8, 16, 32, 64, 128];

function* wireAttacks(ctx: AttackContext): Generator<Attack> {
  const { r1cs, flow, honest } = ctx;
  const p = r1cs.prime;
  const { first, end } = inputWires(r1cs);
  for (let w = 1; w < r1cs.nWires; w++) {
    if (w >= first && w < end) continue;
    const v = honest[w]!;
    for (const [delta, kind, name] of WIRE_DELTAS) {
      yield { family: 'wire', kind, name, target: w, forced: new Map([[w, delta === 'minus' ? v + p - 1n : v + delta]]) };
    }
    if (v === 0n) yield { family: 'wire', kind: 'wire p - 0', name: 'negative zero written p - 0 (the same field element)', target: w, forced: new Map([[w, p]]) };
    const def = flow.definitions[flow.definitionOf[w]!];
    if (def?.kind !== 'hint') continue;
    // Hints are what a prover chooses: try them much further from the honest value.
    for (const k of HINT_SHIFTS) {
      yield { family: 'wire', kind: 'hint ±2^k', name: `+2^${k}`, target: w, forced: new Map([[w, v + (1n << BigInt(k))]]) };
      yield { family: 'wire', kind: 'hint ±2^k', name: `-2^${k}`, target: w, forced: new Map([[w, v - (1n << BigInt(k))]]) };
    }
    yield { family: 'wire', kind: 'hint negated', name: 'the field negation p - x', target: w, forced: new Map([[w, p - v]]) };
    // An inverse hint set to zero turns an is-zero test's answer to 0 unless a constraint forbids it.
    if (v !== 0n) yield { family: 'wire', kind: 'hint zero', name: 'zero (an inverse hint claiming its value is 0)', target: w, forced: new Map([[w, 0n]]) };
  }
}

const bitValue = (bits: readonly bigint[], exponents: readonly number[], from = 0) => bits.reduce((sum, b, i) => (exponents[i]! >= from ? sum + (b << BigInt(exponents[i]! - from)) : sum), 0n);

/** The top bit's meaning in each template: [kind, words]. */
function topBitName(template: string, facts: ComponentFacts | undefined, zero: boolean): [string, string] {
  if (zero && (facts?.signed ?? template !== 'RangeCheck')) return ['negative zero', 'negative zero: the sign of a zero value flipped'];
  switch (template) {
    case 'MaxPair':
      return ['the other operand', 'the other operand: the comparison bit flipped'];
    case 'ClipMax':
      return ['clip flipped', 'the clip decision flipped'];
    case 'TableActivation':
      return ['sign flipped', 'the sign flipped'];
    case 'Requantize':
      return facts?.signed === false ? ['top bit flipped', 'the top bit of the quotient flipped'] : ['sign flipped', 'the sign flipped'];
    default:
      return ['top bit flipped', 'the top bit flipped'];
  }
}

/** The part of a decomposition above its bits that is a wire of its own (circom's optimizer may fold a Requantize's quotient into its output): wire and exponent. */
function valuesAbove(ctx: AttackContext, def: BitsDefinition): [number, number][] {
  const [a, , cc] = ctx.r1cs.constraints[def.constraint]!;
  const lc = def.folded ? a : cc;
  const p = ctx.r1cs.prime;
  const unitInverse = inverse(def.unit, p)!;
  const top = maxOf(def.exponents);
  const found: [number, number][] = [];
  for (const [w, coefficient] of lc) {
    if (w === 0 || def.wires.includes(w)) continue;
    const ratio = mod(coefficient * unitInverse, p);
    const e = ctx.powers.get(ratio) ?? ctx.powers.get(mod(-ratio, p));
    if (e !== undefined && e > top) found.push([w, e]);
  }
  return found;
}

function* bitsAttacks(ctx: AttackContext): Generator<Attack> {
  const { flow, honest, symbols, facts, r1cs } = ctx;
  const p = r1cs.prime;
  for (const def of flow.definitions) {
    if (def.kind !== 'bits') continue;
    const order = def.wires.map((_, i) => i).sort((a, b) => def.exponents[a]! - def.exponents[b]!);
    const wires = order.map((i) => def.wires[i]!);
    const exponents = order.map((i) => def.exponents[i]!);
    const bits = wires.map((w) => honest[w]!);
    const symbol = symbols[wires[0]!];
    const template = symbol?.template ?? 'unknown';
    const fact = facts.get(symbol?.component ?? '');
    // zkinfer's templates name bit k (k >= 1) bits[k - 1]; bit 0 is folded, or (Requantize) the signal b0.
    const named = /\.bits\[(\d+)\]$/.exec(symbol?.name ?? '');
    const base = named ? Number(named[1]) + 1 - exponents[0]! : def.folded ? 1 : 0;
    const top = wires.length - 1;
    const names = (bit: number, step: bigint): [string, string] =>
      fact?.shift === bit
        ? step < 0n
          ? ['quotient - 1, remainder + 2^shift', `quotient - 1, remainder + 2^${bit}`]
          : ['quotient + 1, remainder - 2^shift', `quotient + 1, remainder - 2^${bit}`]
        : [step < 0n ? 'borrow' : 'carry', `bits from ${bit} up ${step < 0n ? 'one less' : 'one more'}, the bits below re-solved to make up 2^${bit}`];

    // Borrow from (or carry into) the part above each bit; the bits below must absorb it.
    for (let s = 0; s < wires.length; s++) {
      const high = bitValue(bits, exponents, exponents[s]!);
      for (const step of [-1n, 1n]) {
        const target = high + step;
        if (target < 0n || target >= 1n << BigInt(exponents[top]! - exponents[s]! + 1)) continue;
        const forced = new Map<number, bigint>();
        for (let i = s; i < wires.length; i++) forced.set(wires[i]!, (target >> BigInt(exponents[i]! - exponents[s]!)) & 1n);
        const [kind, name] = names(base + exponents[s]!, step);
        yield { family: 'bits', kind, name, target: wires[s]!, forced, refit: def };
      }
    }
    // The same across a value wire standing for the part above the bits.
    for (const [w, e] of valuesAbove(ctx, def)) {
      for (const step of [-1n, 1n]) {
        const [kind, name] = names(base + e, step);
        yield { family: 'bits', kind, name, target: w, forced: new Map([[w, honest[w]! + step]]), refit: def };
      }
    }
    // The alias x + p: a decomposition without room below p would accept it.
    const value = bitValue(bits, exponents);
    const alias = value + p;
    yield { family: 'bits', kind: 'x + p', name: 'the bits of x + p', target: wires[top]!, forced: new Map(wires.map((w, i) => [w, (alias >> BigInt(exponents[i]!)) & 1n])) };
    // The top bit (the sign of a signed decomposition, the comparison of a MaxPair) flipped.
    const zero = bits[top] === 1n && bits.slice(0, top).every((b) => b === 0n);
    const flipped = new Map([[wires[top]!, 1n - bits[top]!]]);
    const [kind, name] = topBitName(template, fact, zero);
    yield { family: 'bits', kind, name: `${name}, the other bits re-solved`, target: wires[top]!, forced: flipped, refit: def };
    yield { family: 'bits', kind, name: `${name}, nothing else changed`, target: wires[top]!, forced: new Map(flipped) };
    // The ends of the range: the maximum, and one past it (the top bit worth two).
    yield { family: 'bits', kind: 'range maximum', name: `the maximum of the ${def.width}-bit range, 2^${def.width} - 1`, target: wires[top]!, forced: new Map(wires.map((w) => [w, 1n])) };
    yield { family: 'bits', kind: 'one past the range maximum', name: `one past the maximum of the ${def.width}-bit range, 2^${def.width}`, target: wires[top]!, forced: new Map(wires.map((w, i) => [w, i === top ? 2n : 0n])) };
  }
}

/** ArgMax components: their choice wires, the label wire, and the values compared (where they are wires). */
function* argmaxAttacks(ctx: AttackContext): Generator<Attack> {
  const { symbols, signals, honest } = ctx;
  const components = new Set(symbols.filter((s): s is WireSymbol => s?.template === 'ArgMax').map((s) => s.component));
  for (const component of components) {
    const prefix = component === '' ? '' : `${component}.`;
    const choices: number[] = [];
    for (let k = 0; signals.has(`${prefix}choice[${k}]`); k++) choices.push(signals.get(`${prefix}choice[${k}]`)!);
    const n = choices.length;
    // The label is the component's output; circom may have merged it into main's `label`.
    const own = signals.get(`${prefix}label`) ?? -1;
    const label = own >= 0 ? own : (signals.get('label') ?? -1);
    if (n < 2 || label < 0) continue;
    const chosen = Number(honest[label]!);
    const valueOf = (k: number): bigint | undefined => {
      const w = signals.get(`${prefix}in[${k}]`) ?? -1;
      const via = w >= 0 ? w : (signals.get(`logits[${k}]`) ?? -1);
      return via >= 0 ? honest[via] : undefined;
    };
    for (let i = 0; i < n; i++) {
      if (i === chosen) continue;
      const forced = new Map<number, bigint>([[label, BigInt(i)]]);
      choices.forEach((w, k) => w >= 0 && forced.set(w, k === i ? 1n : 0n));
      const [vi, vc] = [valueOf(i), valueOf(chosen)];
      const tie = vi !== undefined && vi === vc;
      yield { family: 'argmax', kind: tie ? 'argmax: a later tied index' : 'argmax: another index', name: `index ${i} instead of ${chosen}${tie ? ' (a tie: the first maximum must win)' : ''}`, target: label, forced };
    }
  }
}

function* divisionAttacks(ctx: AttackContext): Generator<Attack> {
  const { r1cs, flow, honest } = ctx;
  const p = r1cs.prime;
  const isHint = (w: number) => w > 0 && flow.definitions[flow.definitionOf[w]!]?.kind === 'hint';
  for (const [a, b, c] of r1cs.constraints) {
    for (const [single, divisor] of [[a, b], [b, a]] as const) {
      if (single.size !== 1 || single.has(0)) continue;
      const [[q, scale]] = [...single];
      // A square (a bit's b * b = value - rest, its sum check) divides nothing.
      if ([...divisor.keys()].every((w) => w === 0 || w === q)) continue;
      // q * scale * D = C: a step of q moves the product by scale * D, which r (coefficient k in C) makes up.
      const moved = scale * evaluate(divisor, honest, p);
      for (const [r, k] of c) {
        if (r === q || !isHint(r)) continue;
        const shift = mod(moved * inverse(k, p)!, p);
        for (const step of [1n, -1n]) {
          const kind = step > 0n ? 'quotient + 1, remainder - divisor' : 'quotient - 1, remainder + divisor';
          yield { family: 'division', kind, name: kind, target: r, forced: new Map([[q, honest[q]! + step], [r, honest[r]! + step * shift]]) };
        }
      }
    }
  }
}

function* inputAttacks(ctx: AttackContext): Generator<Attack> {
  for (const [wire, { min, max }] of ctx.inputRanges) {
    yield { family: 'input', kind: 'input one past its maximum', name: `input one past its maximum (${max + 1n})`, target: wire, forced: new Map([[wire, max + 1n]]), mustReject: true };
    yield { family: 'input', kind: 'input one below its minimum', name: `input one below its minimum (${min - 1n})`, target: wire, forced: new Map([[wire, min - 1n]]), mustReject: true };
  }
}

export function* attacksOn(ctx: AttackContext): Generator<Attack> {
  yield* wireAttacks(ctx);
  yield* bitsAttacks(ctx);
  yield* argmaxAttacks(ctx);
  yield* divisionAttacks(ctx);
  yield* inputAttacks(ctx);
}
