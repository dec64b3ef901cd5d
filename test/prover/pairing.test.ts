/**
 * The pairing on field29 (prover/pairing-kernels.ts, driven by prover/pairing.ts) against
 * ffjavascript's own functions: Fp12 products, squares and line products on random elements; the
 * product of the multi-Miller loop's pairs is, byte for byte, the product of ffjavascript's
 * separate millerLoop calls, with G2 points prepared resident or per check; the final
 * exponentiation is ffjavascript's on random elements; the pairing is bilinear; and a product of
 * pairings checks out against its target exactly when it should (one scalar off is refused).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { type Element, type FfCurve, singleThreadCurve } from '../../prover/bn128.js';
import { scalarBytes } from '../../prover/g2-subgroup.js';
import { PairingArena } from '../../prover/pairing.js';
import { PAIRING_KERNELS, ZQ12_BYTES } from '../../prover/pairing-kernels.js';
import { WasmArena } from '../../prover/wasm-arena.js';
import { proverModule } from '../../prover/wasm-module.js';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

let curve: FfCurve;
let arena: PairingArena;
const random = seededRandom(23);
const scalar = () => {
  let value = 0n;
  for (let k = 0; k < 9; k++) value = (value << 32n) | BigInt(Math.floor(random() * 2 ** 32));
  return 1n + (value % (R - 1n));
};
const g1 = (k = scalar()) => curve.G1.timesScalar(curve.G1.g, scalarBytes(k));
const g2 = (k = scalar()) => curve.G2.timesScalar(curve.G2.g, scalarBytes(k));
/** A random element of Fp12 in ffjavascript's form (12 coordinates, Montgomery with 2^256, little-endian). */
const randomFp12 = () => {
  const out = new Uint8Array(384);
  for (let i = 0; i < 12; i++) {
    let value = 0n;
    for (let k = 0; k < 9; k++) value = (value << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    let m = ((value % Q) << 256n) % Q;
    for (let b = 0; b < 32; b++, m >>= 8n) out[i * 32 + b] = Number(m & 0xffn);
  }
  return out;
};
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
/** ffjavascript's loops, one call per pair, multiplied. */
const separateLoops = (pairs: { p: Element; q: Element }[]) =>
  pairs.map(({ p, q }) => curve.millerLoop(curve.prepareG1(p), curve.prepareG2(q))).reduce((x, y) => curve.Gt.mul(x, y));

beforeAll(async () => {
  const built = await singleThreadCurve();
  curve = built.curve;
  arena = PairingArena.create(proverModule(), { g1: curve.G1.g, g2: curve.G2.g });
});

describe('the pairing kernels on field29', () => {
  /** A kernel applied to elements given and returned in ffjavascript's form. */
  function kernels() {
    const wasm = WasmArena.create(proverModule());
    const slots = [0, 1, 2, 3].map(() => wasm.alloc(ZQ12_BYTES));
    const ff = wasm.alloc(384);
    const put = (slot: number, element: Uint8Array) => (wasm.write(ff, element), wasm.fn(PAIRING_KERNELS.fromFf)(ff, slots[slot]!));
    const get = (slot: number) => (wasm.fn(PAIRING_KERNELS.toFf)(slots[slot]!, ff), wasm.copy(ff, 384));
    return { wasm, slots, put, get };
  }

  it("multiply, square and multiply by a line as ffjavascript's Fp12 does, on random elements", () => {
    const { wasm, slots, put, get } = kernels();
    for (let trial = 0; trial < 8; trial++) {
      const [x, y] = [randomFp12(), randomFp12()];
      put(0, x);
      put(1, y);
      wasm.fn(PAIRING_KERNELS.mul)(slots[0]!, slots[1]!, slots[2]!);
      expect(same(get(2), curve.Gt.mul(x, y)), 'product').toBe(true);
      wasm.fn(PAIRING_KERNELS.mul)(slots[0]!, slots[1]!, slots[0]!);
      expect(same(get(0), curve.Gt.mul(x, y)), 'product in place').toBe(true);
      put(0, x);
      wasm.fn(PAIRING_KERNELS.square)(slots[0]!, slots[0]!);
      expect(same(get(0), curve.Gt.mul(x, x)), 'square').toBe(true);
      // A line ℓ₀ + ℓ_VV·w⁴ + ℓ_VW·w³: Fq2 slots 0, 2 and 4 of y, the others zero.
      const line = new Uint8Array(384);
      for (const slot of [0, 2, 4]) line.set(y.subarray(slot * 64, slot * 64 + 64), slot * 64);
      put(0, x);
      put(1, y);
      const at = (slot: number) => slots[1]! + slot * 72;
      wasm.fn('zq12_mulLine')(slots[0]!, at(0), at(4), at(2));
      expect(same(get(0), curve.Gt.mul(x, line)), 'line').toBe(true);
    }
  });

  it("square in the cyclotomic subgroup as ffjavascript's Fp12 does, and exponentiate finally as its pairing does", () => {
    const { wasm, slots, put, get } = kernels();
    for (let trial = 0; trial < 4; trial++) {
      const x = randomFp12();
      const expected = curve.finalExponentiation(x);
      expect(same(arena.finalExponentiation(x), expected), 'final exponentiation').toBe(true);
      put(0, expected);
      wasm.fn(PAIRING_KERNELS.cyclotomicSquare)(slots[0]!, slots[0]!);
      expect(same(get(0), curve.Gt.mul(expected, expected)), 'cyclotomic square').toBe(true);
    }
    // Outside the cyclotomic subgroup the shortcut is not a square (so the test above can fail).
    const x = randomFp12();
    put(0, x);
    wasm.fn(PAIRING_KERNELS.cyclotomicSquare)(slots[0]!, slots[0]!);
    expect(same(get(0), curve.Gt.mul(x, x))).toBe(false);
  });

  it('is bilinear: e(aP, bQ) = e(P, Q)^(ab), and e(P, Q) is not 1', () => {
    const [a, b] = [scalar(), scalar()];
    const [p, q] = [g1(), g2()];
    const pairing = (x: Element, y: Element) => arena.finalExponentiation(arena.millerLoops([{ g1: x, g2: y }]));
    const base = pairing(p, q);
    const one = curve.Gt.mul(curve.Gt.exp(base, R - 1n), base);
    expect(same(base, one)).toBe(false);
    const aP = curve.G1.timesScalar(p, scalarBytes(a));
    const bQ = curve.G2.timesScalar(q, scalarBytes(b));
    expect(same(pairing(aP, bQ), curve.Gt.exp(base, (a * b) % R))).toBe(true);
    expect(same(pairing(aP, bQ), curve.Gt.exp(base, (a * b + 1n) % R))).toBe(false);
  });
});

describe('the multi-Miller loop', () => {
  it("equals the product of ffjavascript's Miller loops, byte for byte, for 1 to 4 pairs", () => {
    for (let count = 1; count <= 4; count++) {
      const pairs = Array.from({ length: count }, () => ({ p: g1(), q: g2() }));
      const expected = separateLoops(pairs);
      // Every other G2 point prepared once and kept, the others prepared for the check.
      const ours = arena.millerLoops(pairs.map(({ p, q }, i) => ({ g1: p, g2: i % 2 === 0 ? arena.prepareG2(q) : q })));
      expect(same(ours, expected), `${count} pairs`).toBe(true);
      // Jacobian inputs that are not affine (z ≠ 1) give the same: the module normalizes them.
      const doubled = pairs.map(({ p, q }) => ({ g1: curve.G1.add(p, p), g2: curve.G2.add(q, q) }));
      expect(same(arena.millerLoops(doubled), separateLoops(doubled.map(({ g1: p, g2: q }) => ({ p, q }))))).toBe(true);
    }
  });

  it('checks a product of pairings against its target: e(aP, bQ) · e(−abP, Q) = 1, and not with one scalar off', () => {
    const [a, b] = [scalar(), scalar()];
    const [p, q] = [g1(), g2()];
    const times = (point: Element, k: bigint) => curve.G1.timesScalar(point, scalarBytes(k));
    const qPrepared = arena.prepareG2(q);
    // 1 in Gt, as e(g, g) · e(−g, g).
    const one = curve.finalExponentiation(separateLoops([{ p: curve.G1.g, q: curve.G2.g }, { p: curve.G1.neg(curve.G1.g), q: curve.G2.g }]));
    arena.setTarget(one);
    const bQ = curve.G2.timesScalar(q, scalarBytes(b));
    expect(arena.productEqualsTarget([{ g1: times(p, a), g2: bQ }, { g1: curve.G1.neg(times(p, (a * b) % R)), g2: qPrepared }])).toBe(true);
    expect(arena.productEqualsTarget([{ g1: times(p, a), g2: bQ }, { g1: curve.G1.neg(times(p, (a * b + 1n) % R)), g2: qPrepared }])).toBe(false);
    // A target other than the product's value is refused; the product's own value is accepted.
    const e = curve.finalExponentiation(separateLoops([{ p: times(p, a), q: bQ }]));
    arena.setTarget(e);
    expect(arena.productEqualsTarget([{ g1: times(p, a), g2: bQ }])).toBe(true);
    expect(arena.productEqualsTarget([{ g1: times(p, a + 1n), g2: bQ }])).toBe(false);
  });

  it('checks a product of pairings against 1: e(aP, bQ) · e(−abP, Q) is, with one scalar off it is not', () => {
    const [a, b] = [scalar(), scalar()];
    const [p, q] = [g1(), g2()];
    const times = (point: Element, k: bigint) => curve.G1.timesScalar(point, scalarBytes(k));
    const bQ = curve.G2.timesScalar(q, scalarBytes(b));
    // The target set for other checks plays no part.
    arena.setTarget(curve.finalExponentiation(separateLoops([{ p, q }])));
    expect(arena.productIsOne([{ g1: times(p, a), g2: bQ }, { g1: curve.G1.neg(times(p, (a * b) % R)), g2: arena.prepareG2(q) }])).toBe(true);
    expect(arena.productIsOne([{ g1: times(p, a), g2: bQ }, { g1: curve.G1.neg(times(p, (a * b + 1n) % R)), g2: q }])).toBe(false);
    expect(arena.productIsOne([{ g1: p, g2: q }])).toBe(false);
  });

  it('pairs a G1 point at infinity to 1', () => {
    const [p, q] = [g1(), g2()];
    const infinity = curve.G1.timesScalar(p, scalarBytes(R));
    expect(curve.G1.isZero(infinity)).toBe(true);
    expect(arena.productIsOne([{ g1: infinity, g2: q }])).toBe(true);
    expect(arena.productIsOne([{ g1: p, g2: q }, { g1: infinity, g2: arena.prepareG2(q) }, { g1: curve.G1.neg(p), g2: q }])).toBe(true);
    expect(arena.productIsOne([{ g1: p, g2: q }, { g1: infinity, g2: q }])).toBe(false);
  });
});
