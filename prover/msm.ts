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
 * Scheduling (which point goes to which bucket, in which batch) is plain JavaScript over small
 * integers. Each bucket's points are first copied next to each other (g1m_/g2m_zkGather), so that
 * the additions read neighbouring memory rather than points scattered over the bases. A batch entry whose two x coordinates are equal (the bucket holds ±the point) cannot
 * use the affine formula; the batch reports it, and it is redone with the module's complete
 * addition. Points at infinity (the key's A and B sections have them for signals that do not
 * occur there) and zero scalars are skipped.
 *
 * The window width is chosen per call from the scalars' actual bit lengths (a witness is mostly
 * zeros, bits and small integers, and only the hashes' internal signals are full width), unless
 * the bases come with precomputed window multiples (Msm.bases with a window: MsmBases.fixed), which fix it.
 */
import { FQ_BYTES } from './bn128-layout.js';
import { signedDigits } from './digits.js';
import { ZQ_BYTES } from './field29.js';
import { CODE, ENTRY_BYTES, type Group, type GroupCode, MAX_BATCH } from './msm-kernels.js';
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

  /** A point in the MSM's form into ffjavascript's (at `out`), negated if asked. */
  private exportPoint(point: number, negative: boolean, out: number): void {
    const { degree, ffField } = this.code;
    this.arena.fn('zq_batchToFf')(point, out, 2 * degree);
    if (negative) this.arena.fn(`${ffField}_neg`)(out + degree * FQ_BYTES, out + degree * FQ_BYTES);
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
    const skip = bases.infinity.subarray(first);
    const levelAt = (j: number) => bases.table + j * bases.stride + first * this.affine;
    const { slots, slotCount, entries: entriesAt, specials, running, windowSum, temp, ffPoints } = this.space;
    const { arena } = this;
    const { group } = this.code;
    const fn = (name: string) => arena.fn(name);
    const zero = fn(`${group}_zero`);
    const add = fn(`${group}_add`);
    const addMixed = fn(`${group}_addMixed`);
    const addAffine = fn(`${group}_addAffine`);
    const double = fn(`${group}_double`);
    const isZero = fn(`${group}_isZero`);
    const toAffine = fn(`${group}_toAffine`);
    const importPoint = fn('zq_batchFromFf');
    const batchAdd = fn(`${group}_zkBatchAddAffine`);
    zero(out);

    // The scalars as 32-bit words; the wider ones' indices and bit lengths, and apart the ones'.
    // A witness is about half zeros and half ones (bits, ReLU signs): a one has a single nonzero
    // digit, 1 in window 0, so its point goes straight into that bucket, and the digit and bucket
    // passes below, which cost windows × points, see only the wider scalars.
    const words = new Uint32Array(arena.view(scalars, n * 32).slice().buffer);
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
    const m = used.length;
    if (m === 0 && ones.length === 0) return;

    const c = fixed?.c ?? chooseWindow(bitLength, maxBits);
    const windows = Math.ceil((maxBits + 1) / c);
    if (fixed && windows > fixed.windows) throw new RangeError(`scalars of ${maxBits} bits need ${windows} windows, the bases have ${fixed.windows}`);
    const half = 1 << (c - 1);
    const digits = signedDigits(words, used, c, windows);
    const nonzero = new Int32Array(windows);
    for (let j = 0; j < windows; j++) for (let k = 0; k < m; k++) if (digits[j * m + k] !== 0) nonzero[j]! += 1;
    nonzero[0]! += ones.length;
    // Window 0's bucket 1, where the ones go: bucket 0 of the window group that holds window 0.
    const onesBucket = 0;

    const memory = arena.view(0, arena.top);
    const slotOf = (index: number) => slots + index * this.affine;
    const [ffA, ffB] = [ffPoints, ffPoints + this.ffAffine];
    const entries = new Int32Array(MAX_BATCH * 4);
    const offsets = new Int32Array(m);
    for (let k = 0; k < m; k++) offsets[k] = used[k]! * this.affine;

    let high = windows - 1;
    while (high >= 0) {
      // The windows high, high - 1, …, low: as many as the slots allow.
      let low = high;
      let operands = nonzero[high]!;
      while (low > 0 && operands + nonzero[low - 1]! <= slotCount) operands += nonzero[--low]!;
      const sets = fixed ? 1 : high - low + 1;
      const nBuckets = sets * half;
      // Bucket b of window j is set * half + b - 1 (set = j - low, or 0 for precomputed bases).
      const length = new Int32Array(nBuckets);
      for (let j = low; j <= high; j++) {
        const row = j * m;
        const first = (fixed ? 0 : (j - low) * half) - 1;
        for (let k = 0; k < m; k++) {
          const digit = digits[row + k]!;
          if (digit !== 0) length[first + (digit < 0 ? -digit : digit)]! += 1;
        }
      }
      if (low === 0) length[onesBucket]! += ones.length;
      const start = new Int32Array(nBuckets + 1);
      for (let g = 0; g < nBuckets; g++) start[g + 1] = start[g]! + length[g]!;
      const fill = start.slice();
      const operand = new Int32Array(operands);
      const negative = new Uint8Array(operands);
      for (let j = low; j <= high; j++) {
        const row = j * m;
        const first = (fixed ? 0 : (j - low) * half) - 1;
        const level = levelAt(fixed ? j : 0);
        for (let k = 0; k < m; k++) {
          const digit = digits[row + k]!;
          if (digit === 0) continue;
          const at = fill[first + (digit < 0 ? -digit : digit)]!++;
          operand[at] = level + offsets[k]!;
          negative[at] = digit < 0 ? 1 : 0;
        }
      }
      if (low === 0) {
        const level = levelAt(0);
        for (const i of ones) operand[fill[onesBucket]!++] = level + i * this.affine;
      }

      // The operands, in bucket order, copied into slots 0 … operands - 1 with their signs applied
      // (operands ≤ slotCount: the windows were grouped so). The rounds below then read
      // neighbouring points, not bases scattered over the table, and sum each pair in place.
      if (operands > slotCount) throw new RangeError(`${operands} bucket operands for ${slotCount} slots`);
      const gather = fn(`${group}_zkGather`);
      for (let first = 0; first < operands; first += MAX_BATCH) {
        const count = Math.min(MAX_BATCH, operands - first);
        arena.view(entriesAt, count * 4).set(new Uint8Array(operand.buffer, first * 4, count * 4));
        arena.view(specials, count).set(negative.subarray(first, first + count));
        gather(entriesAt, specials, count, slotOf(first));
        for (let at = first; at < first + count; at++) operand[at] = slotOf(at);
      }
      negative.fill(0);

      // Rounds of pairwise additions until every bucket holds at most one operand. Every operand is
      // now an unnegated slot, and a pair's sum goes into its first operand's slot.
      let cancelled = 0;
      let pending = 0;
      const flush = () => {
        if (pending === 0) return;
        arena.view(entriesAt, pending * ENTRY_BYTES).set(new Uint8Array(entries.buffer, 0, pending * ENTRY_BYTES));
        const nSpecial = batchAdd(entriesAt, pending, specials);
        // Equal x: the sum is a doubling or the point at infinity; ffjavascript's complete addition decides.
        for (const k of new Int32Array(arena.view(specials, nSpecial * 4).slice().buffer)) {
          const [out, a, b, flags] = entries.subarray(k * 4, k * 4 + 4) as unknown as [number, number, number, number];
          this.exportPoint(a, (flags & 4) !== 0, ffA);
          this.exportPoint(b, (flags & 1) !== 0, ffB);
          addAffine(ffA, ffB, temp);
          if (isZero(temp)) {
            memory.fill(0, out, out + this.affine);
            cancelled += 1;
          } else {
            toAffine(temp, ffA);
            importPoint(ffA, out, 2 * this.code.degree);
          }
        }
        pending = 0;
      };
      for (let merged = true; merged; ) {
        merged = false;
        for (let g = 0; g < nBuckets; g++) {
          const len = length[g]!;
          if (len < 2) continue;
          merged = true;
          const first = start[g]!;
          let kept = 0;
          for (let i = 0; i < len; i += 2) {
            const at = first + i;
            const a = operand[at]!;
            if (i + 1 === len) {
              operand[first + kept] = a;
              negative[first + kept] = negative[at]!;
              kept += 1;
              break;
            }
            const out = a;
            const e = pending * 4;
            entries[e] = out;
            entries[e + 1] = a;
            entries[e + 2] = operand[at + 1]!;
            entries[e + 3] = negative[at + 1]! | (negative[at]! << 2);
            pending += 1;
            if (pending === MAX_BATCH) flush();
            operand[first + kept] = out;
            negative[first + kept] = 0;
            kept += 1;
          }
          length[g] = kept;
        }
        flush();
        if (cancelled > 0) {
          // Slots whose points cancelled hold (0, 0): drop them from their buckets.
          for (let g = 0; g < nBuckets; g++) {
            let kept = 0;
            for (let i = 0; i < length[g]!; i++) {
              const at = start[g]! + i;
              if (isZeroAffine(memory, operand[at]!, this.affine)) continue;
              operand[start[g]! + kept] = operand[at]!;
              negative[start[g]! + kept] = negative[at]!;
              kept += 1;
            }
            length[g] = kept;
          }
          cancelled = 0;
        }
      }

      // Each bucket set: Σ b·bucket_b as running sums from the top bucket down; windows by Horner.
      for (let set = sets - 1; set >= 0; set--) {
        if (!fixed) for (let d = 0; d < c && !isZero(out); d++) double(out, out);
        zero(running);
        zero(windowSum);
        let started = false;
        for (let b = half; b >= 1; b--) {
          const g = set * half + b - 1;
          if (length[g] === 1) {
            this.exportPoint(operand[start[g]!]!, negative[start[g]!] === 1, ffA);
            addMixed(running, ffA, running);
            started = true;
          }
          if (started) add(windowSum, running, windowSum);
        }
        add(out, windowSum, out);
      }
      high = low - 1;
    }
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

/** An affine point stored as (0, 0): how this module marks a slot whose points cancelled. */
function isZeroAffine(memory: Uint8Array, pointer: number, bytes: number): boolean {
  for (let i = 0; i < bytes; i++) if (memory[pointer + i] !== 0) return false;
  return true;
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
