import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { domainRoots } from '../../core/field.js';
import { singleThreadCurve } from '../../prover/bn128.js';
import { domainTables } from '../../prover/fft.js';
import { proverModule } from '../../prover/wasm-module.js';
import { WasmArena } from '../../prover/wasm-arena.js';
import { P, R, inverse, meaning, power, putRepresentations, readElements } from '../helpers/zr.js';

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

const put = (values: bigint[]) => putRepresentations(arena, values);
const read = (pointer: number, count: number) => readElements(arena, pointer, count);

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

/** ω^j for j < n/2 (at least one), as representations: zr_zkFftDif's twiddles; in bit-reversed order (bits - 1 bits), zr_zkFftFromReversed's. */
function twiddles(omega: bigint, bits: number, order: 'natural' | 'reversed'): number {
  const half = Math.max(1, 2 ** (bits - 1));
  const powers = Array.from({ length: half }, (_, j) => (power(omega, BigInt(j)) * R) % P);
  return put(order === 'natural' ? powers : powers.map((_, j) => powers[reverse(j, bits - 1)]!));
}

describe('the FFTs on Fr in 29-bit limbs', () => {
  for (const bits of [1, 2, 3, 5, 6]) {
    const n = 2 ** bits;
    const omega = rootOfUnity(bits);

    it(`zr_zkFftDif: 2^${bits} elements in natural order to their transform in bit-reversed order`, () => {
      const mark = arena.top;
      const xs = randomRepresentations(n, bits);
      const at = put(xs);
      arena.fn('zr_zkFftDif')(at, bits, twiddles(omega, bits, 'natural'));
      const expected = dft(xs.map(meaning), omega);
      const found = read(at, n);
      expect(found.map((_, i) => found[reverse(i, bits)])).toEqual(expected);
      arena.release(mark);
    });

    it(`zr_zkFftFromReversed: 2^${bits} elements in bit-reversed order to their transform in natural order`, () => {
      const mark = arena.top;
      const xs = randomRepresentations(n, 100 + bits);
      const at = put(xs.map((_, i) => xs[reverse(i, bits)]!));
      arena.fn('zr_zkFftFromReversed')(at, bits, twiddles(omega, bits, 'reversed'));
      expect(read(at, n)).toEqual(dft(xs.map(meaning), omega));
      arena.release(mark);
    });
  }

  it("a domain's tables take evaluations on the domain to the polynomial's on the coset (inverse DIF, coset shift, FFT from bit-reversed order)", () => {
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
    arena.fn('zr_zkFftFromReversed')(at, bits, tables.forward);
    // The polynomial's coefficients from its values, then its values at coset·ω^i.
    const nInverse = inverse(BigInt(n));
    const coefficients = dft(evaluations.map(meaning), inverse(omega)).map((a) => (a * nInverse) % P);
    const onCoset = dft(coefficients.map((a, j) => (a * power(coset, BigInt(j))) % P), omega);
    expect(read(at, n)).toEqual(onCoset);
    arena.release(mark);
  });
});

/** ffjavascript's FFTs on its bn128 Fr (what snarkjs's prover runs), on bigints. */
async function ffjavascriptFr() {
  const { curve } = await singleThreadCurve();
  type Buffer = Uint8Array;
  const fr = curve.Fr as unknown as {
    e(value: bigint): Buffer;
    toObject(element: Buffer): bigint;
    fft(values: Buffer): Promise<Buffer>;
    ifft(values: Buffer): Promise<Buffer>;
    batchApplyKey(values: Buffer, first: Buffer, increment: Buffer): Promise<Buffer>;
    w: Buffer[];
  };
  const pack = (values: bigint[]) => {
    const buffer = new Uint8Array(values.length * 32);
    values.forEach((v, i) => buffer.set(fr.e(v), i * 32));
    return buffer;
  };
  const unpack = (buffer: Uint8Array) => Array.from({ length: buffer.byteLength / 32 }, (_, i) => fr.toObject(buffer.subarray(i * 32, (i + 1) * 32)));
  return {
    fft: async (values: bigint[]) => unpack(await fr.fft(pack(values))),
    /** snarkjs's groth16.prove: the inverse FFT, coefficient i times w[bits + 1]^i, the FFT. */
    onCoset: async (values: bigint[], bits: number) => unpack(await fr.fft(await fr.batchApplyKey(await fr.ifft(pack(values)), fr.e(1n), fr.w[bits + 1]!))),
  };
}

describe("the FFTs against ffjavascript's", () => {
  for (const bits of [8, 11]) {
    const n = 2 ** bits;
    it(`2^${bits}: zr_zkFftDif and zr_zkFftFromReversed equal ffjavascript's fft, and with the coset shift its ifft, shift and fft as snarkjs's prover runs them`, async () => {
      const ff = await ffjavascriptFr();
      const { omega, coset } = domainRoots(bits);
      const mark = arena.top;
      const tables = domainTables(arena, bits, omega, coset);
      const xs = randomRepresentations(n, 7 + bits);
      const values = xs.map(meaning);
      const transform = await ff.fft(values);

      let at = put(xs);
      arena.fn('zr_zkFftDif')(at, bits, twiddles(omega, bits, 'natural'));
      const found = read(at, n);
      expect(found.map((_, i) => found[reverse(i, bits)])).toEqual(transform);

      at = put(xs.map((_, i) => xs[reverse(i, bits)]!));
      arena.fn('zr_zkFftFromReversed')(at, bits, tables.forward);
      expect(read(at, n)).toEqual(transform);

      at = put(xs);
      arena.fn('zr_zkFftDif')(at, bits, tables.inverse);
      arena.fn('zr_zkMulPointwise')(at, tables.coset, n);
      arena.fn('zr_zkFftFromReversed')(at, bits, tables.forward);
      expect(read(at, n)).toEqual(await ff.onCoset(values, bits));
      arena.release(mark);
    });
  }
});
