import { beforeAll, describe, expect, it } from 'vitest';
import { writeUintLE } from '../../core/binfile.js';
import { seededRandom } from '../../core/random.js';
import { singleThreadCurve } from '../../prover/bn128.js';
import { Msm, reductionSegment, splitWindows } from '../../prover/msm.js';
import { ENTRY_BYTES, MAX_BATCH } from '../../prover/msm-kernels.js';
import { ZQ_BYTES } from '../../prover/field29.js';
import { proverModule } from '../../prover/wasm-module.js';
import { WasmArena } from '../../prover/wasm-arena.js';

/** BN254's scalar field order, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

type Group = 'G1' | 'G2';
const AFFINE: Record<Group, number> = { G1: 64, G2: 128 };
const PREFIX: Record<Group, string> = { G1: 'g1m', G2: 'g2m' };

let arena: WasmArena;
let generator: Record<Group, number>;

const scalarBytes = (value: bigint) => writeUintLE(value, 32);

beforeAll(async () => {
  arena = WasmArena.create(proverModule());
  const { curve } = await singleThreadCurve();
  generator = { G1: 0, G2: 0 };
  for (const group of ['G1', 'G2'] as const) {
    // ffjavascript's generator, Jacobian Montgomery; its affine form's x‖y is what the key stores.
    const affine = curve[group].toAffine(curve[group].g);
    generator[group] = arena.alloc(AFFINE[group]);
    arena.write(generator[group], affine.subarray(0, AFFINE[group]));
  }
});

/** n affine points k·G for the given multipliers (0 gives the point at infinity, stored as zeros). */
function points(group: Group, multipliers: readonly bigint[]): number {
  const size = AFFINE[group];
  const out = arena.alloc(multipliers.length * size);
  const scalar = arena.alloc(32);
  const jacobian = arena.alloc((size / 2) * 3);
  multipliers.forEach((k, i) => {
    arena.write(scalar, scalarBytes(((k % R) + R) % R));
    arena.fn(`${PREFIX[group]}_timesScalarAffine`)(generator[group], scalar, 32, jacobian);
    if (arena.fn(`${PREFIX[group]}_isZero`)(jacobian)) arena.view(out + i * size, size).fill(0);
    else arena.fn(`${PREFIX[group]}_toAffine`)(jacobian, out + i * size);
  });
  return out;
}

function affineOf(group: Group, jacobian: number): Uint8Array {
  if (arena.fn(`${PREFIX[group]}_isZero`)(jacobian)) return new Uint8Array(AFFINE[group]);
  const out = arena.alloc(AFFINE[group]);
  arena.fn(`${PREFIX[group]}_toAffine`)(jacobian, out);
  return arena.copy(out, AFFINE[group]);
}

/**
 * Σ sᵢ·kᵢ·G computed from the field: (Σ sᵢkᵢ mod r)·G. An independent reference for the MSM.
 */
function expected(group: Group, multipliers: readonly bigint[], scalars: readonly bigint[]): Uint8Array {
  let sum = 0n;
  scalars.forEach((s, i) => (sum = (sum + s * multipliers[i]!) % R));
  const out = points(group, [sum]);
  return arena.copy(out, AFFINE[group]);
}

/** Multipliers and scalars with every case the bucket method must get right. */
function cases(seed: number, n: number): { multipliers: bigint[]; scalars: bigint[] } {
  const random = seededRandom(seed);
  const big = () => {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    return v % R;
  };
  const multipliers: bigint[] = [];
  const scalars: bigint[] = [];
  const push = (k: bigint, s: bigint) => {
    multipliers.push(k);
    scalars.push(s);
  };
  // Equal points with equal scalars land in the same bucket: a doubling.
  push(5n, 77n);
  push(5n, 77n);
  // A point and its negation with equal scalars: the bucket cancels to infinity.
  push(9n, 1234n);
  push(R - 9n, 1234n);
  // A base at infinity (skipped), a zero scalar, and r - 1 (the widest scalar).
  push(0n, 3n);
  push(11n, 0n);
  push(13n, R - 1n);
  // Digit edges for every window width: 2^k - 1, 2^k, 2^k + 1.
  for (let k = 1n; k < 20n; k++) for (const d of [-1n, 0n, 1n]) push(100n + k, (1n << k) + d);
  while (multipliers.length < n) {
    const kind = random();
    push(big(), kind < 0.3 ? 0n : kind < 0.5 ? 1n : kind < 0.7 ? BigInt(Math.floor(random() * 1000)) : kind < 0.8 ? R - BigInt(Math.floor(random() * 1000)) : big());
  }
  return { multipliers, scalars };
}

describe('splitWindows', () => {
  it('cuts the windows into consecutive runs of about equal work, low to high, every window once', () => {
    const nonzero = Int32Array.from([100, 100, 100, 100, 100, 100, 100, 10]);
    // Work per window: nonzero digits + half (the reduction).
    expect(splitWindows(nonzero, 28, 1)).toEqual([{ low: 0, high: 7 }]);
    expect(splitWindows(nonzero, 28, 2)).toEqual([{ low: 0, high: 3 }, { low: 4, high: 7 }]);
    expect(splitWindows(nonzero, 28, 3)).toEqual([{ low: 0, high: 1 }, { low: 2, high: 4 }, { low: 5, high: 7 }]);
    // More parts than windows: one window each, the rest empty.
    expect(splitWindows(Int32Array.from([5, 5]), 4, 4)).toEqual([{ low: 0, high: 0 }, { low: 1, high: 1 }, undefined, undefined]);
    // A heavy window 0 (the ones' bucket) stands alone.
    expect(splitWindows(Int32Array.from([1000, 10, 10, 10]), 2, 2)).toEqual([{ low: 0, high: 0 }, { low: 1, high: 3 }]);
  });
});

/** count affine points first·G, (first + 1)·G, … in ffjavascript's form, by repeated addition (cheaper than points()). */
function consecutive(group: Group, first: bigint, count: number): Uint8Array {
  const size = AFFINE[group];
  const jacobian = (size / 2) * 3;
  const [sum, g, affine] = [arena.alloc(jacobian), arena.alloc(jacobian), arena.alloc(size)];
  arena.fn(`${PREFIX[group]}_toJacobian`)(points(group, [first]), sum);
  arena.fn(`${PREFIX[group]}_toJacobian`)(generator[group], g);
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    arena.fn(`${PREFIX[group]}_toAffine`)(sum, affine);
    out.set(arena.view(affine, size), i * size);
    arena.fn(`${PREFIX[group]}_add`)(sum, g, sum);
  }
  return out;
}

describe('zkBatchAddAffine (one batch of affine additions, one inversion)', () => {
  // Entry k adds points 2k and 2k + 1 of a run of consecutive multiples of G, into point 2k for
  // even k, apart for odd k; except that entry 4 adds a point to itself and entry 6 a point to its
  // negation (equal x: set aside, left untouched).
  for (const [group, count] of [['G1', MAX_BATCH], ['G1', 1], ['G1', 37], ['G2', 40]] as const) {
    it(`adds ${count} pairs on ${group} exactly as ffjavascript's addition does, in place or not`, () => {
      const size = AFFINE[group];
      const zkSize = (size / 32) * ZQ_BYTES;
      const mark = arena.top;
      const ffPoints = consecutive(group, 1000n + BigInt(count), 2 * count);
      const [ff, zk, outs] = [arena.alloc(ffPoints.byteLength), arena.alloc((ffPoints.byteLength / 32) * ZQ_BYTES), arena.alloc(count * zkSize)];
      const special = new Set(count > 6 ? [4, 6] : []);
      if (count > 6) {
        ffPoints.copyWithin(9 * size, 8 * size, 9 * size);
        ffPoints.copyWithin(13 * size, 12 * size, 13 * size);
      }
      arena.write(ff, ffPoints);
      // Entry 6's b: the negation of its a (ffjavascript's y → -y, coordinate by coordinate).
      const y13 = ff + 13 * size + size / 2;
      if (count > 6) for (let d = 0; d < size / 64; d++) arena.fn('f1m_neg')(y13 + 32 * d, y13 + 32 * d);
      arena.fn('zq_batchFromFf')(ff, zk, ffPoints.byteLength / 32);
      const [entries, specials] = [arena.alloc(count * ENTRY_BYTES), arena.alloc(count * 4)];
      const entry = new Int32Array(count * 4);
      for (let k = 0; k < count; k++) entry.set([k % 2 === 0 ? zk + 2 * k * zkSize : outs + k * zkSize, zk + 2 * k * zkSize, zk + (2 * k + 1) * zkSize, 0], 4 * k);
      arena.write(entries, new Uint8Array(entry.buffer));
      const before = arena.copy(zk, ffPoints.byteLength / 32 * ZQ_BYTES);
      arena.scratch(1 << 20);

      const nSpecial = arena.fn(`${PREFIX[group]}_zkBatchAddAffine`)(entries, count, specials);

      expect(nSpecial).toBe(special.size);
      expect([...new Int32Array(arena.copy(specials, nSpecial * 4).buffer)]).toEqual([...special]);
      const [ffOut, jacobian] = [arena.alloc(size), arena.alloc((size / 2) * 3)];
      for (let k = 0; k < count; k++) {
        const out = entry[4 * k]!;
        if (special.has(k)) {
          expect(arena.copy(out, zkSize), `entry ${k} untouched`).toEqual(before.subarray(out - zk, out - zk + zkSize));
          continue;
        }
        arena.fn(`${PREFIX[group]}_addAffine`)(ff + 2 * k * size, ff + (2 * k + 1) * size, jacobian);
        arena.fn(`${PREFIX[group]}_toAffine`)(jacobian, ffOut);
        const want = arena.copy(ffOut, size);
        arena.fn('zq_batchToFf')(out, ffOut, size / 32);
        expect(arena.copy(ffOut, size), `entry ${k}`).toEqual(want);
      }
      arena.release(mark);
    });
  }
});

describe('Msm (batch-affine Pippenger with signed digits)', () => {
  for (const group of ['G1', 'G2'] as const) {
    it(`matches the field's answer on ${group}, windowed and with precomputed bases`, () => {
      const { multipliers, scalars } = cases(group === 'G1' ? 1 : 2, group === 'G1' ? 700 : 250);
      const n = multipliers.length;
      const bases = points(group, multipliers);
      const scalarsAt = arena.alloc(n * 32);
      scalars.forEach((s, i) => arena.write(scalarsAt + i * 32, scalarBytes(s)));
      const msm = Msm.allocate(arena, group, n, n * 64);
      const keyPoints = arena.copy(bases, n * AFFINE[group]);
      const plain = msm.bases(keyPoints);
      expect(plain.infinity.reduce((a, b) => a + b, 0)).toBe(1);
      const fixed5 = msm.bases(keyPoints, 5);
      const fixed8 = msm.bases(keyPoints, 8);
      const out = arena.alloc((AFFINE[group] / 2) * 3);
      arena.scratch(1 << 20);
      const want = expected(group, multipliers, scalars);

      msm.run(plain, scalarsAt, n, out);
      expect(affineOf(group, out)).toEqual(want);
      msm.run(fixed5, scalarsAt, n, out);
      expect(affineOf(group, out)).toEqual(want);
      msm.run(fixed8, scalarsAt, n, out);
      expect(affineOf(group, out)).toEqual(want);
      // Shared out by windows (a proof's threads): the parts' sums add up to the whole, and a part
      // beyond the windows sums nothing.
      const total = arena.alloc((AFFINE[group] / 2) * 3);
      for (const bases of [plain, fixed5]) {
        for (const of of [2, 3, 60]) {
          arena.fn(`${PREFIX[group]}_zero`)(total);
          for (let index = 0; index < of; index++) {
            msm.run(bases, scalarsAt, n, out, 0, { index, of });
            arena.fn(`${PREFIX[group]}_add`)(total, out, total);
          }
          expect(affineOf(group, total)).toEqual(want);
        }
      }
      msm.run(plain, scalarsAt, n, out, 0, { index: 59, of: 60 });
      expect(arena.fn(`${PREFIX[group]}_isZero`)(out)).toBe(1);
      // The same module's own multiexp agrees too (it sees the infinity base as a zero term).
      arena.fn(`${PREFIX[group]}_multiexpAffine`)(bases, scalarsAt, 32, n, out);
      expect(affineOf(group, out)).toEqual(want);
    });
  }

  // A witness is mostly zeros and ones, and the MSM sums the ones' points apart from the digits.
  for (const group of ['G1', 'G2'] as const) {
    it(`sums mostly-0/1, all-one and random scalars on ${group} as the field does`, () => {
      const random = seededRandom(group === 'G1' ? 3 : 4);
      const n = group === 'G1' ? 600 : 200;
      const big = () => BigInt(Math.floor(random() * 2 ** 52)) * BigInt(Math.floor(random() * 2 ** 52)) * BigInt(Math.floor(random() * 2 ** 52)) * 7919n;
      // Among the bases: a point at infinity, a repeated point (a doubling among the ones), and a
      // point with its negation (cancelling among the ones).
      const multipliers = Array.from({ length: n }, (_, i) => (i === 0 ? 0n : i === 1 || i === 2 ? 5n : i === 3 ? 9n : i === 4 ? R - 9n : BigInt(i) * 1000003n));
      const mostlyBits = multipliers.map(() => {
        const kind = random();
        return kind < 0.45 ? 0n : kind < 0.92 ? 1n : kind < 0.97 ? BigInt(2 + Math.floor(random() * 200)) : big() % R;
      });
      const vectors: [string, bigint[]][] = [
        ['mostly 0 and 1', mostlyBits],
        ['all one', multipliers.map(() => 1n)],
        ['all one but one wide scalar', multipliers.map((_, i) => (i === n - 1 ? R - 2n : 1n))],
        ['random', multipliers.map(() => big() % R)],
        ['all zero', multipliers.map(() => 0n)],
      ];
      const bases = points(group, multipliers);
      const keyPoints = arena.copy(bases, n * AFFINE[group]);
      const msm = Msm.allocate(arena, group, n, n * 64);
      const [plain, fixed] = [msm.bases(keyPoints), msm.bases(keyPoints, 8)];
      const scalarsAt = arena.alloc(n * 32);
      const out = arena.alloc((AFFINE[group] / 2) * 3);
      arena.scratch(1 << 20);
      for (const [name, scalars] of vectors) {
        scalars.forEach((s, i) => arena.write(scalarsAt + i * 32, scalarBytes(s)));
        const want = expected(group, multipliers, scalars);
        for (const msmBases of [plain, fixed]) {
          msm.run(msmBases, scalarsAt, n, out);
          expect(affineOf(group, out), `${name}, ${msmBases === plain ? 'windowed' : 'precomputed'}`).toEqual(want);
        }
      }
      // The ones of ±P alone cancel to the point at infinity.
      [0n, 0n, 0n, 1n, 1n].forEach((s, i) => arena.write(scalarsAt + i * 32, scalarBytes(s)));
      msm.run(plain, scalarsAt, 5, out);
      expect(arena.fn(`${PREFIX[group]}_isZero`)(out)).toBe(1);
    });
  }

  it('sums buckets whose running sums meet them (equal x, doublings and cancellations) as the field does', () => {
    // Every base is G, so every bucket holds a small multiple of G, and a running sum of them often
    // equals a bucket's multiple or its negation: the batch-affine reduction's additions that are
    // redone apart. Wide scalars fill every bucket, so the reduction is batch-affine.
    const random = seededRandom(5);
    const n = 1500;
    const bases = points('G1', [1n]);
    const keyPoints = new Uint8Array(n * 64);
    for (let i = 0; i < n; i++) keyPoints.set(arena.copy(bases, 64), i * 64);
    const scalars = Array.from({ length: n }, () => {
      let v = 0n;
      for (let w = 0; w < 8; w++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
      return v % R;
    });
    const scalarsAt = arena.alloc(n * 32);
    scalars.forEach((s, i) => arena.write(scalarsAt + i * 32, scalarBytes(s)));
    // Room for every window's digits at once: one group of windows, many buckets.
    const msm = Msm.allocate(arena, 'G1', n, n * 40);
    const msmBases = msm.bases(keyPoints);
    const out = arena.alloc(96);
    arena.scratch(1 << 20);
    msm.run(msmBases, scalarsAt, n, out);
    expect(affineOf('G1', out)).toEqual(expected('G1', scalars.map(() => 1n), scalars));
  });

  it('gives the point at infinity for all-zero scalars and for terms that cancel', () => {
    const bases = points('G1', [3n, R - 3n, 8n]);
    const scalarsAt = arena.alloc(3 * 32);
    arena.view(scalarsAt, 3 * 32).fill(0);
    const msm = Msm.allocate(arena, 'G1', 3);
    const msmBases = msm.bases(arena.copy(bases, 3 * 64));
    const out = arena.alloc(96);
    arena.scratch(1 << 20);
    msm.run(msmBases, scalarsAt, 3, out);
    expect(arena.fn('g1m_isZero')(out)).toBe(1);
    [5n, 5n, 0n].forEach((s, i) => arena.write(scalarsAt + i * 32, scalarBytes(s)));
    msm.run(msmBases, scalarsAt, 3, out);
    expect(arena.fn('g1m_isZero')(out)).toBe(1);
  });

  it('reduces buckets in batch-affine segments only where there are many, each step one batch', () => {
    expect(reductionSegment(1, 2).length).toBe(0);
    expect(reductionSegment(2, 8).length).toBe(0);
    expect(reductionSegment(20, 4096, 0.05).length).toBe(0);
    for (const [sets, half] of [[20, 4096], [2, 4096], [1, 32768], [30, 64], [1, 2048]] as const) {
      const { length } = reductionSegment(sets, half);
      expect(length, `${sets} × ${half}`).toBeGreaterThan(0);
      expect(half % length).toBe(0);
      expect((sets * half) / length).toBeLessThanOrEqual(MAX_BATCH);
    }
  });

  it('refuses more points than it has room for', () => {
    const msm = Msm.allocate(arena, 'G1', 2);
    expect(() => msm.run(msm.bases(new Uint8Array(3 * 64)), 0, 3, 0)).toThrow(/an MSM of 3 points in space for 2/);
  });
});
