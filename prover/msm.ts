/**
 * Multi-scalar multiplication for the prover: Σ sᵢ·Pᵢ over the proving key's affine points, by
 * Pippenger's bucket method with two changes from ffjavascript's (which snarkjs uses):
 *
 * - Signed digits: each c-bit window digit is taken in [-2^(c-1), 2^(c-1)], a negative one adding
 *   -Pᵢ = (x, -y) to bucket |d|. Half the buckets, so half the cost of summing them.
 * - Batch-affine bucket sums: a bucket's points are added in affine form, pairwise in rounds, and
 *   all the independent additions of a round share one field inversion (Montgomery's trick). An
 *   affine addition then costs about 6 multiplications instead of a mixed Jacobian addition's 11.
 *   The batch runs inside WebAssembly (g1m_/g2m_zkBatchAddAffine, prover/msm-kernels.ts, added to
 *   ffjavascript's bn128 module by prover/wasm-module.ts) on prover/field29.ts's fields; the bases are converted
 *   to that form once, when they are loaded (Msm.bases).
 *
 * Scheduling (which point goes to which bucket, which additions make a batch) is pure JavaScript
 * over small integers, in prover/msm-schedule.ts. Each window group's operands are first copied,
 * in bucket order, into consecutive slots (g1m_/g2m_zkGather), so that the additions read
 * neighbouring memory rather than points scattered over the bases, and sum in place. A batch
 * entry whose two x coordinates are equal (the bucket holds ±the point) cannot use the affine
 * formula; the batch reports it, and it is redone with the module's complete addition; a sum at
 * infinity empties its slot (BucketRounds.markEmpty). Points at infinity (the key's A and B
 * sections have them for signals that do not occur there) and zero scalars are skipped.
 *
 * The window width is chosen per call from the scalars' actual bit lengths (a witness is mostly
 * zeros, bits and small integers, and only the hashes' internal signals are full width), unless
 * the bases come with precomputed window multiples (Msm.bases with a window: MsmBases.fixed), which fix it.
 */
import { FQ_BYTES } from './bn128-layout.js';
import { signedDigits } from './digits.js';
import { ZQ_BYTES } from './field29.js';
import { CODE, ENTRY_BYTES, type Group, type GroupCode, MAX_BATCH } from './msm-kernels.js';
import { BucketRounds, sortByBucket } from './msm-schedule.js';
import type { WasmArena } from './wasm-arena.js';

/** Widest window: 2^(16-1) buckets. */
const MAX_WINDOW = 16;

/**
 * One group's MSM working space in an arena, allocated once for MSMs of up to `capacity` points.
 *
 * The windows' digits sort the points into buckets (window j, digit b), and every bucket's points
 * are summed as a tree: round one adds them in pairs, round two adds the pair sums in pairs, and so
 * on. All the additions of a round are independent, across buckets and across windows, so a round
 * is a few batches of up to MAX_BATCH additions with one inversion each. Windows are taken in
 * groups whose partial sums fit the slots; then each window's buckets are summed by running sums
 * and the windows combined from the top (Horner).
 */
export class Msm {
  private readonly code: GroupCode;
  /** Bytes of an affine point in the MSM's field form, and in ffjavascript's. */
  private readonly affine: number;
  private readonly ffAffine: number;
  private readonly ffJacobian: number;
  readonly capacity: number;

  /** An MSM on working space allocated before (by Msm.allocate, maybe in another thread on the same memory). */
  constructor(
    private readonly arena: WasmArena,
    readonly space: MsmWorkspace,
  ) {
    this.code = CODE[space.group];
    this.capacity = space.capacity;
    this.affine = 2 * this.code.degree * ZQ_BYTES;
    this.ffAffine = 2 * this.code.degree * FQ_BYTES;
    this.ffJacobian = 3 * this.code.degree * FQ_BYTES;
  }

  /**
   * For MSMs of up to `capacity` points; `slotCount` partial sums bound how many window digits are
   * summed at once (precomputed bases want room for all of an MSM's digits).
   */
  static allocate(arena: WasmArena, group: Group, capacity: number, slotCount = 2 * capacity): Msm {
    const { degree } = CODE[group];
    const [affine, ffAffine, ffJacobian] = [2 * degree * ZQ_BYTES, 2 * degree * FQ_BYTES, 3 * degree * FQ_BYTES];
    const slots = slotCount + 64;
    return new Msm(arena, {
      group,
      capacity,
      slotCount: slots,
      slots: arena.alloc(slots * affine),
      entries: arena.alloc(MAX_BATCH * ENTRY_BYTES),
      specials: arena.alloc(MAX_BATCH * 4),
      running: arena.alloc(ffJacobian),
      windowSum: arena.alloc(ffJacobian),
      temp: arena.alloc(ffJacobian),
      ffPoints: arena.alloc(2 * ffAffine),
    });
  }

  /**
   * Take affine points in ffjavascript's form (the key's layout) as the bases of MSMs: copied into
   * the arena in the MSM's field form. With a window width `c`, also precompute
   * 2^(c·j)·Pᵢ for every window j of c-bit digits, so that an MSM on these bases adds every
   * window's digits into one set of buckets: one bucket sum and no doublings per MSM, for
   * `windows - 1` more copies of the bases in memory.
   */
  bases(ffPoints: Uint8Array, c?: number): MsmBases {
    const { arena } = this;
    const { group, degree } = this.code;
    const n = ffPoints.byteLength / this.ffAffine;
    const windows = c === undefined ? 1 : Math.ceil(256 / c);
    const table = arena.alloc(windows * n * this.affine);
    const level = (j: number) => table + j * n * this.affine;
    const mark = arena.top;
    const points = arena.alloc(ffPoints.byteLength);
    arena.write(points, ffPoints);
    const isZero = arena.fn(`${group}_isZeroAffine`);
    const infinity = new Uint8Array(n);
    for (let i = 0; i < n; i++) infinity[i] = isZero(points + i * this.ffAffine) ? 1 : 0;
    arena.fn('zq_batchFromFf')(points, level(0), n * 2 * degree);
    arena.release(mark);
    // Level j is level j - 1 doubled c times, MAX_BATCH points to an inversion.
    const double = arena.fn(`${group}_zkBatchDoubleAffine`);
    for (let j = 1; j < windows; j++) {
      arena.view(0, arena.top).copyWithin(level(j), level(j - 1), level(j - 1) + n * this.affine);
      for (let d = 0; d < c!; d++) {
        for (let first = 0; first < n; first += MAX_BATCH) double(level(j) + first * this.affine, Math.min(MAX_BATCH, n - first));
      }
    }
    return { n, infinity, ...(c === undefined ? {} : { fixed: { c, windows } }), table, stride: n * this.affine };
  }

  /** A point in the MSM's form into ffjavascript's (at `out`). */
  private exportPoint(point: number, out: number): void {
    this.arena.fn('zq_batchToFf')(point, out, 2 * this.code.degree);
  }

  /**
   * out (Jacobian, ffjavascript's form) = Σ scalars[i]·bases[first + i] for i < n, from n 32-byte
   * little-endian scalars in normal form, below 2^255. A proof's threads each take a range of
   * points (prover/threads/), the sum of their outs being the whole MSM.
   */
  run(bases: MsmBases, scalars: number, n: number, out: number, first = 0): void {
    if (n > this.capacity) throw new RangeError(`an MSM of ${n} points in space for ${this.capacity}`);
    const { fixed } = bases;
    if (first + n > bases.n) throw new RangeError(`an MSM of points ${first} to ${first + n} on ${bases.n} bases`);
    const { arena } = this;
    const f = this.functions();
    f.zero(out);

    const words = new Uint32Array(arena.view(scalars, n * 32).slice().buffer);
    const { used, ones, bitLength, maxBits } = classifyScalars(words, bases.infinity.subarray(first), n);
    if (used.length === 0 && ones.length === 0) return;

    const c = fixed?.c ?? chooseWindow(bitLength, maxBits);
    const windows = Math.ceil((maxBits + 1) / c);
    if (fixed && windows > fixed.windows) throw new RangeError(`scalars of ${maxBits} bits need ${windows} windows, the bases have ${fixed.windows}`);
    const half = 1 << (c - 1);
    const digits = signedDigits(words, used, c, windows);
    const nonzero = nonzeroPerWindow(digits, windows, used.length);
    nonzero[0]! += ones.length;

    const { slotCount } = this.space;
    let high = windows - 1;
    while (high >= 0) {
      // The windows high, high - 1, …, low: as many as the slots allow.
      let low = high;
      let operands = nonzero[high]!;
      while (low > 0 && operands + nonzero[low - 1]! <= slotCount) operands += nonzero[--low]!;
      if (operands > slotCount) throw new RangeError(`${operands} bucket operands for ${slotCount} slots`);
      const sorted = sortByBucket(digits, used, low, high, half, fixed !== undefined, ones);
      this.gather(sorted, operands, bases, bases.table + first * this.affine);
      const rounds = this.sumBuckets(sorted.start);
      // Each bucket set: Σ b·bucket_b as running sums from the top bucket down; windows by Horner.
      for (let set = (fixed ? 1 : high - low + 1) - 1; set >= 0; set--) {
        if (!fixed) for (let d = 0; d < c && !f.isZero(out); d++) f.double(out, out);
        this.addBucketSet(rounds, set * half, half, out);
      }
      high = low - 1;
    }
  }

  private cached: MsmFunctions | undefined;

  /** The module's functions for this group, looked up once. */
  private functions(): MsmFunctions {
    if (this.cached) return this.cached;
    const { arena } = this;
    const { group } = this.code;
    const fn = (name: string) => arena.fn(`${group}_${name}`);
    this.cached = {
      zero: fn('zero'),
      add: fn('add'),
      addMixed: fn('addMixed'),
      addAffine: fn('addAffine'),
      double: fn('double'),
      isZero: fn('isZero'),
      toAffine: fn('toAffine'),
      batchAdd: fn('zkBatchAddAffine'),
      gather: fn('zkGather'),
      importPoint: arena.fn('zq_batchFromFf'),
    };
    return this.cached;
  }

  /**
   * The operands, in bucket order, copied into slots 0 … operands - 1 with their signs applied.
   * The rounds then read neighbouring points, not bases scattered over the table, and sum each
   * pair in place.
   */
  private gather(sorted: ReturnType<typeof sortByBucket>, operands: number, bases: MsmBases, points: number): void {
    const { arena } = this;
    const { slots, entries, specials } = this.space;
    const gather = this.functions().gather;
    for (let first = 0; first < operands; first += MAX_BATCH) {
      const count = Math.min(MAX_BATCH, operands - first);
      operandAddresses(new Int32Array(arena.view(0, arena.top).buffer, entries, count), sorted, first, bases, points, this.affine);
      arena.view(specials, count).set(sorted.negative.subarray(first, first + count));
      gather(entries, specials, count, slots + first * this.affine);
    }
  }

  /** The batches of pairwise additions until every bucket (its operands from slot start[g] on) holds at most one sum. */
  private sumBuckets(start: Int32Array): BucketRounds {
    const { arena, affine } = this;
    const { slots, entries: entriesAt, specials, temp, ffPoints } = this.space;
    const f = this.functions();
    const [ffA, ffB] = [ffPoints, ffPoints + this.ffAffine];
    const memory = arena.view(0, arena.top);
    const rounds = new BucketRounds(start);
    const entries = new Int32Array(memory.buffer, entriesAt, MAX_BATCH * 4);
    for (let pending; (pending = rounds.nextBatch(entries, MAX_BATCH, slots, affine)) > 0 || rounds.moves.length > 0; ) {
      for (let i = 0; i < rounds.moves.length; i += 2) memory.copyWithin(slots + rounds.moves[i]! * affine, slots + rounds.moves[i + 1]! * affine, slots + (rounds.moves[i + 1]! + 1) * affine);
      const nSpecial = f.batchAdd(entriesAt, pending, specials);
      // Equal x: the sum is a doubling or the point at infinity; ffjavascript's complete addition decides.
      for (const k of new Int32Array(arena.view(specials, nSpecial * 4).slice().buffer)) {
        const [out, a, b] = [entries[4 * k]!, entries[4 * k + 1]!, entries[4 * k + 2]!];
        this.exportPoint(a, ffA);
        this.exportPoint(b, ffB);
        f.addAffine(ffA, ffB, temp);
        if (f.isZero(temp)) {
          rounds.markEmpty((out - slots) / affine);
        } else {
          f.toAffine(temp, ffA);
          f.importPoint(ffA, out, 2 * this.code.degree);
        }
      }
    }
    return rounds;
  }

  /** out += Σ b·bucket(offset + b - 1) for b = 1 … half, as running sums from the top bucket down. */
  private addBucketSet(rounds: BucketRounds, offset: number, half: number, out: number): void {
    const { slots, running, windowSum, ffPoints } = this.space;
    const f = this.functions();
    f.zero(running);
    f.zero(windowSum);
    let started = false;
    for (let b = half; b >= 1; b--) {
      const g = offset + b - 1;
      if (rounds.holdsPoint(g)) {
        this.exportPoint(slots + rounds.start[g]! * this.affine, ffPoints);
        f.addMixed(running, ffPoints, running);
        started = true;
      }
      if (started) f.add(windowSum, running, windowSum);
    }
    f.add(out, windowSum, out);
  }
}

/** The module's functions an Msm calls, for its group. */
type MsmFunctions = Record<'zero' | 'add' | 'addMixed' | 'addAffine' | 'double' | 'isZero' | 'toAffine' | 'batchAdd' | 'gather' | 'importPoint', (...args: number[]) => number>;

/*
 * The loops of Msm.run over every point or digit, each a function of its own. V8 compiles a hot
 * loop while it runs (on-stack replacement), and when that loop sits in a long function, it
 * compiles the whole function, then again each time the code after the loop, which had not run
 * yet, deoptimizes it: a one-shot proof spent about a tenth of its CPU time compiling Msm.run.
 */

/**
 * The scalars' indices, the wider ones' apart from the ones', with the wider ones' bit lengths.
 * A witness is about half zeros and half ones (bits, ReLU signs): a one has a single nonzero
 * digit, 1 in window 0, so its point goes straight into that bucket, and the digit and bucket
 * passes, which cost windows × points, see only the wider scalars. Points at infinity (`skip`)
 * and zero scalars are left out.
 */
function classifyScalars(words: Uint32Array, skip: Uint8Array, n: number): { used: number[]; ones: number[]; bitLength: number[]; maxBits: number } {
  const used: number[] = [];
  const ones: number[] = [];
  const bitLength: number[] = [];
  let maxBits = 0;
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    let top = 7;
    while (top >= 0 && words[i * 8 + top] === 0) top--;
    if (top < 0) continue;
    if (top === 0 && words[i * 8] === 1) {
      ones.push(i);
      continue;
    }
    const bits = top * 32 + (32 - Math.clz32(words[i * 8 + top]!));
    used.push(i);
    bitLength.push(bits);
    if (bits > maxBits) maxBits = bits;
  }
  return { used, ones, bitLength, maxBits };
}

/** The nonzero digits of each window (signedDigits' layout, m digits per window). */
function nonzeroPerWindow(digits: Int32Array, windows: number, m: number): Int32Array {
  const nonzero = new Int32Array(windows);
  for (let j = 0; j < windows; j++) {
    let count = 0;
    for (let k = j * m, end = k + m; k < end; k++) if (digits[k] !== 0) count++;
    nonzero[j] = count;
  }
  return nonzero;
}

/**
 * The addresses of the sorted operands first … first + sources.length - 1: their point in the
 * table level of their window (precomputed bases), or in the points themselves (`points`).
 */
function operandAddresses(sources: Int32Array, sorted: { point: Int32Array; window: Uint8Array }, first: number, bases: MsmBases, points: number, affine: number): void {
  const { point, window } = sorted;
  if (bases.fixed) {
    for (let k = 0; k < sources.length; k++) sources[k] = points + window[first + k]! * bases.stride + point[first + k]! * affine;
  } else {
    for (let k = 0; k < sources.length; k++) sources[k] = points + point[first + k]! * affine;
  }
}

/** The bases of MSMs, in the arena in the MSM's field form (Msm.bases). */
export interface MsmBases {
  n: number;
  /** 1 for each point at infinity (skipped). */
  infinity: Uint8Array;
  /** With window multiples precomputed: their window width and count. */
  fixed?: { c: number; windows: number };
  /** 2^(c·j)·P₀ … 2^(c·j)·P_(n-1) start at table + j·stride (j = 0: the points themselves). */
  table: number;
  stride: number;
}

/** Where an Msm's working space is: plain numbers, so that a thread on the same memory can use it. */
export interface MsmWorkspace {
  group: Group;
  capacity: number;
  /** Affine partial sums. */
  slots: number;
  slotCount: number;
  entries: number;
  specials: number;
  running: number;
  windowSum: number;
  temp: number;
  /** Two affine points in ffjavascript's form, for the additions done there. */
  ffPoints: number;
}

/**
 * The window width with the least estimated work: an affine bucket addition per nonzero digit
 * (about half a Jacobian one), and two Jacobian additions per bucket per window for the sums.
 */
function chooseWindow(bitLengths: readonly number[], maxBits: number): number {
  let best = 2;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let c = 2; c <= MAX_WINDOW; c++) {
    let digits = 0;
    for (const bits of bitLengths) digits += Math.ceil((bits + 1) / c);
    const windows = Math.ceil((maxBits + 1) / c);
    const cost = 0.55 * digits + windows * 2 * (1 << (c - 1));
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}
