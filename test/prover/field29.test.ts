import { beforeAll, describe, expect, it } from 'vitest';
import { readUintLE, writeUintLE } from '../../core/binfile.js';
import { seededRandom } from '../../core/random.js';
import { LIMB_BITS, LIMBS, ZQ_BYTES, limbBytes } from '../../prover/field29.js';
import { proverModule } from '../../prover/wasm-module.js';
import { WasmArena } from '../../prover/wasm-arena.js';

/** bn128's base and scalar fields, written out so the test does not trust the code under test. */
const PRIMES = {
  zq: 21888242871839275222246405745257275088696311157297823662689037894645226208583n,
  zr: 21888242871839275222246405745257275088548364400416034343698204186575808495617n,
};
const Q = PRIMES.zq;
const R = 1n << 261n;

let arena: WasmArena;
let x: number;
let y: number;
let out: number;

beforeAll(() => {
  arena = WasmArena.create(proverModule());
  [x, y, out] = [arena.alloc(128), arena.alloc(128), arena.alloc(128)];
  arena.scratch(1 << 16);
});

const put = (pointer: number, value: bigint) => arena.write(pointer, limbBytes(value));
const get = (pointer: number) => {
  const limbs = new Uint32Array(arena.copy(pointer, ZQ_BYTES).buffer);
  let value = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) value = (value << BigInt(LIMB_BITS)) + BigInt(limbs[i]!);
  return value;
};
/** The element of Fq that a Montgomery representation stands for. */
const meaning = (representation: bigint, p = Q) => (representation * inverse(R, p)) % p;
function inverse(a: bigint, p = Q): bigint {
  let [r0, r1, s0, s1] = [a % p, p, 1n, 0n];
  while (r1 !== 0n) {
    const k = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - k * r1, s1, s0 - k * s1];
  }
  return ((s0 % p) + p) % p;
}

/** Representations in [0, 2p): both representatives of a value, and the edges. */
function samples(seed: number, count: number, Q = PRIMES.zq): bigint[] {
  const random = seededRandom(seed);
  const edges = [0n, 1n, Q - 1n, Q, Q + 1n, 2n * Q - 1n, R % Q, (R % Q) + Q, (1n << 254n) - 1n];
  const out = [...edges];
  while (out.length < count) {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    out.push(v % (2n * Q));
  }
  return out;
}

function binary(name: string, a: bigint, b: bigint): bigint {
  put(x, a);
  put(y, b);
  arena.fn(name)(x, y, out);
  return get(out);
}

describe('fields in 29-bit limbs (R = 2^261, values below 2p)', () => {
  for (const [field, Q] of Object.entries(PRIMES)) {
    const values = samples(7, 300, Q);
    const pairs = values.map((a, i) => [a, values[(i * 7 + 3) % values.length]!] as const);
    const meaning = (representation: bigint) => (representation * inverse(R, Q)) % Q;
    it(`${field}: multiplies, squares, adds, subtracts and negates as its field does, staying below 2p with normal limbs`, () => {
      const inRange = (v: bigint) => {
        expect(v < 2n * Q).toBe(true);
        for (const limb of new Uint32Array(arena.copy(out, ZQ_BYTES).buffer)) expect(limb < 2 ** LIMB_BITS).toBe(true);
      };
      for (const [a, b] of pairs) {
        const [ma, mb] = [meaning(a), meaning(b)];
        let r = binary(`${field}_mul`, a, b);
        inRange(r);
        expect(meaning(r)).toBe((ma * mb) % Q);
        put(x, a);
        arena.fn(`${field}_square`)(x, out);
        r = get(out);
        inRange(r);
        expect(meaning(r)).toBe((ma * ma) % Q);
        r = binary(`${field}_add`, a, b);
        inRange(r);
        expect(meaning(r)).toBe((ma + mb) % Q);
        r = binary(`${field}_sub`, a, b);
        inRange(r);
        expect(meaning(r)).toBe((ma - mb + Q) % Q);
        put(x, a);
        arena.fn(`${field}_neg`)(x, out);
        r = get(out);
        inRange(r);
        expect(meaning(r)).toBe((Q - ma) % Q);
      }
    });

    it(`${field}: multiplies unnormalized limb sums (below 4p) correctly`, () => {
      for (const [a, b] of pairs) {
        put(x, a);
        put(y, b);
        arena.fn(`${field}_addLimbs`)(x, y, x);
        arena.fn(`${field}_addLimbs`)(y, y, y);
        arena.fn(`${field}_mul`)(x, y, out);
        expect(get(out) < 2n * Q).toBe(true);
        expect(meaning(get(out))).toBe((meaning(a + b) * meaning(2n * b)) % Q);
        arena.fn(`${field}_square`)(x, out);
        expect(meaning(get(out))).toBe((meaning(a + b) * meaning(a + b)) % Q);
      }
    });

    it(`${field}: a lazy difference (x - y + 4p, no carries) multiplies correctly, at the extremes too`, () => {
      const extremes = [0n, 1n, 2n * Q - 1n, Q, (1n << 232n) - 1n, ((1n << 232n) - 1n) ^ 0x1555555555n];
      const lazyPairs = [...extremes.flatMap((a) => extremes.map((b) => [a, b] as const)), ...pairs];
      for (const [a, b] of lazyPairs) {
        put(x, a);
        put(y, b);
        arena.fn(`${field}_subLazy`)(x, y, out);
        const limbs = new Uint32Array(arena.copy(out, ZQ_BYTES).buffer);
        for (const limb of limbs) expect(limb < 2 ** 31).toBe(true);
        // Its other operand normalized and as large as it gets.
        put(y, 2n * Q - 1n);
        arena.fn(`${field}_mul`)(out, y, out);
        expect(get(out) < 2n * Q).toBe(true);
        expect(meaning(get(out))).toBe((((meaning(a) - meaning(b)) * meaning(2n * Q - 1n)) % Q + Q) % Q);
      }
    });

    it(`${field}: tells equal elements (both representatives of one) from unequal ones`, () => {
      const cases = [...pairs, ...values.map((a) => [a, a] as const), ...values.map((a) => [a, a < Q ? a + Q : a - Q] as const)];
      // Unequal, with equal low limbs or low limbs apart by p's.
      cases.push([5n, 5n + (1n << 29n)], [Q + 7n, 7n + (1n << 100n)], [0n, 2n * Q - Q + (1n << 40n)]);
      for (const [a, b] of cases) {
        put(x, a);
        put(y, b);
        expect(arena.fn(`${field}_equal`)(x, y)).toBe(a % Q === b % Q ? 1 : 0);
      }
    });

    it(`${field}: converts to ffjavascript's form and to a plain integer`, () => {
      for (const a of values) {
        put(x, a);
        arena.fn(`${field}_toFf`)(x, out);
        expect(readUintLE(arena.copy(out, 32))).toBe((meaning(a) * (1n << 256n)) % Q);
        arena.fn(`${field}_fromFf`)(out, y);
        expect(meaning(get(y))).toBe(meaning(a));
        arena.fn(`${field}_toNormal`)(x, out);
        expect(readUintLE(arena.copy(out, 32))).toBe(meaning(a));
      }
    });
  }

  const values = samples(7, 300);

  it('tells zero (0 and q) from everything else and inverts, in Fq', () => {
    for (const a of values) {
      put(x, a);
      expect(arena.fn('zq_isZero')(x)).toBe(a % Q === 0n ? 1 : 0);
      if (a % Q === 0n) continue;
      arena.fn('zq_inverse')(x, out);
      expect((meaning(get(out)) * meaning(a)) % Q).toBe(1n);
    }
    arena.fn('zq_one')(out);
    expect(meaning(get(out))).toBe(1n);
    // The largest element ffjavascript stores (q - 1 = a·2^256 mod q).
    arena.write(x, writeUintLE(Q - 1n, 32));
    arena.fn('zq_fromFf')(x, y);
    expect(meaning(get(y))).toBe(((Q - 1n) * inverse(1n << 256n)) % Q);
  });

  it('does Fq2 (u² = -1) as ffjavascript\'s f2m does', () => {
    const f2 = (pointer: number) => [meaning(get(pointer)), meaning(get(pointer + ZQ_BYTES))] as const;
    for (let i = 0; i + 3 < values.length; i += 4) {
      const [a0, a1, b0, b1] = values.slice(i, i + 4) as [bigint, bigint, bigint, bigint];
      put(x, a0);
      put(x + ZQ_BYTES, a1);
      put(y, b0);
      put(y + ZQ_BYTES, b1);
      const [p0, p1] = [meaning(a0), meaning(a1)];
      const [q0, q1] = [meaning(b0), meaning(b1)];
      arena.fn('zq2_mul')(x, y, out);
      expect(f2(out)).toEqual([(((p0 * q0 - p1 * q1) % Q) + Q) % Q, (p0 * q1 + p1 * q0) % Q]);
      arena.fn('zq2_square')(x, out);
      expect(f2(out)).toEqual([(((p0 * p0 - p1 * p1) % Q) + Q) % Q, (2n * p0 * p1) % Q]);
      arena.fn('zq2_mul')(x, y, x); // the result may overwrite an operand
      expect(f2(x)).toEqual([(((p0 * q0 - p1 * q1) % Q) + Q) % Q, (p0 * q1 + p1 * q0) % Q]);
      if (p0 === 0n && p1 === 0n) continue;
      put(x, a0);
      put(x + ZQ_BYTES, a1);
      arena.fn('zq2_inverse')(x, out);
      arena.fn('zq2_mul')(x, out, out);
      expect(f2(out)).toEqual([1n, 0n]);
    }
  });

  it("does the pairing's one-pass linear maps (ξx, ξx + y, 3x ± 2y, 3x) at the extremes of [0, 2p), below 2p with normal limbs", () => {
    const f2 = (pointer: number) => [meaning(get(pointer)), meaning(get(pointer + ZQ_BYTES))] as const;
    const normal = (pointer: number) => {
      for (const v of [get(pointer), get(pointer + ZQ_BYTES)]) expect(v < 2n * Q).toBe(true);
      for (const limb of new Uint32Array(arena.copy(pointer, 2 * ZQ_BYTES).buffer)) expect(limb < 2 ** LIMB_BITS).toBe(true);
    };
    const extremes = [0n, 1n, Q - 1n, Q, 2n * Q - 1n, (1n << 253n) + 12345n];
    const cases = [...extremes.flatMap((a) => extremes.map((b) => [a, b] as const)), ...values.slice(0, 40).map((v, i) => [v, values[i + 40]!] as const)];
    const mod = (v: bigint) => ((v % Q) + Q) % Q;
    for (const [a, b] of cases) {
      // x = a + b·u, y = b + a·u.
      put(x, a);
      put(x + ZQ_BYTES, b);
      put(y, b);
      put(y + ZQ_BYTES, a);
      const [x0, x1] = [meaning(a), meaning(b)];
      const [y0, y1] = [x1, x0];
      const check = (name: string, args: number[], expected: readonly [bigint, bigint]) => {
        arena.fn(name)(...args, out);
        normal(out);
        expect(f2(out), `${name}(${a}, ${b})`).toEqual(expected.map(mod));
      };
      check('zq2_mulXi', [x], [9n * x0 - x1, x0 + 9n * x1]);
      check('zq2_mulXiAdd', [x, y], [9n * x0 - x1 + y0, x0 + 9n * x1 + y1]);
      check('zq2_threeMinusTwo', [x, y], [3n * x0 - 2n * y0, 3n * x1 - 2n * y1]);
      check('zq2_threePlusTwo', [x, y], [3n * x0 + 2n * y0, 3n * x1 + 2n * y1]);
      check('zq2_triple', [x], [3n * x0, 3n * x1]);
    }
  });
});
