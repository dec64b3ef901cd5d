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
 * in bucket order, into consecutive slots (g1m_/g2m_zkScatter, reading the bases in order; the
 * points whose scalar is 1 by g1m_/g2m_zkGather), so that the additions read neighbouring memory
 * rather than points scattered over the bases, and sum in place. A batch
 * entry whose two x coordinates are equal (the bucket holds ±the point) cannot use the affine
 * formula; the batch reports it, and it is redone with the module's complete addition; a sum at
 * infinity empties its slot (BucketRounds.markEmpty). Points at infinity (the key's A and B
 * sections have them for signals that do not occur there) and zero scalars are skipped.
 *
 * Each window's buckets are then weighted and summed (Σ b·bucket_b) by running sums: in batch-affine
 * form too, many segments of buckets side by side, where there are enough buckets for the batches
 * to pay (Msm.addBucketSums); with few, in ffjavascript's Jacobian form.
 *
 * The window width is chosen per call from the scalars' actual bit lengths (a witness is mostly
 * zeros, bits and small integers, and only the hashes' internal signals are full width), unless
 * the bases come with precomputed window multiples (Msm.bases with a window: MsmBases.fixed), which fix it.
 */
import { FQ_BYTES } from './bn128-layout.js';
import { liftedWords, signedDigits } from './digits.js';
import { ZQ_BYTES } from './field29.js';
import { CODE, ENTRY_BYTES, type Group, type GroupCode, MAX_BATCH } from './msm-kernels.js';
import { BucketRounds, type BucketOperands, sortByBucket } from './msm-schedule.js';
import type { WasmArena } from './wasm-arena.js';

/** Widest window: 2^(16-1) buckets. */
const MAX_WINDOW = 16;
/** Operands of a chunk of buckets summed before the next (BucketRounds): about what the cache holds. */
const CHUNK_SLOTS = 2 * MAX_BATCH;

/**
 * One group's MSM working space in an arena, allocated once for MSMs of up to `capacity` points.
 *
 * The windows' digits sort the points into buckets (window j, digit b), and every bucket's points
 * are summed as a tree: round one adds them in pairs, round two adds the pair sums in pairs, and so
 * on. All the additions of a round are independent, across buckets and across windows, so a round
 * is a few batches of up to MAX_BATCH additions with one inversion each. Windows are taken in
 * groups whose partial sums fit the slots; then each window's buckets are summed by running sums
 * (addBucketSums) and the windows combined from the top (Horner).
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
      used: arena.alloc(capacity * 4),
      slotRow: arena.alloc(capacity * 4),
      chains: arena.alloc(2 * MAX_BATCH * affine),
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
   * points (prover/threads/), the sum of their outs being the whole MSM; or, with `part`, all the
   * points and `part.index`'s share of the windows (splitWindows), which every part chooses alike.
   */
  run(bases: MsmBases, scalars: number, n: number, out: number, first = 0, part: WindowPart = { index: 0, of: 1 }): void {
    if (n > this.capacity) throw new RangeError(`an MSM of ${n} points in space for ${this.capacity}`);
    const { fixed } = bases;
    if (first + n > bases.n) throw new RangeError(`an MSM of points ${first} to ${first + n} on ${bases.n} bases`);
    const { arena } = this;
    const f = this.functions();
    f.zero(out);

    const kept = this.kept(n);
    new Uint8Array(kept.words.buffer, 0, n * 32).set(arena.view(scalars, n * 32));
    const { used, ones, bitLengths, maxBits } = classifyScalars(kept, bases.infinity.subarray(first), n);
    const { words } = kept;
    if (used.length === 0 && ones.length === 0) return;

    const c = fixed?.c ?? chooseWindow(bitLengths, maxBits);
    const windows = Math.ceil((maxBits + 1) / c);
    if (fixed && windows > fixed.windows) throw new RangeError(`scalars of ${maxBits} bits need ${windows} windows, the bases have ${fixed.windows}`);
    const half = 1 << (c - 1);
    if (kept.digits.length < windows * used.length) kept.digits = new Int32Array(windows * used.length);
    const liftedLength = liftedWords(c, windows) * used.length;
    if (kept.lifted.length < liftedLength) kept.lifted = new Int32Array(liftedLength);
    const digits = signedDigits(words, used, c, windows, kept.digits, kept.lifted);
    new Int32Array(arena.view(0, arena.top).buffer, this.space.used, used.length).set(used);
    const nonzero = nonzeroPerWindow(digits, windows, used.length);
    nonzero[0]! += ones.length;
    const mine = splitWindows(nonzero, half, part.of)[part.index];
    if (!mine) return;

    const { slotCount } = this.space;
    let high = mine.high;
    while (high >= mine.low) {
      // The windows high, high - 1, …, low: as many as the slots allow.
      let low = high;
      let operands = nonzero[high]!;
      while (low > mine.low && operands + nonzero[low - 1]! <= slotCount) operands += nonzero[--low]!;
      if (operands > slotCount) throw new RangeError(`${operands} bucket operands for ${slotCount} slots`);
      if (kept.slots.length < (high - low + 1) * used.length) kept.slots = new Int32Array((high - low + 1) * used.length);
      const sorted = sortByBucket(digits, used, low, high, half, fixed !== undefined, ones, kept.slots);
      this.scatter(sorted, low, high, bases, first);
      if (low === 0 && ones.length > 0) this.gatherOnes(ones, sorted.start[1]! - ones.length, bases.table + first * this.affine);
      const rounds = this.sumBuckets(sorted.start);
      this.addBucketSums(rounds, fixed ? 1 : high - low + 1, half, fixed ? 0 : c, out);
      high = low - 1;
    }
    // Windows low … high summed as if low were window 0: times 2^(c·low) (precomputed bases are shifted already).
    if (!fixed) for (let d = 0; d < c * mine.low && !f.isZero(out); d++) f.double(out, out);
  }

  private cached: MsmFunctions | undefined;
  private keptArrays: KeptArrays | undefined;

  /**
   * The arrays of run's steps, kept from one MSM to the next: fresh arrays of an H MSM's size cost
   * about as much as the steps that fill them (their pages are mapped on first touch), and arrays of
   * numbers grown by push many times more.
   */
  private kept(n: number): KeptArrays {
    if (!this.keptArrays || this.keptArrays.used.length < n) {
      const size = Math.max(n, this.keptArrays?.used.length ?? 0);
      this.keptArrays = { words: new Uint32Array(size * 8), used: new Int32Array(size), ones: new Int32Array(size), bitLengths: new Int32Array(size), digits: new Int32Array(0), lifted: new Int32Array(0), slots: new Int32Array(0) };
    }
    return this.keptArrays;
  }

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
      scatter: fn('zkScatter'),
      importPoint: arena.fn('zq_batchFromFf'),
    };
    return this.cached;
  }

  /**
   * The operands of windows low … high copied into their slots (sortByBucket's slotOf), with their
   * signs applied, window by window, reading the bases in order (zkScatter): the rounds then read
   * neighbouring points, not bases scattered over the table, and sum each pair in place.
   */
  private scatter(sorted: BucketOperands, low: number, high: number, bases: MsmBases, first: number): void {
    const { arena, affine } = this;
    const { slots, used, slotRow } = this.space;
    const scatter = this.functions().scatter;
    const m = sorted.slotOf.length / (high - low + 1);
    const row = new Int32Array(arena.view(0, arena.top).buffer, slotRow, m);
    for (let j = low; j <= high; j++) {
      row.set(sorted.slotOf.subarray((j - low) * m, (j - low + 1) * m));
      const points = bases.table + (bases.fixed ? j * bases.stride : 0) + first * affine;
      scatter(points, used, slotRow, m, slots);
    }
  }

  /** The points whose scalar is 1 (classifyScalars' ones), copied into slots from `slot` on. */
  private gatherOnes(ones: Int32Array, slot: number, points: number): void {
    const { arena, affine } = this;
    const { slots, entries, specials } = this.space;
    const gather = this.functions().gather;
    for (let first = 0; first < ones.length; first += MAX_BATCH) {
      const count = Math.min(MAX_BATCH, ones.length - first);
      const sources = new Int32Array(arena.view(0, arena.top).buffer, entries, count);
      for (let k = 0; k < count; k++) sources[k] = points + ones[first + k]! * affine;
      arena.view(specials, count).fill(0);
      gather(entries, specials, count, slots + (slot + first) * affine);
    }
  }

  /** The batches of pairwise additions until every bucket (its operands from slot start[g] on) holds at most one sum. */
  private sumBuckets(start: Int32Array): BucketRounds {
    const { arena, affine } = this;
    const { slots, entries: entriesAt } = this.space;
    const memory = arena.view(0, arena.top);
    const rounds = new BucketRounds(start, CHUNK_SLOTS);
    const entries = new Int32Array(memory.buffer, entriesAt, MAX_BATCH * 4);
    for (let pending; (pending = rounds.nextBatch(entries, MAX_BATCH, slots, affine)) > 0 || rounds.moves.length > 0; ) {
      for (let i = 0; i < rounds.moves.length; i += 2) memory.copyWithin(slots + rounds.moves[i]! * affine, slots + rounds.moves[i + 1]! * affine, slots + (rounds.moves[i + 1]! + 1) * affine);
      this.addBatch(pending, (out) => rounds.markEmpty((out - slots) / affine));
    }
    return rounds;
  }

  /**
   * The `count` additions written at the workspace's entries, as one batch. An entry whose x
   * coordinates are equal is redone with ffjavascript's complete addition; a sum at infinity is
   * reported with `emptied(out)` (its slot is not written).
   */
  private addBatch(count: number, emptied: (out: number) => void): void {
    const { arena } = this;
    const { entries: entriesAt, specials, temp, ffPoints } = this.space;
    const f = this.functions();
    const [ffA, ffB] = [ffPoints, ffPoints + this.ffAffine];
    const nSpecial = f.batchAdd(entriesAt, count, specials);
    if (nSpecial === 0) return;
    const entries = new Int32Array(arena.view(0, arena.top).buffer, entriesAt, count * 4);
    // Equal x: the sum is a doubling or the point at infinity; ffjavascript's complete addition decides.
    for (const k of new Int32Array(arena.view(specials, nSpecial * 4).slice().buffer)) {
      const [out, a, b] = [entries[4 * k]!, entries[4 * k + 1]!, entries[4 * k + 2]!];
      this.exportPoint(a, ffA);
      this.exportPoint(b, ffB);
      f.addAffine(ffA, ffB, temp);
      if (f.isZero(temp)) {
        emptied(out);
      } else {
        f.toAffine(temp, ffA);
        f.importPoint(ffA, out, 2 * this.code.degree);
      }
    }
  }

  /**
   * out ← 2^(c·sets)·out + Σ_set 2^(c·set)·Σ_b b·bucket(set·half + b - 1), b = 1 … half (c = 0:
   * precomputed bases, one set, no doublings). Either by running sums in Jacobian form, bucket by
   * bucket from the top (ffjavascript's additions, for few buckets), or in batch-affine form
   * (reductionSegment): each set's buckets cut into segments of L, every segment k summed by its
   * own running sums R_k = Σ bucket_b and S_k = Σ (b - kL)·bucket_b, all segments of all sets side
   * by side, one batch per step; then Σ_b b·bucket_b = Σ_k S_k + L·Σ_k k·R_k in Jacobian form.
   */
  private addBucketSums(rounds: BucketRounds, sets: number, half: number, c: number, out: number): void {
    const f = this.functions();
    const horner = () => {
      for (let d = 0; d < c && !f.isZero(out); d++) f.double(out, out);
    };
    let filled = 0;
    for (let g = 0; g < sets * half; g++) filled += rounds.holdsPoint(g) ? 1 : 0;
    const { length } = reductionSegment(sets, half, filled / (sets * half));
    if (length === 0) {
      for (let set = sets - 1; set >= 0; set--) {
        horner();
        this.addBucketSet(rounds, set * half, half, out);
      }
      return;
    }
    const { affine, arena } = this;
    const { chains: chainsAt, entries: entriesAt, slots, running, windowSum, ffPoints } = this.space;
    const segments = half / length;
    const chains = sets * segments;
    // Chain q (set q / segments, segment q % segments) keeps R_q and S_q side by side.
    const sumOf = (q: number) => chainsAt + 2 * q * affine;
    const runningOf = (q: number) => chainsAt + (2 * q + 1) * affine;
    const chainOf = (pointer: number) => Math.floor((pointer - chainsAt) / (2 * affine));
    const [hasRunning, hasSum] = [new Uint8Array(chains), new Uint8Array(chains)];
    const memory = arena.view(0, arena.top);
    const entries = new Int32Array(memory.buffer, entriesAt, MAX_BATCH * 4);
    const entry = (k: number, into: number, from: number) => {
      entries[4 * k] = entries[4 * k + 1] = into;
      entries[4 * k + 2] = from;
      entries[4 * k + 3] = 0;
    };
    for (let t = 0; t < length; t++) {
      // R_q += the segment's t-th bucket from its top.
      let count = 0;
      for (let q = 0; q < chains; q++) {
        const set = Math.floor(q / segments);
        const g = set * half + (q - set * segments + 1) * length - t - 1;
        if (!rounds.holdsPoint(g)) continue;
        const bucket = slots + rounds.start[g]! * affine;
        if (hasRunning[q]) entry(count++, runningOf(q), bucket);
        else memory.copyWithin(runningOf(q), bucket, bucket + affine);
        hasRunning[q] = 1;
      }
      this.addBatch(count, (at) => (hasRunning[chainOf(at)] = 0));
      // S_q += R_q.
      count = 0;
      for (let q = 0; q < chains; q++) {
        if (!hasRunning[q]) continue;
        if (hasSum[q]) entry(count++, sumOf(q), runningOf(q));
        else memory.copyWithin(sumOf(q), runningOf(q), runningOf(q) + affine);
        hasSum[q] = 1;
      }
      this.addBatch(count, (at) => (hasSum[chainOf(at)] = 0));
    }
    /** sum (Jacobian, ffjavascript's form) += the point at `point` (the MSM's form). */
    const addPoint = (sum: number, point: number) => {
      this.exportPoint(point, ffPoints);
      f.addMixed(sum, ffPoints, sum);
    };
    for (let set = sets - 1; set >= 0; set--) {
      horner();
      // windowSum = L·Σ_k k·R_k (running sums from the top segment down) + Σ_k S_k.
      f.zero(running);
      f.zero(windowSum);
      for (let k = segments - 1; k >= 1; k--) {
        if (hasRunning[set * segments + k]) addPoint(running, runningOf(set * segments + k));
        f.add(windowSum, running, windowSum);
      }
      for (let l = 1; l < length; l *= 2) f.double(windowSum, windowSum);
      for (let k = 0; k < segments; k++) if (hasSum[set * segments + k]) addPoint(windowSum, sumOf(set * segments + k));
      f.add(out, windowSum, out);
    }
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

/** Msm.kept's arrays: the scalars' words, classifyScalars' outputs (n each), the digits and the slots (grown as needed). */
interface KeptArrays {
  words: Uint32Array;
  used: Int32Array;
  ones: Int32Array;
  bitLengths: Int32Array;
  digits: Int32Array;
  /** signedDigits' scratch space. */
  lifted: Int32Array;
  slots: Int32Array;
}

/** The module's functions an Msm calls, for its group. */
type MsmFunctions = Record<'zero' | 'add' | 'addMixed' | 'addAffine' | 'double' | 'isZero' | 'toAffine' | 'batchAdd' | 'gather' | 'scatter' | 'importPoint', (...args: number[]) => number>;

/*
 * The loops of Msm.run over every point or digit, each a function of its own. V8 compiles a hot
 * loop while it runs (on-stack replacement), and when that loop sits in a long function, it
 * compiles the whole function, then again each time the code after the loop, which had not run
 * yet, deoptimizes it: a one-shot proof spent about a tenth of its CPU time compiling Msm.run.
 */

/**
 * The scalars' indices, the wider ones' apart from the ones', with the wider ones' bit lengths
 * (in the kept arrays, as subarrays). A witness is about half zeros and half ones (bits, ReLU
 * signs): a one has a single nonzero digit, 1 in window 0, so its point goes straight into that
 * bucket, and the digit and bucket passes, which cost windows × points, see only the wider
 * scalars. Points at infinity (`skip`) and zero scalars are left out.
 */
function classifyScalars(kept: KeptArrays, skip: Uint8Array, n: number): { used: Int32Array; ones: Int32Array; bitLengths: Int32Array; maxBits: number } {
  const { words, used, ones, bitLengths } = kept;
  let [m, nOnes, maxBits] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    if (skip[i] !== 0) continue;
    let top = 7;
    while (top >= 0 && words[i * 8 + top] === 0) top--;
    if (top < 0) continue;
    const word = words[i * 8 + top]!;
    if (top === 0 && word === 1) {
      ones[nOnes++] = i;
      continue;
    }
    const bits = top * 32 + (32 - Math.clz32(word));
    used[m] = i;
    bitLengths[m++] = bits;
    if (bits > maxBits) maxBits = bits;
  }
  return { used: used.subarray(0, m), ones: ones.subarray(0, nOnes), bitLengths: bitLengths.subarray(0, m), maxBits };
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

/** Which of an MSM's `of` shares of windows a call sums (Msm.run). */
export interface WindowPart {
  index: number;
  of: number;
}

/**
 * The windows cut into `parts` runs of consecutive windows, low to high, of about equal work: a
 * bucket addition per nonzero digit and about `half` for the window's bucket reduction. A part
 * may be missing (undefined) when there are fewer windows than parts.
 */
export function splitWindows(nonzero: Int32Array, half: number, parts: number): ({ low: number; high: number } | undefined)[] {
  const work = Array.from(nonzero, (count) => count + half);
  const total = work.reduce((a, b) => a + b, 0);
  const split: ({ low: number; high: number } | undefined)[] = new Array(parts).fill(undefined);
  let done = 0;
  let j = 0;
  for (let k = 0; k < parts && j < work.length; k++) {
    const low = j;
    // Take windows until this part's share of the total is reached (at least one; the last part takes the rest).
    const target = (total * (k + 1)) / parts;
    do done += work[j++]!;
    while (j < work.length && (k === parts - 1 || done + work[j]! / 2 <= target));
    split[k] = { low, high: j - 1 };
  }
  return split;
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
  /** The scatter's inputs (zkScatter): the indices of an MSM's wider scalars' points, and one window's slots for them. */
  used: number;
  slotRow: number;
  /** The batch-affine bucket reduction's running sums: two affine points per chain, MAX_BATCH chains. */
  chains: number;
  running: number;
  windowSum: number;
  temp: number;
  /** Two affine points in ffjavascript's form, for the additions done there. */
  ffPoints: number;
}

/*
 * Estimated costs, in batch-affine additions (about 6 field multiplications each): the Jacobian
 * reduction's per bucket (a conversion out of the MSM's field form, a mixed and a full addition of
 * ffjavascript's), one batch's inversion and calls, a Jacobian addition, and an addition redone
 * apart (Msm.addBatch: equal x coordinates; its inversion is its own).
 */
const JACOBIAN_BUCKET_COST = 5;
const BATCH_COST = 30;
const JACOBIAN_COST = 2.5;
const SPECIAL_COST = 30;

/**
 * The segment length L of the batch-affine bucket reduction (Msm.addBucketSums) for `sets` sets of
 * `half` buckets, a fraction `filled` of them holding a point, or 0 where the Jacobian running sums
 * cost less; with its estimated cost. Every filled bucket costs two affine additions, each of the
 * L steps two batches, and each of the sets·half/L segments about three Jacobian additions, and,
 * below an empty bucket at its start, a doubling (S += R with S = R) done apart. The segments of a
 * step must fit one batch.
 */
export function reductionSegment(sets: number, half: number, filled = 1): { length: number; cost: number } {
  const buckets = sets * half;
  let best = { length: 0, cost: buckets * filled * JACOBIAN_BUCKET_COST };
  for (let length = 1; length <= half; length *= 2) {
    const chains = buckets / length;
    if (chains > MAX_BATCH) continue;
    const cost = 2 * buckets * filled + 2 * length * BATCH_COST + chains * (3 * JACOBIAN_COST + (1 - filled) * SPECIAL_COST);
    if (cost < best.cost) best = { length, cost };
  }
  return best;
}

/**
 * The window width with the least estimated work: a batch-affine bucket addition per nonzero
 * digit, and the windows' bucket reductions (taken as one set of them, though the slots may part
 * them into groups).
 */
function chooseWindow(bitLengths: Int32Array, maxBits: number): number {
  const scalarsOfLength = new Int32Array(maxBits + 1);
  for (let k = 0; k < bitLengths.length; k++) scalarsOfLength[bitLengths[k]!]! += 1;
  let best = 2;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let c = 2; c <= MAX_WINDOW; c++) {
    let digits = 0;
    for (let bits = 1; bits <= maxBits; bits++) digits += scalarsOfLength[bits]! * Math.ceil((bits + 1) / c);
    const windows = Math.ceil((maxBits + 1) / c);
    const half = 1 << (c - 1);
    // The expected fraction of buckets that receive a digit.
    const filled = 1 - Math.exp(-digits / windows / half);
    const cost = digits + reductionSegment(windows, half, filled).cost;
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}
