/**
 * Fixed-base scalar multiplication k·G for many scalars k and one generator G, the bulk of a
 * development setup (every key element is some field element times a generator). ffjavascript has
 * batch operations for powers (batchApplyKey) and for sums (multiExp), but none for arbitrary
 * scalars of one base, and its per-point timesScalar does ~380 curve operations. Here:
 *
 * - a table holds ±d·2^(wj)·G for every window j and 1 ≤ d ≤ 2^(w−1), so with signed w-bit digits
 *   a scalar costs one addition per window (⌈255/w⌉ windows absorb the last carry, as k < 2^254);
 * - the additions are affine and batched: one window at a time for the whole chunk of scalars,
 *   with a single field inversion (Montgomery's trick, the module's batchInverse) shared by all of
 *   them. An affine addition then costs about 6 multiplications against 11 for a mixed Jacobian
 *   one, and the results need no conversion to affine form at the end.
 *
 * The rare additions of a point to itself or its negation (equal x) take a slower exact path.
 *
 * For a handful of scalars, where a batch's inversions would not pay, `addMultiple` adds ±k·G to a
 * Jacobian sum by mixed additions, one per nonzero digit (the verifier's L, prover/public-input.ts).
 */
import { writeUintLE } from '../../core/binfile.js';
import { signedDigits } from '../digits.js';
import { FR_BYTES, GROUPS, type GroupName } from '../bn128-layout.js';
import type { WasmArena } from '../wasm-arena.js';

/** Windows needed for w-bit signed digits of scalars below 2^254. */
export function windowCount(window: number): number {
  return Math.ceil(255 / window);
}

/**
 * The window that minimises a worker's work: one addition per window per scalar, plus building
 * the table (2^(w−1) Jacobian additions per window, each about twice an affine one).
 */
export function chooseWindow(scalars: number, group: GroupName): number {
  const maxTableBytes = 128 * 2 ** 20;
  let best = 2;
  let bestCost = Infinity;
  for (let w = 2; w <= 20; w++) {
    const windows = windowCount(w);
    if (windows * 2 ** w * GROUPS[group].affine > maxTableBytes) break;
    const cost = scalars * windows + windows * 2 ** (w - 1) * 2.5;
    if (cost < bestCost) [best, bestCost] = [w, cost];
  }
  return best;
}

export interface MultiplyOutputs {
  /** Affine points as .zkey files store them (Montgomery, little-endian; infinity as zeros). */
  lem?: Uint8Array;
  /** Affine points as snarkjs hashes them (normal form, big-endian, infinity flagged). */
  uncompressed?: Uint8Array;
}

type WasmFunction = (...args: number[]) => number;

export class FixedBaseTable {
  private readonly affine: number;
  private readonly jacobian: number;
  /** Bytes of one coordinate (a base-field element, or a pair of them in G2). */
  private readonly coordinate: number;
  private readonly windows: number;
  private readonly half: number;
  private readonly table: number;
  private readonly g: Record<'zero' | 'addMixed' | 'double' | 'toAffine' | 'batchToAffine' | 'negAffine' | 'doubleAffine' | 'batchLEMtoU', WasmFunction>;
  private readonly f: Record<'sub' | 'mul' | 'square' | 'copy' | 'isZero' | 'eq' | 'zero' | 'batchInverse', WasmFunction>;

  /** Build ±d·2^(wj)·G for d = 1..2^(w−1) in every window j; `generator` is affine LEM. */
  constructor(
    private readonly arena: WasmArena,
    readonly group: GroupName,
    generator: Uint8Array,
    readonly window: number,
  ) {
    const layout = GROUPS[group];
    this.affine = layout.affine;
    this.jacobian = layout.jacobian;
    this.coordinate = layout.affine / 2;
    const g = (name: string) => arena.fn(`${layout.prefix}_${name}`);
    const f = (name: string) => arena.fn(`${group === 'G1' ? 'f1m' : 'f2m'}_${name}`);
    this.g = {
      zero: g('zero'),
      addMixed: g('addMixed'),
      double: g('double'),
      toAffine: g('toAffine'),
      batchToAffine: g('batchToAffine'),
      negAffine: g('negAffine'),
      doubleAffine: g('doubleAffine'),
      batchLEMtoU: g('batchLEMtoU'),
    };
    this.f = { sub: f('sub'), mul: f('mul'), square: f('square'), copy: f('copy'), isZero: f('isZero'), eq: f('eq'), zero: f('zero'), batchInverse: f('batchInverse') };
    this.windows = windowCount(window);
    this.half = 2 ** (window - 1);
    const { affine, jacobian, half } = this;
    // Per window: +1..+half, then −1..−half.
    this.table = arena.alloc(this.windows * 2 * half * affine);

    const mark = arena.top;
    const base = arena.alloc(affine);
    const doubled = arena.alloc(jacobian);
    const column = arena.alloc(half * jacobian);
    arena.scratch(half * 3 * affine);
    arena.write(base, generator);
    for (let j = 0; j < this.windows; j++) {
      const positive = this.table + j * 2 * half * affine;
      this.g.zero(column);
      this.g.addMixed(column, base, column);
      for (let d = 1; d < half; d++) this.g.addMixed(column + (d - 1) * jacobian, base, column + d * jacobian);
      // The next window's base: 2 · 2^(w−1) · base.
      this.g.double(column + (half - 1) * jacobian, doubled);
      this.g.toAffine(doubled, base);
      this.g.batchToAffine(column, half, positive);
      for (let d = 0; d < half; d++) this.g.negAffine(positive + d * affine, positive + (half + d) * affine);
    }
    arena.release(mark);
  }

  /**
   * sum ← sum ± k·G, `sum` a Jacobian point in this arena and k a non-negative integer below 2^254:
   * one mixed addition per nonzero digit (the module's addMixed is exact for equal or opposite points).
   */
  addMultiple(sum: number, k: bigint, negate: boolean): void {
    const digits = signedDigits(new Uint32Array(writeUintLE(k, FR_BYTES).buffer), [0], this.window, this.windows);
    for (let j = 0; j < this.windows; j++) {
      const d = negate ? -digits[j]! : digits[j]!;
      if (d !== 0) this.g.addMixed(sum, this.entry(j, d), sum);
    }
  }

  /** Where d·2^(wj)·G is in the table (d ≠ 0, |d| ≤ 2^(w−1)): per window, +1..+half, then −1..−half. */
  private entry(j: number, d: number): number {
    return this.table + (j * 2 * this.half + (d > 0 ? d - 1 : this.half - d - 1)) * this.affine;
  }

  /** k·G for each 32-byte little-endian scalar (normal form, below r). */
  multiply(scalars: Uint8Array, wanted: { lem: boolean; uncompressed: boolean }): MultiplyOutputs {
    const count = scalars.length / FR_BYTES;
    const { affine, coordinate: fe, arena, windows } = this;
    // A copy as 32-bit words (the scalars may not be 4-byte aligned), wiped once the digits are taken.
    const words = new Uint32Array(scalars.slice().buffer);
    const digits = signedDigits(words, new Int32Array(count).map((_, i) => i), this.window, windows);
    words.fill(0);

    const mark = arena.top;
    const acc = arena.alloc(count * affine);
    const denominators = arena.alloc(count * fe);
    const inverses = arena.alloc(count * fe);
    const uncompressed = wanted.uncompressed ? arena.alloc(count * affine) : 0;
    const t = arena.alloc(3 * fe + this.jacobian);
    const [lambda, x3, tmp, jac] = [t, t + fe, t + 2 * fe, t + 3 * fe];
    arena.scratch((count + 2) * fe + count * affine);
    // Scalars that are zero never touch their accumulator: it must already read as infinity.
    arena.view(acc, count * affine).fill(0);

    const { sub, mul, square, copy, isZero, eq, zero, batchInverse } = this.f;
    const empty = new Uint8Array(count).fill(1); // acc[i] is the point at infinity
    const active = new Int32Array(count);
    const addends = new Int32Array(count);
    for (let j = 0; j < windows; j++) {
      let n = 0;
      for (let i = 0; i < count; i++) {
        const d = digits[j * count + i]!;
        if (d === 0) continue;
        const entry = this.entry(j, d);
        const point = acc + i * affine;
        if (empty[i]) {
          copy(entry, point);
          copy(entry + fe, point + fe);
          empty[i] = 0;
          continue;
        }
        sub(entry, point, denominators + n * fe);
        active[n] = i;
        addends[n] = entry;
        n++;
      }
      if (n === 0) continue;
      batchInverse(denominators, fe, n, inverses, fe);
      for (let k = 0; k < n; k++) {
        const i = active[k]!;
        const point = acc + i * affine;
        const entry = addends[k]!;
        if (isZero(denominators + k * fe)) {
          // Same x: the addend is this point (double it) or its negation (the sum is infinity).
          if (eq(entry + fe, point + fe)) {
            this.g.doubleAffine(point, jac);
            this.g.toAffine(jac, point);
          } else {
            zero(point);
            zero(point + fe);
            empty[i] = 1;
          }
          continue;
        }
        // λ = (y₂ − y₁)/(x₂ − x₁); x₃ = λ² − x₁ − x₂; y₃ = λ(x₁ − x₃) − y₁.
        sub(entry + fe, point + fe, lambda);
        mul(lambda, inverses + k * fe, lambda);
        square(lambda, x3);
        sub(x3, point, x3);
        sub(x3, entry, x3);
        sub(point, x3, tmp);
        mul(lambda, tmp, tmp);
        sub(tmp, point + fe, point + fe);
        copy(x3, point);
      }
    }
    digits.fill(0);

    const result: MultiplyOutputs = {};
    if (wanted.lem) result.lem = arena.copy(acc, count * affine);
    if (wanted.uncompressed) {
      this.g.batchLEMtoU(acc, count, uncompressed);
      result.uncompressed = arena.copy(uncompressed, count * affine);
    }
    // The points are public, but the intermediate sums and inverses are partial scalars.
    arena.wipe(mark, arena.top - mark);
    arena.release(mark);
    return result;
  }
}
