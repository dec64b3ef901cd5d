import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { domainRoots } from '../../core/field.js';
import { domainTables } from '../../prover/fft.js';
import { LIMB_BITS, LIMBS, ZQ_BYTES, toLimbs } from '../../prover/field29.js';
import { proverModule } from '../../prover/wasm-module.js';
import { WasmArena } from '../../prover/wasm-arena.js';

/** bn128's scalar field, written out so the test does not trust the code under test. */
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const R = 1n << 261n;

function power(base: bigint, exponent: bigint): bigint {
  let [result, b, e] = [1n, base % P, exponent];
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}
const inverse = (a: bigint) => power(a, P - 2n);
/** An element of order 2^bits: 5 is not a square mod P. */
const rootOfUnity = (bits: number) => power(5n, (P - 1n) >> BigInt(bits));
const reverse = (i: number, bits: number) => {
  let j = 0;
  for (let k = 0; k < bits; k++) j = (j << 1) | ((i >> k) & 1);
  return j;
};
/** Σⱼ xⱼ ω^(ij), term by term. */
const dft = (xs: bigint[], omega: bigint) => xs.map((_, i) => xs.reduce((sum, x, j) => (sum + x * power(omega, BigInt(i * j))) % P, 0n));

let arena: WasmArena;

beforeAll(() => {
  arena = WasmArena.create(proverModule());
});

/** Write representations (Montgomery form, R = 2^261) at a fresh allocation. */
function put(values: bigint[]): number {
  const pointer = arena.alloc(values.length * ZQ_BYTES);
  values.forEach((v, i) => arena.write(pointer + i * ZQ_BYTES, new Uint8Array(Uint32Array.from(toLimbs(v)).buffer)));
  return pointer;
}

/** The elements the representations at `pointer` stand for, after checking they are below 2p in normal limbs. */
function read(pointer: number, count: number): bigint[] {
  return Array.from({ length: count }, (_, k) => {
    const limbs = new Uint32Array(arena.copy(pointer + k * ZQ_BYTES, ZQ_BYTES).buffer);
    let value = 0n;
    for (let i = LIMBS - 1; i >= 0; i--) {
      expect(limbs[i]! < 2 ** LIMB_BITS).toBe(true);
      value = (value << BigInt(LIMB_BITS)) + BigInt(limbs[i]!);
    }
    expect(value < 2n * P).toBe(true);
    return (value * inverse(R)) % P;
  });
}

/** Representations of random elements, both representatives (v and v + P) and the edges among them. */
function randomRepresentations(count: number, seed: number): bigint[] {
  const random = seededRandom(seed);
  const edges = [0n, P, 2n * P - 1n, P - 1n, 1n];
  return Array.from({ length: count }, (_, i) => {
    if (i < edges.length && count > 8) return edges[i]!;
    let v = 0n;
    for (let w = 0; w < 8; w++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    return v % (2n * P);
  });
}

const meaning = (representation: bigint) => (representation * inverse(R)) % P;

describe('the FFTs on Fr in 29-bit limbs', () => {
  for (const bits of [1, 2, 3, 5, 6]) {
    const n = 2 ** bits;
    const omega = rootOfUnity(bits);
    const twiddles = () => put(Array.from({ length: Math.max(1, n / 2) }, (_, j) => (power(omega, BigInt(j)) * R) % P));

    it(`zr_zkFftDif: 2^${bits} elements in natural order to their transform in bit-reversed order`, () => {
      const mark = arena.top;
      const xs = randomRepresentations(n, bits);
      const at = put(xs);
      arena.fn('zr_zkFftDif')(at, bits, twiddles());
      const expected = dft(xs.map(meaning), omega);
      const found = read(at, n);
      expect(found.map((_, i) => found[reverse(i, bits)])).toEqual(expected);
      arena.release(mark);
    });

    it(`zr_zkFftDit: 2^${bits} elements in bit-reversed order to their transform in natural order`, () => {
      const mark = arena.top;
      const xs = randomRepresentations(n, 100 + bits);
      const at = put(xs.map((_, i) => xs[reverse(i, bits)]!));
      arena.fn('zr_zkFftDit')(at, bits, twiddles());
      expect(read(at, n)).toEqual(dft(xs.map(meaning), omega));
      arena.release(mark);
    });
  }

  it("a domain's tables take evaluations on the domain to the polynomial's on the coset: inverse DIF, coset shift, DIT", () => {
    const bits = 4;
    const n = 2 ** bits;
    const { omega, coset } = domainRoots(bits);
    expect(power(omega, BigInt(n))).toBe(1n);
    expect(power(omega, BigInt(n / 2))).not.toBe(1n);
    const mark = arena.top;
    const tables = domainTables(arena, bits, omega, coset);
    const evaluations = randomRepresentations(n, 42);
    const at = put(evaluations);
    arena.fn('zr_zkFftDif')(at, bits, tables.inverse);
    arena.fn('zr_zkMulPointwise')(at, tables.coset, n);
    arena.fn('zr_zkFftDit')(at, bits, tables.forward);
    // The polynomial's coefficients from its values, then its values at coset·ω^i.
    const nInverse = inverse(BigInt(n));
    const coefficients = dft(evaluations.map(meaning), inverse(omega)).map((a) => (a * nInverse) % P);
    const onCoset = dft(coefficients.map((a, j) => (a * power(coset, BigInt(j))) % P), omega);
    expect(read(at, n)).toEqual(onCoset);
    arena.release(mark);
  });
});
