/**
 * The multi-Miller loop (prover/pairing.ts) against ffjavascript's own pairing functions: the
 * product of its pairs' loops is, byte for byte, the product of ffjavascript's separate
 * millerLoop calls, with G2 points prepared resident or per check; and a product of pairings
 * checks out against its target exactly when it should (bilinearity, and one scalar off).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { type Element, type FfCurve, singleThreadCurve } from '../../prover/bn128.js';
import { scalarBytes } from '../../prover/g2-subgroup.js';
import { PairingArena } from '../../prover/pairing.js';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

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
/** ffjavascript's loops, one call per pair, multiplied. */
const separateLoops = (pairs: { p: Element; q: Element }[]) =>
  pairs.map(({ p, q }) => curve.millerLoop(curve.prepareG1(p), curve.prepareG2(q))).reduce((x, y) => curve.Gt.mul(x, y));

beforeAll(async () => {
  const built = await singleThreadCurve();
  curve = built.curve;
  arena = PairingArena.create(built.module, { g1: curve.G1.g, g2: curve.G2.g });
});

describe('the multi-Miller loop', () => {
  it("equals the product of ffjavascript's Miller loops, byte for byte, for 1 to 4 pairs", () => {
    for (let count = 1; count <= 4; count++) {
      const pairs = Array.from({ length: count }, () => ({ p: g1(), q: g2() }));
      const expected = separateLoops(pairs);
      // Every other G2 point prepared once and kept, the others prepared for the check.
      const ours = arena.millerLoops(pairs.map(({ p, q }, i) => ({ g1: p, g2: i % 2 === 0 ? arena.prepareG2(q) : q })));
      expect(Buffer.from(ours).equals(Buffer.from(expected)), `${count} pairs`).toBe(true);
      // Jacobian inputs that are not affine (z ≠ 1) give the same: the module normalizes them.
      const doubled = pairs.map(({ p, q }) => ({ g1: curve.G1.add(p, p), g2: curve.G2.add(q, q) }));
      expect(Buffer.from(arena.millerLoops(doubled)).equals(Buffer.from(separateLoops(doubled.map(({ g1: p, g2: q }) => ({ p, q })))))).toBe(true);
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
});
