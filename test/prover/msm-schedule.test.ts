/**
 * The MSM's scheduling (prover/msm-schedule.ts): digits → buckets → batches, pure, without
 * WebAssembly. "Points" here are integers mod r, so that the schedule's additions can be replayed
 * and the result checked against Σ sᵢ·vᵢ computed directly.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { signedDigits } from '../../prover/digits.js';
import { BucketRounds, type BucketOperands, sortByBucket } from '../../prover/msm-schedule.js';

/** BN254's scalar field order, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const mod = (x: bigint) => ((x % R) + R) % R;

function wordsOf(scalars: readonly bigint[]): Uint32Array {
  const words = new Uint32Array(scalars.length * 8);
  scalars.forEach((value, k) => {
    for (let w = 0; w < 8; w++) words[k * 8 + w] = Number((value >> BigInt(32 * w)) & 0xffffffffn);
  });
  return words;
}

/** The scalars split as the runtime splits them: zeros dropped, ones apart, the rest `used`. */
function split(scalars: readonly bigint[]): { used: number[]; ones: number[]; maxBits: number } {
  const used: number[] = [];
  const ones: number[] = [];
  let maxBits = 0;
  scalars.forEach((s, i) => {
    if (s === 1n) ones.push(i);
    else if (s !== 0n) {
      used.push(i);
      maxBits = Math.max(maxBits, s.toString(2).length);
    }
  });
  return { used, ones, maxBits };
}

/**
 * Each slot's operand as sortByBucket's slotOf names it: its point, sign and window; the ones at
 * the end of bucket 0. Fails if a slot is named twice or not at all.
 */
function operandsOf(sorted: BucketOperands, used: readonly number[], low: number, high: number, ones: readonly number[]): { point: number[]; negative: number[]; window: number[] } {
  const count = sorted.start[sorted.start.length - 1]!;
  const [point, negative, window] = [new Array<number>(count).fill(-1), new Array<number>(count).fill(-1), new Array<number>(count).fill(-1)];
  const name = (slot: number, p: number, sign: number, j: number) => {
    if (slot < 0 || slot >= count || point[slot] !== -1) throw new Error(`slot ${slot} named twice or out of range`);
    [point[slot], negative[slot], window[slot]] = [p, sign, j];
  };
  for (let j = low; j <= high; j++) {
    used.forEach((p, k) => {
      const slotOf = sorted.slotOf[(j - low) * used.length + k]!;
      if (slotOf >= 0) name(slotOf >> 1, p, slotOf & 1, j);
    });
  }
  if (low === 0) ones.forEach((p, i) => name(sorted.start[1]! - ones.length + i, p, 0, 0));
  if (point.includes(-1)) throw new Error('a slot no digit names');
  return { point, negative, window };
}

/**
 * Replays every batch of a BucketRounds on slot values, checking that a batch's entries are
 * independent (no slot in two of them) and that moves fill only empty slots from full ones.
 * Returns each bucket's sum (0n for none).
 */
function replay(rounds: BucketRounds, values: bigint[], maxBatch: number): { sums: bigint[]; batches: number } {
  const slots = values.slice();
  const empty = new Set<number>();
  const entries = new Int32Array(4 * maxBatch);
  let batches = 0;
  for (let count; (count = rounds.nextBatch(entries, maxBatch, 0, 1)) > 0 || rounds.moves.length > 0; ) {
    // Plain checks in this loop (it runs for every addition): expect() would take minutes.
    const fail = (message: string) => {
      throw new Error(`batch ${batches}: ${message}`);
    };
    if (count > maxBatch) fail(`${count} entries`);
    batches += 1;
    const touched = new Set<number>();
    const touch = (slot: number) => {
      if (touched.has(slot)) fail(`slot ${slot} twice`);
      touched.add(slot);
    };
    for (let i = 0; i < rounds.moves.length; i += 2) {
      const [to, from] = [rounds.moves[i]!, rounds.moves[i + 1]!];
      if (!empty.has(to) || empty.has(from)) fail(`a move to ${to} from ${from}`);
      touch(to);
      touch(from);
      slots[to] = slots[from]!;
      empty.delete(to);
    }
    for (let k = 0; k < count; k++) {
      const [out, a, b, flags] = entries.subarray(4 * k, 4 * k + 4);
      if (out !== a || flags !== 0) fail(`entry ${out}, ${a}, ${b}, ${flags}`);
      touch(a!);
      touch(b!);
      if (empty.has(a!) || empty.has(b!)) fail(`an empty slot added (${a}, ${b})`);
      slots[a!] = mod(slots[a!]! + slots[b!]!);
      // The runtime finds a sum at infinity and reports it.
      if (slots[a!] === 0n) {
        rounds.markEmpty(a!);
        empty.add(a!);
      }
    }
  }
  const sums = Array.from({ length: rounds.length.length }, (_, g) => {
    expect(rounds.length[g]).toBeLessThanOrEqual(1);
    return rounds.holdsPoint(g) ? slots[rounds.start[g]!]! : 0n;
  });
  return { sums, batches };
}

/**
 * Σ sᵢ·vᵢ through the schedule, windows grouped `perGroup` at a time from the top as the runtime
 * groups them (or all in one set of buckets, `fixed`, as with precomputed bases, where window j's
 * operand is 2^(c·j)·v), the groups' slots written into one reused array.
 */
function scheduledMsm(scalars: readonly bigint[], values: readonly bigint[], c: number, options: { fixed?: boolean; perGroup?: number; maxBatch: number; chunk?: number }): bigint {
  const { used, ones, maxBits } = split(scalars);
  if (used.length === 0 && ones.length === 0) return 0n;
  const windows = Math.ceil((maxBits + 1) / c);
  const half = 1 << (c - 1);
  const digits = signedDigits(wordsOf(scalars), used, c, windows);
  const fixed = options.fixed ?? false;
  const perGroup = fixed ? windows : (options.perGroup ?? windows);
  let total = 0n;
  // One array for every group's slots, as the runtime keeps it, holding the last group's and more.
  const into = new Int32Array(windows * used.length + 3).fill(12345);
  for (let high = windows - 1; high >= 0; high -= perGroup) {
    const low = Math.max(0, high - perGroup + 1);
    const sorted = sortByBucket(digits, used, low, high, half, fixed, ones, into);
    const { point, negative, window } = operandsOf(sorted, used, low, high, ones);
    const operands = point.map((p, k) => {
      const value = fixed ? values[p]! << BigInt(c * window[k]!) : values[p]!;
      return mod(negative[k] ? -value : value);
    });
    const { sums } = replay(new BucketRounds(sorted.start, options.chunk), operands, options.maxBatch);
    for (let set = (fixed ? 1 : high - low + 1) - 1; set >= 0; set--) {
      if (!fixed) total = total << BigInt(c);
      for (let b = 1; b <= half; b++) total += BigInt(b) * sums[set * half + b - 1]!;
    }
  }
  return mod(total);
}

const direct = (scalars: readonly bigint[], values: readonly bigint[]) => mod(scalars.reduce((sum, s, i) => sum + s * values[i]!, 0n));

describe('sortByBucket', () => {
  it("puts every nonzero digit's point in its bucket, with its sign, as a naive sort does", () => {
    const random = seededRandom(7);
    const scalars = Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? 0n : i % 5 === 1 ? 1n : mod(BigInt(Math.floor(random() * 2 ** 52)) ** 5n)));
    const { used, ones, maxBits } = split(scalars);
    for (const c of [3, 8, 11]) {
      const windows = Math.ceil((maxBits + 1) / c);
      const half = 1 << (c - 1);
      const digits = signedDigits(wordsOf(scalars), used, c, windows);
      for (const [low, high, fixed] of [[0, windows - 1, false], [2, 4, false], [0, 0, false], [0, windows - 1, true]] as const) {
        const sorted = sortByBucket(digits, used, low, high, half, fixed, ones);
        const { point, negative, window } = operandsOf(sorted, used, low, high, ones);
        const naive = new Map<number, string[]>();
        const put = (bucket: number, entry: string) => naive.set(bucket, [...(naive.get(bucket) ?? []), entry]);
        for (let j = low; j <= high; j++) {
          used.forEach((point, k) => {
            const d = digits[j * used.length + k]!;
            if (d !== 0) put((fixed ? 0 : j - low) * half + Math.abs(d) - 1, `${point}${d < 0 ? '-' : '+'}${fixed ? j : ''}`);
          });
        }
        if (low === 0) for (const point of ones) put(0, `${point}+${fixed ? 0 : ''}`);
        const buckets = (fixed ? 1 : high - low + 1) * half;
        expect(sorted.start.length).toBe(buckets + 1);
        for (let g = 0; g < buckets; g++) {
          const got: string[] = [];
          for (let at = sorted.start[g]!; at < sorted.start[g + 1]!; at++) got.push(`${point[at]}${negative[at] ? '-' : '+'}${fixed ? window[at] : ''}`);
          expect(got.sort(), `c ${c}, windows ${low}-${high}, bucket ${g}`).toEqual((naive.get(g) ?? []).sort());
        }
      }
    }
  });
});

describe('BucketRounds', () => {
  it('sums buckets of every size, in independent batches of at most the given size', () => {
    const random = seededRandom(8);
    const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 100, 0, 1, 64];
    const start = new Int32Array(sizes.length + 1);
    sizes.forEach((size, g) => (start[g + 1] = start[g]! + size));
    const values = Array.from({ length: start[sizes.length]! }, () => BigInt(1 + Math.floor(random() * 1e9)));
    for (const maxBatch of [1, 3, 7, 64, 4096]) {
      const { sums, batches } = replay(new BucketRounds(start), values, maxBatch);
      sizes.forEach((_, g) => expect(sums[g]).toBe(mod(values.slice(start[g]!, start[g + 1]!).reduce((a, b) => a + b, 0n))));
      // Rounds: log2 of the largest bucket, each cut into batches of maxBatch.
      if (maxBatch === 4096) expect(batches).toBe(Math.ceil(Math.log2(100)));
    }
    // In chunks of buckets (every round of a chunk before the next), the same sums.
    for (const [maxBatch, chunk] of [[3, 1], [7, 5], [64, 40], [4096, 120]] as const) {
      const { sums, batches } = replay(new BucketRounds(start, chunk), values, maxBatch);
      sizes.forEach((_, g) => expect(sums[g], `chunks of ${chunk}, batches of ${maxBatch}`).toBe(mod(values.slice(start[g]!, start[g + 1]!).reduce((a, b) => a + b, 0n))));
      // Chunks of 120 slots: buckets 0-12 (203 operands, the largest 100: 7 rounds), then 13-15
      // (65 operands, the largest 64: 6 rounds).
      if (maxBatch === 4096) expect(batches).toBe(7 + 6);
    }
  });

  it('drops sums at infinity: a bucket whose points cancel in part or in whole', () => {
    const v = (x: bigint) => mod(x);
    // Bucket 0: P, -P (cancel at once); bucket 1: P, -P, Q (the cancelled slot meets Q: moved);
    // bucket 2: Q, P, -P, -Q (cancel in the second round); bucket 3: P, P (a doubling); bucket 4: P, Q, -P, R', -Q, -R'.
    const buckets = [[5n, -5n], [5n, -5n, 9n], [9n, 5n, -5n, -9n], [5n, 5n], [5n, 9n, -5n, 11n, -9n, -11n]];
    const start = new Int32Array(buckets.length + 1);
    buckets.forEach((b, g) => (start[g + 1] = start[g]! + b.length));
    for (const [maxBatch, chunk] of [[1, undefined], [2, undefined], [4096, undefined], [2, 3], [4096, 4]] as const) {
      const { sums } = replay(new BucketRounds(start, chunk), buckets.flat().map(v), maxBatch);
      expect(sums).toEqual([0n, 9n, 0n, 10n, 0n]);
    }
  });
});

describe('the schedule as a whole: digits → buckets → batches', () => {
  const random = seededRandom(9);
  const wide = () => mod(BigInt(Math.floor(random() * 2 ** 52)) ** 5n + BigInt(Math.floor(random() * 2 ** 40)));
  const values = Array.from({ length: 150 }, () => wide());
  const vectors: [string, bigint[], bigint[]][] = [
    ['random', values.map(() => wide()), values],
    ['all zero', values.map(() => 0n), values],
    ['all one', values.map(() => 1n), values],
    ['mostly 0 and 1, some small and wide', values.map(() => { const k = random(); return k < 0.4 ? 0n : k < 0.85 ? 1n : k < 0.95 ? BigInt(Math.floor(random() * 300)) : wide(); }), values],
    // A point repeated, and a point with its negation under equal scalars: their digits share buckets.
    ['a repeated point and a cancelling pair', values.map((_, i) => (i < 6 ? 77777n : wide())), values.map((x, i) => (i === 1 ? values[0]! : i === 3 ? mod(-values[2]!) : i === 5 ? mod(-values[4]!) : x))],
    ['r - 1 and digit edges', values.map((_, i) => (i === 0 ? R - 1n : (1n << BigInt(i % 60)) + BigInt((i % 3) - 1))), values],
  ];
  for (const [name, scalars, points] of vectors) {
    it(`equals Σ sᵢ·vᵢ: ${name}`, () => {
      const want = direct(scalars, points);
      for (const c of [4, 9]) {
        for (const maxBatch of [5, 4096]) {
          expect(scheduledMsm(scalars, points, c, { maxBatch })).toBe(want);
          expect(scheduledMsm(scalars, points, c, { maxBatch, perGroup: 3 })).toBe(want);
          expect(scheduledMsm(scalars, points, c, { maxBatch, perGroup: 3, chunk: 17 })).toBe(want);
          expect(scheduledMsm(scalars, points, c, { maxBatch, fixed: true })).toBe(want);
        }
      }
    });
  }
});
