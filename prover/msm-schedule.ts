/**
 * The MSM's scheduling (prover/msm.ts), as pure functions over small integers, tested without
 * WebAssembly (test/prover/msm-schedule.test.ts): signed digits (digits.ts) → bucket operands in
 * bucket order (sortByBucket) → batches of independent pairwise additions (BucketRounds).
 *
 * The runtime copies the operands, in bucket order, into consecutive slots (so the additions read
 * neighbouring points), then runs the batches: bucket g's operands are slots start[g] … start[g+1]-1,
 * and each round adds them in pairs in place, so that after every round bucket g's remaining
 * partial sums sit at slots start[g] + j·stride, stride doubling each round. No table of pointers
 * is kept: a slot is found from its bucket and position.
 */

/**
 * A window group's operands sorted by bucket: bucket g's are slots start[g] … start[g+1] - 1.
 * slotOf[(j - low)·m + k] is 2·slot + 1 for the negative digit of window j for used point k,
 * 2·slot for a positive one, -1 for none; the points whose scalar is 1 take the last
 * ones.length slots of bucket 0 (when low is 0), in their order.
 */
export interface BucketOperands {
  /** nBuckets + 1 offsets. */
  start: Int32Array;
  slotOf: Int32Array;
}

/**
 * The operands of windows low … high, by bucket. `digits` are signedDigits' (window-major, m per
 * window) of the points `used`; window j's digit d goes to bucket set·half + |d| - 1, set being
 * j - low, or 0 for all windows when the bases are precomputed (`fixed`: each window has its own
 * copy of the points, which the runtime reads by window). `ones` (points whose scalar is 1) join
 * bucket 0 (digit 1 of window 0) when low is 0. slotOf is written into `into` where it is long
 * enough (as signedDigits' digits, to spare mapping fresh pages).
 */
export function sortByBucket(
  digits: Int32Array,
  used: ArrayLike<number>,
  low: number,
  high: number,
  half: number,
  fixed: boolean,
  ones: ArrayLike<number>,
  into?: Int32Array,
): BucketOperands {
  const m = used.length;
  const nBuckets = (fixed ? 1 : high - low + 1) * half;
  const start = new Int32Array(nBuckets + 1);
  const firstOf = (j: number) => (fixed ? 0 : (j - low) * half) - 1;
  // Counting sort: sizes, offsets, then each digit's slot. Each window's pass over its digits is
  // a function of its own, which V8 compiles alone (see msm.ts's loops).
  for (let j = low; j <= high; j++) countDigits(digits.subarray(j * m, (j + 1) * m), start, firstOf(j) + 1);
  if (low === 0) start[1]! += ones.length;
  for (let g = 0; g < nBuckets; g++) start[g + 1]! += start[g]!;
  const size = (high - low + 1) * m;
  const slotOf = into && into.length >= size ? into.subarray(0, size) : new Int32Array(size);
  const fill = start.slice(0, nBuckets);
  for (let j = low; j <= high; j++) placeDigits(digits.subarray(j * m, (j + 1) * m), fill, firstOf(j), slotOf.subarray((j - low) * m, (j - low + 1) * m));
  return { start, slotOf };
}

/** Adds one window's nonzero digits to the sizes of their buckets (digit d: size[first + |d|]). */
function countDigits(row: Int32Array, size: Int32Array, first: number): void {
  for (let k = 0; k < row.length; k++) {
    const digit = row[k]!;
    if (digit !== 0) size[first + (digit < 0 ? -digit : digit)]! += 1;
  }
}

/** Gives each of one window's nonzero digits the next free slot of its bucket (`fill`): 2·slot + sign. */
function placeDigits(row: Int32Array, fill: Int32Array, first: number, slotOf: Int32Array): void {
  for (let k = 0; k < row.length; k++) {
    const digit = row[k]!;
    if (digit === 0) {
      slotOf[k] = -1;
      continue;
    }
    const at = fill[first + (digit < 0 ? -digit : digit)]!++;
    slotOf[k] = 2 * at + (digit < 0 ? 1 : 0);
  }
}

/**
 * The additions that sum every bucket's operands (slots start[g] … start[g+1]-1) into its first
 * slot, as batches of independent additions: a tree, each round adding neighbours in pairs in
 * place. An entry (out, a, b) means slot a := slot a + slot b (out = a). Within a batch no slot is
 * both written and read by different entries, so one batch inversion serves them all; a round ends
 * a batch, since the next round reads its sums.
 *
 * The buckets are taken in chunks of about `chunkSlots` operands, every round of a chunk before the
 * next chunk: its later rounds then read slots still in the cache, where rounds over all of an
 * MSM's buckets would sweep its whole slot area (megabytes) each time.
 *
 * A sum that is the point at infinity (the runtime finds it; a bucket holding P and -P) is reported
 * with `markEmpty`: an empty slot is then skipped, or replaced by its partner (`moves`, which the
 * runtime copies before it runs the batch).
 */
export class BucketRounds {
  /** Operands left in each bucket; after all rounds, 1 (or 0: no operand) with its sum in slot start[g]. */
  readonly length: Int32Array;
  private readonly empty: Uint8Array;
  private stride = 1;
  private bucket = 0;
  /** The chunk being summed: buckets chunkStart … chunkEnd - 1. */
  private chunkStart = 0;
  private chunkEnd: number;
  /** Pairs of the current bucket already given out (it may span batches). */
  private pair = 0;
  private merged = false;
  /** Copies to make before the batch last returned: slot moves[2i] := slot moves[2i + 1]. */
  readonly moves: number[] = [];

  constructor(
    readonly start: Int32Array,
    private readonly chunkSlots = Number.POSITIVE_INFINITY,
  ) {
    const nBuckets = start.length - 1;
    this.length = new Int32Array(nBuckets);
    for (let g = 0; g < nBuckets; g++) this.length[g] = start[g + 1]! - start[g]!;
    this.empty = new Uint8Array(start[nBuckets]!);
    this.chunkEnd = this.endOfChunk(0);
  }

  /** The bucket after the chunk that begins at bucket `from`: at least one bucket, else until chunkSlots operands. */
  private endOfChunk(from: number): number {
    const { start } = this;
    const nBuckets = start.length - 1;
    if (from >= nBuckets) return nBuckets;
    let g = from + 1;
    while (g < nBuckets && start[g]! - start[from]! < this.chunkSlots) g++;
    return g;
  }

  /**
   * The next batch: up to `max` entries written as (out, a, b, 0) into `entries` (4 per entry),
   * slot k given as base + k·bytes. Returns how many; 0 once every bucket is summed.
   */
  nextBatch(entries: Int32Array, max: number, base: number, bytes: number): number {
    this.moves.length = 0;
    const { start, length, empty } = this;
    const nBuckets = length.length;
    let count = 0;
    for (;;) {
      if (this.bucket === this.chunkEnd) {
        const more = this.merged;
        this.merged = false;
        if (more) {
          // The chunk's round is over: the next one, which reads its sums (or the slots moved), begins with the next batch.
          this.stride *= 2;
          this.bucket = this.chunkStart;
          if (count > 0 || this.moves.length > 0) return count;
          continue;
        }
        // The chunk is summed (a pass found nothing to add): on to the next, in this batch.
        if (this.chunkEnd === nBuckets) return count;
        this.chunkStart = this.chunkEnd;
        this.chunkEnd = this.endOfChunk(this.chunkStart);
        this.stride = 1;
        this.bucket = this.chunkStart;
        continue;
      }
      const g = this.bucket;
      const len = length[g]!;
      const pairs = len >> 1;
      const step = this.stride;
      while (this.pair < pairs) {
        if (count === max) return count;
        const a = start[g]! + 2 * this.pair * step;
        const b = a + step;
        this.pair += 1;
        if (empty[b]) continue;
        if (empty[a]) {
          this.moves.push(a, b);
          empty[a] = 0;
          continue;
        }
        const e = 4 * count++;
        entries[e] = entries[e + 1] = base + a * bytes;
        entries[e + 2] = base + b * bytes;
        entries[e + 3] = 0;
      }
      if (pairs > 0) {
        this.merged = true;
        length[g] = len - pairs;
      }
      this.pair = 0;
      this.bucket += 1;
    }
  }

  /** Slot k's sum is the point at infinity. */
  markEmpty(slot: number): void {
    this.empty[slot] = 1;
  }

  /** Whether bucket g's sum (after the last batch) is a point: it has an operand and they did not cancel. */
  holdsPoint(g: number): boolean {
    return this.length[g] === 1 && this.empty[this.start[g]!] === 0;
  }
}
