import { beforeAll, describe, expect, it } from 'vitest';
import { readUintLE, writeUintLE } from '../../core/binfile.js';
import { seededRandom } from '../../core/random.js';
import { singleThreadCurve } from '../../prover/bn128.js';
import { BETA, HALVES_BYTES, LAMBDA, latticeBasis } from '../../prover/glv.js';
import { proverModule } from '../../prover/wasm-module.js';
import { WasmArena } from '../../prover/wasm-arena.js';

/** bn128's scalar and base field orders, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
const power = (base: bigint, e: bigint, m: bigint) => {
  let [result, b] = [1n, base % m];
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) result = (result * b) % m;
  return result;
};

let arena: WasmArena;

beforeAll(() => {
  arena = WasmArena.create(proverModule());
});

describe('GLV on G1', () => {
  it('has φ(x, y) = (βx, y) equal to λ·(x, y), β and λ nontrivial cube roots of unity', async () => {
    expect([power(BETA, 3n, P), power(LAMBDA, 3n, R)]).toEqual([1n, 1n]);
    expect([BETA % P, LAMBDA % R]).not.toContain(1n);
    const { curve } = await singleThreadCurve();
    const g = arena.alloc(64);
    arena.write(g, curve.G1.toAffine(curve.G1.g).subarray(0, 64));
    const [scalar, jacobian, times] = [arena.alloc(32), arena.alloc(96), arena.alloc(64)];
    arena.write(scalar, writeUintLE(LAMBDA, 32));
    arena.fn('g1m_timesScalarAffine')(g, scalar, 32, jacobian);
    arena.fn('g1m_toAffine')(jacobian, times);
    // β·x in ffjavascript's Montgomery form; y as it is.
    const beta = arena.alloc(32);
    arena.write(beta, writeUintLE(BETA, 32));
    arena.fn('f1m_toMontgomery')(beta, beta);
    arena.fn('f1m_mul')(g, beta, g);
    expect(arena.copy(times, 64)).toEqual(arena.copy(g, 64));
  });

  it('has a short lattice basis: a + λb ≡ 0 (mod r), determinant r, entries below 2^127', () => {
    const { a1, b1, a2, b2 } = latticeBasis();
    expect([mod(a1 + LAMBDA * b1, R), mod(a2 + LAMBDA * b2, R), a1 * b2 - a2 * b1]).toEqual([0n, 0n, R]);
    for (const entry of [a1, b1, a2, b2]) expect(entry < 0n ? -entry : entry).toBeLessThan(1n << 127n);
  });

  it('splits scalars into k₁ + λk₂ (mod r) with |k₁|, |k₂| < 2^127, at the edges and at random', () => {
    const random = seededRandom(20);
    const big = () => {
      let v = 0n;
      for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
      return v % R;
    };
    const { a1, a2 } = latticeBasis();
    const edges = [0n, 1n, 2n, R - 1n, R - 2n, LAMBDA, LAMBDA - 1n, LAMBDA + 1n, R - LAMBDA, a1, a2, a1 + a2, (1n << 127n) - 1n, 1n << 127n, 1n << 128n, (1n << 253n) + 12345n, R / 2n, R / 3n, (2n * R) / 3n];
    const scalars = [...edges, ...Array.from({ length: 2000 }, big)];
    const n = scalars.length;
    const [at, halves, signs] = [arena.alloc(n * 32), arena.alloc(n * HALVES_BYTES), arena.alloc(2 * n)];
    scalars.forEach((k, i) => arena.write(at + i * 32, writeUintLE(k, 32)));
    arena.fn('zr_zkGlvSplit')(at, n, halves, signs);
    const signOf = arena.copy(signs, 2 * n);
    scalars.forEach((k, i) => {
      const half = (h: number) => {
        const magnitude = readUintLE(arena.copy(halves + i * HALVES_BYTES + 32 * h, 32));
        return signOf[2 * i + h] ? -magnitude : magnitude;
      };
      const [k1, k2] = [half(0), half(1)];
      expect(mod(k1 + LAMBDA * k2 - k, R), `k = ${k}`).toBe(0n);
      for (const value of [k1, k2]) expect(value < 0n ? -value : value, `k = ${k}`).toBeLessThan(1n << 127n);
    });
  });
});
