/**
 * A product of pairings checked in one pass, ∏ e(Pᵢ, Qᵢ) = T as one multi-Miller loop and one
 * final exponentiation, on an instance of the prover's WebAssembly (prover/wasm-module.ts) with
 * memory of its own: the loop and the exponentiation run on field29's limbs, in one call each
 * (prover/pairing-kernels.ts); points come in, and results go out, in ffjavascript's form.
 *
 * Pairs share the loop's 64 squarings: the loops of several pairs share one accumulator when their
 * lines are applied at the same step, because multiplication in Fp12 commutes, so ∏ᵢ fᵢ is the
 * same element, bit for bit, as the product of separate loops (a test holds it to that). Fixed
 * points' line coefficients (a verification key's β, γ and δ) stay in this arena's memory.
 *
 * A G2 point's lines are computed on field29 too (prover/g2-kernels.ts), with the values of the
 * module's own `bn128_prepareG2` (ffjavascript's): one (ℓ₀, ℓ_VW, ℓ_VV) per doubling and per set
 * bit of 6x + 2 (from the top, the top bit excepted), then two for the Frobenius steps; the same
 * file tests G2 membership (`inG2`). `create` holds the kernels' Miller loop (on the generators'
 * lines) and final exponentiation to the module's `bn128_millerLoop` and
 * `bn128_finalExponentiation`, byte for byte, and the generator of G2 to the subgroup test, so a
 * module built otherwise is refused rather than giving wrong verdicts.
 */
import { ZkinferError } from '../core/errors.js';
import type { Element } from './bn128.js';
import { FQ_BYTES, GROUPS } from './bn128-layout.js';
import { G2_KERNELS, ZG2_BYTES } from './g2-kernels.js';
import { LINES, LINE_BYTES, PAIRING_KERNELS, PAIR_ENTRY_BYTES, ZG1_BYTES, ZQ12_BYTES } from './pairing-kernels.js';
import { WasmArena } from './wasm-arena.js';

const F2_BYTES = 2 * FQ_BYTES;
const F12_BYTES = 12 * FQ_BYTES;
/** What the module's prepareG2 writes: a 3-element header, then LINES coefficients of three Fq2 elements. */
const FF_PREPARED_G2_BYTES = 3 * F2_BYTES + LINES * 3 * F2_BYTES;
/** What its prepareG1 writes (a normalized Jacobian point) in the room it is given. */
const FF_PREPARED_G1_BYTES = 6 * FQ_BYTES;

/** A G2 point's line coefficients, resident in one arena. */
export interface PreparedG2 {
  readonly pointer: number;
}

type Kernel = (...args: number[]) => number;

export class PairingArena {
  private readonly k: Record<keyof typeof PAIRING_KERNELS, Kernel>;
  private readonly g2: Record<keyof typeof G2_KERNELS, Kernel>;
  private readonly ff: Record<'isZeroG1' | 'prepareG1' | 'prepareG2' | 'normalizeG2' | 'millerLoop' | 'finalExp' | 'batchFromFf', Kernel>;
  /** Scratch of the per-check points: a G1 or G2 point in, ffjavascript's preparation out. */
  private readonly pointIn: number;
  private readonly ffPrepared: number;
  /** A G2 point, affine, on field29. */
  private readonly pointG2: number;
  /** An Fp12 element in ffjavascript's form, in or out. */
  private readonly ffElement: number;
  private readonly accumulator: number;
  private readonly target: number;
  /** 1 in Fp12, the target of a batch's check. */
  private readonly one: number;
  /** The Miller loop's table of pairs (G1 point, next line), room for `capacity`. */
  private table = { pointer: 0, capacity: 0 };
  private readonly points: number[] = [];
  private readonly scratchG2: PreparedG2[] = [];

  private constructor(private readonly arena: WasmArena) {
    this.k = Object.fromEntries(Object.entries(PAIRING_KERNELS).map(([key, name]) => [key, arena.fn(name)])) as PairingArena['k'];
    this.g2 = Object.fromEntries(Object.entries(G2_KERNELS).map(([key, name]) => [key, arena.fn(name)])) as PairingArena['g2'];
    this.ff = {
      isZeroG1: arena.fn('g1m_isZero'),
      prepareG1: arena.fn('bn128_prepareG1'),
      prepareG2: arena.fn('bn128_prepareG2'),
      normalizeG2: arena.fn('g2m_normalize'),
      millerLoop: arena.fn('bn128_millerLoop'),
      finalExp: arena.fn('bn128_finalExponentiation'),
      batchFromFf: arena.fn('zq_batchFromFf'),
    };
    this.pointIn = arena.alloc(GROUPS.G2.jacobian);
    this.ffPrepared = arena.alloc(FF_PREPARED_G2_BYTES);
    this.pointG2 = arena.alloc(ZG2_BYTES);
    this.ffElement = arena.alloc(F12_BYTES);
    this.accumulator = arena.alloc(ZQ12_BYTES);
    this.target = arena.alloc(ZQ12_BYTES);
    this.one = arena.alloc(ZQ12_BYTES);
    this.k.one(this.one);
  }

  /**
   * An arena on the prover's module (prover/wasm-module.ts's proverModule, or a page's copy);
   * `generators` are G1's and G2's, Jacobian, to hold the kernels to ffjavascript's pairing once.
   */
  static create(module: WebAssembly.Module, generators: { g1: Element; g2: Element }): PairingArena {
    const pairing = new PairingArena(WasmArena.create(module));
    pairing.checkAgainstModule(generators);
    return pairing;
  }

  /** Line coefficients of a G2 point (affine, or Jacobian), kept in this arena for its lifetime; not the point at infinity. */
  prepareG2(point: Element): PreparedG2 {
    const pointer = this.arena.alloc(LINES * LINE_BYTES);
    this.writePreparedG2(pointer, point);
    return { pointer };
  }

  /**
   * Whether an affine point of the twist (ffjavascript's form, 128 bytes, on the curve: not
   * checked here) lies in G2, by prover/g2-subgroup.ts's criterion ψ(Q) = [6x²]Q on field29.
   */
  inG2(affine: Element): boolean {
    this.writePointG2(affine);
    return this.g2.inG2(this.pointG2) === 1;
  }

  /** An element of Gt (or any of Fp12 in ffjavascript's form, 384 bytes) kept as the target of checks. */
  setTarget(element: Element): void {
    this.fromFf(element, this.target);
  }

  /**
   * Whether FinalExp(∏ Miller(Pᵢ, Qᵢ)) equals the target: the G1 points Jacobian (the point at
   * infinity allowed: its pair is 1), each G2 point
   * prepared in this arena or given (affine or Jacobian, not the point at infinity) to be prepared
   * in scratch for this check.
   */
  productEqualsTarget(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): boolean {
    return this.productEquals(pairs, this.target);
  }

  /** Whether FinalExp(∏ Miller(Pᵢ, Qᵢ)) is 1, the pairs as for productEqualsTarget. */
  productIsOne(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): boolean {
    return this.productEquals(pairs, this.one);
  }

  private productEquals(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[], expected: number): boolean {
    const product = this.millerProduct(pairs);
    this.k.finalExponentiation(product, product);
    return this.k.equal(product, expected) === 1;
  }

  /** ∏ Miller(Pᵢ, Qᵢ), before the final exponentiation, in ffjavascript's form (what its millerLoops multiplied give). */
  millerLoops(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): Element {
    return this.toFf(this.millerProduct(pairs));
  }

  /** An Fp12 element (ffjavascript's form) raised to the final exponent, in that form. */
  finalExponentiation(element: Element): Element {
    this.fromFf(element, this.accumulator);
    this.k.finalExponentiation(this.accumulator, this.accumulator);
    return this.toFf(this.accumulator);
  }

  /** ∏ Miller(Pᵢ, Qᵢ) in the accumulator, one kernel call for all the pairs. */
  private millerProduct(pairs: readonly { g1: Element; g2: PreparedG2 | Element }[]): number {
    const entries: number[][] = [];
    for (const [i, { g1, g2 }] of pairs.entries()) {
      const point = this.prepareG1(i, g1);
      // A pair whose G1 point is the point at infinity pairs to 1 (its lines need a finite point).
      if (point !== undefined) entries.push([point, g2 instanceof Uint8Array ? this.scratchPreparedG2(i, g2).pointer : g2.pointer]);
    }
    if (this.table.capacity < entries.length) this.table = { pointer: this.arena.alloc(entries.length * PAIR_ENTRY_BYTES), capacity: entries.length };
    this.arena.write(this.table.pointer, new Uint8Array(Uint32Array.from(entries.flat()).buffer));
    this.k.millerLoop(this.table.pointer, entries.length, this.accumulator);
    return this.accumulator;
  }

  /** The i-th per-check G1 slot, holding `jacobian` normalized (by the module's prepareG1) on field29; undefined for the point at infinity. */
  private prepareG1(i: number, jacobian: Element): number | undefined {
    while (this.points.length <= i) this.points.push(this.arena.alloc(ZG1_BYTES));
    const slot = this.points[i]!;
    this.arena.write(this.pointIn, jacobian);
    if (this.ff.isZeroG1(this.pointIn)) return undefined;
    this.ff.prepareG1(this.pointIn, this.ffPrepared);
    this.ff.batchFromFf(this.ffPrepared, slot, 2);
    return slot;
  }

  private scratchPreparedG2(i: number, point: Element): PreparedG2 {
    while (this.scratchG2.length <= i) this.scratchG2.push({ pointer: this.arena.alloc(LINES * LINE_BYTES) });
    const slot = this.scratchG2[i]!;
    this.writePreparedG2(slot.pointer, point);
    return slot;
  }

  private writePreparedG2(pointer: number, point: Element): void {
    this.writePointG2(point);
    this.g2.prepareLines(this.pointG2, pointer);
  }

  /** A G2 point, affine (128 bytes) or Jacobian (192), into pointG2, affine on field29. */
  private writePointG2(point: Element): void {
    this.arena.write(this.pointIn, point);
    let affine = this.pointIn;
    if (point.length === GROUPS.G2.jacobian) this.ff.normalizeG2(this.pointIn, (affine = this.ffPrepared));
    else if (point.length !== GROUPS.G2.affine) throw new ZkinferError('INTERNAL', `a G2 point of ${point.length} bytes`);
    this.ff.batchFromFf(affine, this.pointG2, 4);
  }

  private fromFf(element: Element, pointer: number): void {
    this.arena.write(this.ffElement, element);
    this.k.fromFf(this.ffElement, pointer);
  }

  private toFf(pointer: number): Element {
    this.k.toFf(pointer, this.ffElement);
    return this.arena.copy(this.ffElement, F12_BYTES);
  }

  /** The kernels' Miller loop and final exponentiation on the generators, against the module's own. */
  private checkAgainstModule({ g1, g2 }: { g1: Element; g2: Element }): void {
    const ours = this.millerLoops([{ g1, g2 }]);
    const ffG1 = this.arena.alloc(FF_PREPARED_G1_BYTES);
    const ffG2 = this.arena.alloc(FF_PREPARED_G2_BYTES);
    const theirs = this.arena.alloc(F12_BYTES);
    this.arena.write(this.pointIn, g1);
    this.ff.prepareG1(this.pointIn, ffG1);
    this.arena.write(this.pointIn, g2);
    this.ff.prepareG2(this.pointIn, ffG2);
    this.ff.millerLoop(ffG1, ffG2, theirs);
    // No Buffer: this runs in a page too.
    const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);
    if (!this.inG2(this.arena.copy(ffG2, GROUPS.G2.affine))) throw new ZkinferError('INTERNAL', "G2's generator fails the subgroup test on field29: ψ's constants are not the twist's");
    if (!same(ours, this.arena.copy(theirs, F12_BYTES))) {
      throw new ZkinferError('INTERNAL', "the multi-Miller loop disagrees with ffjavascript's bn128_millerLoop: the module's line layout is not the one prover/pairing-kernels.ts assumes");
    }
    this.ff.finalExp(theirs, theirs);
    if (!same(this.finalExponentiation(ours), this.arena.copy(theirs, F12_BYTES))) {
      throw new ZkinferError('INTERNAL', "the final exponentiation disagrees with ffjavascript's bn128_finalExponentiation: its exponent is not the one prover/pairing-kernels.ts assumes");
    }
  }
}
