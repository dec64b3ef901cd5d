/**
 * A product of pairings checked in one pass, on an instance of ffjavascript's bn128 WebAssembly
 * with memory of its own (prover/wasm-arena.ts): ∏ e(Pᵢ, Qᵢ) = T as one multi-Miller loop and one
 * final exponentiation.
 *
 * ffjavascript's `millerLoop` runs one pair's loop from 1: 64 squarings of the Fp12 accumulator,
 * each followed by the pair's line (and a second line where the loop count's bit is set). The
 * loops of several pairs share one accumulator when their lines are applied at the same step:
 * multiplication in Fp12 commutes, so ∏ᵢ fᵢ is reached with 64 squarings instead of 64 per pair,
 * and the result is the same element, bit for bit, as the product of separate loops (a test holds
 * it to that). It also keeps fixed points' line coefficients (a verification key's γ and δ) in
 * its memory, instead of copying ~20 KB in and the result out per loop as ffjavascript's calls do.
 *
 * The loop here reads the coefficients that the module's own `bn128_prepareG2` writes: after a
 * 3-element header, one 3-element coefficient (ℓ₀, ℓ_VW, ℓ_VV) per doubling and per set bit of
 * 6x + 2 (from the top, the top bit excepted), then two for the Frobenius steps; a line is
 * applied as `__mulBy024(ℓ₀, ℓ_VW·y_P, ℓ_VV·x_P)`, exactly as the module's `bn128_millerLoop`.
 * `create` checks the layout against that function on the generators, so a module built
 * otherwise is refused rather than giving wrong verdicts.
 */
import { ZkinferError } from '../core/errors.js';
import { BN254_SEED } from './g2-subgroup.js';
import type { Element } from './bn128.js';
import { FQ_BYTES, GROUPS } from './bn128-layout.js';
import { WasmArena } from './wasm-arena.js';

const F2_BYTES = 2 * FQ_BYTES;
const F12_BYTES = 12 * FQ_BYTES;
const COEFFICIENT_BYTES = 3 * F2_BYTES;
/** What the module's prepareG1 writes (a normalized Jacobian point) in the room it is given. */
const PREPARED_G1_BYTES = 6 * FQ_BYTES;

/** The optimal ate loop count of BN254, 6x + 2, from the least significant bit. */
const ATE_BITS = (() => {
  const bits: number[] = [];
  for (let e = 6n * BN254_SEED + 2n; e > 0n; e >>= 1n) bits.push(Number(e & 1n));
  return bits;
})();
const COEFFICIENTS = ATE_BITS.length - 1 + ATE_BITS.filter((b) => b === 1).length + 1;
const PREPARED_G2_BYTES = 3 * F2_BYTES + COEFFICIENTS * COEFFICIENT_BYTES;

/** A G2 point's line coefficients, resident in one arena. */
export interface PreparedG2 {
  readonly pointer: number;
}

export class PairingArena {
  private readonly f: Record<'prepareG1' | 'prepareG2' | 'one' | 'square' | 'mul1' | 'mulBy024' | 'finalExp' | 'eq' | 'millerLoop' | 'mul', (...args: number[]) => number>;
  /** Scratch of the per-check points: a G1 or G2 point in, its preparation out. */
  private readonly pointIn: number;
  private readonly accumulator: number;
  private readonly vw: number;
  private readonly vv: number;
  private readonly target: number;
  /** 1 in Fp12, the target of a batch's check. */
  private readonly one: number;
  private readonly preparedG1: number[] = [];
  private readonly scratchG2: PreparedG2[] = [];

  private constructor(private readonly arena: WasmArena) {
    const fn = (name: string) => arena.fn(name);
    this.f = {
      prepareG1: fn('bn128_prepareG1'),
      prepareG2: fn('bn128_prepareG2'),
      one: fn('ftm_one'),
      square: fn('ftm_square'),
      mul1: fn('f2m_mul1'),
      mulBy024: fn('bn128__mulBy024'),
      finalExp: fn('bn128_finalExponentiation'),
      eq: fn('ftm_eq'),
      millerLoop: fn('bn128_millerLoop'),
      mul: fn('ftm_mul'),
    };
    this.pointIn = arena.alloc(GROUPS.G2.jacobian);
    this.accumulator = arena.alloc(F12_BYTES);
    this.vw = arena.alloc(F2_BYTES);
    this.vv = arena.alloc(F2_BYTES);
    this.target = arena.alloc(F12_BYTES);
    this.one = arena.alloc(F12_BYTES);
    this.f.one(this.one);
  }

  /**
   * An arena on ffjavascript's bn128 module (singleThreadCurve's `module`); `generators` are G1's
   * and G2's, Jacobian, to check the line layout this file assumes against the module's own loop.
   */
  static create(module: WebAssembly.Module, generators: { g1: Element; g2: Element }): PairingArena {
    const pairing = new PairingArena(WasmArena.create(module));
    const q = pairing.prepareG2(generators.g2);
    const ours = pairing.millerProduct([{ g1: generators.g1, g2: q }]);
    const theirs = pairing.arena.alloc(F12_BYTES);
    pairing.f.millerLoop(pairing.prepareG1(0, generators.g1), q.pointer, theirs);
    if (!pairing.f.eq(ours, theirs)) throw new ZkinferError('INTERNAL', "the multi-Miller loop disagrees with ffjavascript's bn128_millerLoop: the module's line layout is not the one prover/pairing.ts assumes");
    return pairing;
  }

  /** Line coefficients of a Jacobian G2 point, kept in this arena for its lifetime. */
  prepareG2(jacobian: Element): PreparedG2 {
    const pointer = this.arena.alloc(PREPARED_G2_BYTES);
    this.writePreparedG2(pointer, jacobian);
    return { pointer };
  }

  /** An element of Gt (or any of Fp12, 384 bytes, Montgomery) kept as the target of checks. */
  setTarget(element: Element): void {
    this.arena.write(this.target, element);
  }

  /**
   * Whether FinalExp(∏ Miller(Pᵢ, Qᵢ)) equals the target: the G1 points Jacobian, each G2 point
   * prepared in this arena or given (Jacobian) to be prepared in scratch for this check.
   */
  productEqualsTarget(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): boolean {
    return this.productEquals(pairs, this.target);
  }

  /** Whether FinalExp(∏ Miller(Pᵢ, Qᵢ)) is 1, the pairs as for productEqualsTarget. */
  productIsOne(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): boolean {
    return this.productEquals(pairs, this.one);
  }

  private productEquals(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[], expected: number): boolean {
    const product = this.millerProduct(this.prepared(pairs));
    this.f.finalExp(product, product);
    return this.f.eq(product, expected) === 1;
  }

  /** ∏ Miller(Pᵢ, Qᵢ), before the final exponentiation (what ffjavascript's millerLoops multiplied give). */
  millerLoops(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): Element {
    return this.arena.copy(this.millerProduct(this.prepared(pairs)), F12_BYTES);
  }

  private prepared(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): { g1: Element; g2: PreparedG2 }[] {
    return pairs.map(({ g1, g2 }, i) => ({ g1, g2: g2 instanceof Uint8Array ? this.scratchPreparedG2(i, g2) : g2 }));
  }

  /** ∏ Miller(Pᵢ, Qᵢ) in the accumulator, every pair's lines applied after each shared squaring. */
  private millerProduct(pairs: readonly { g1: Element; g2: PreparedG2 }[]): number {
    const { one, square } = this.f;
    const f = this.accumulator;
    const points = pairs.map(({ g1 }, i) => this.prepareG1(i, g1));
    const coefficients = pairs.map(({ g2 }) => g2.pointer + 3 * F2_BYTES);
    const line = (j: number) => {
      this.applyLine(points[j]!, coefficients[j]!);
      coefficients[j]! += COEFFICIENT_BYTES;
    };
    one(f);
    for (let i = ATE_BITS.length - 2; i >= 0; i--) {
      square(f, f);
      for (let j = 0; j < pairs.length; j++) {
        line(j);
        if (ATE_BITS[i]) line(j);
      }
    }
    // The two Frobenius steps (Q₁ = π(Q), Q₂ = −π²(Q)).
    for (let j = 0; j < pairs.length; j++) (line(j), line(j));
    return f;
  }

  /** f ← f · ℓ(P) for the line whose coefficients start at `coefficient`, as the module's loop does it. */
  private applyLine(preparedP: number, coefficient: number): void {
    const { mul1, mulBy024 } = this.f;
    mul1(coefficient + F2_BYTES, preparedP + FQ_BYTES, this.vw);
    mul1(coefficient + 2 * F2_BYTES, preparedP, this.vv);
    mulBy024(coefficient, this.vw, this.vv, this.accumulator);
  }

  /** The i-th per-check G1 slot, holding `jacobian` prepared. */
  private prepareG1(i: number, jacobian: Element): number {
    while (this.preparedG1.length <= i) this.preparedG1.push(this.arena.alloc(PREPARED_G1_BYTES));
    const slot = this.preparedG1[i]!;
    this.arena.write(this.pointIn, jacobian);
    this.f.prepareG1(this.pointIn, slot);
    return slot;
  }

  private scratchPreparedG2(i: number, jacobian: Element): PreparedG2 {
    while (this.scratchG2.length <= i) this.scratchG2.push({ pointer: this.arena.alloc(PREPARED_G2_BYTES) });
    const slot = this.scratchG2[i]!;
    this.writePreparedG2(slot.pointer, jacobian);
    return slot;
  }

  private writePreparedG2(pointer: number, jacobian: Element): void {
    this.arena.write(this.pointIn, jacobian);
    this.f.prepareG2(this.pointIn, pointer);
  }
}
