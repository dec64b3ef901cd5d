/**
 * The ψ test of G2 membership, on ffjavascript's curve (prover/g2-subgroup.ts) and on field29 in
 * the prover's WebAssembly (prover/g2-kernels.ts, through PairingArena.inG2), against the
 * definition, [r]Q = O, on points of G2 and on points of the twist outside it (made here from
 * random x with x³ + b a square in Fq2, which lands in G2 with probability about 1/cofactor ≈
 * 2^-254), small-order points of the cofactor part among them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { type Element, type FfCurve, singleThreadCurve } from '../../prover/bn128.js';
import { BN254_SEED, PSI_EIGENVALUE, g2MembershipTest, scalarBytes } from '../../prover/g2-subgroup.js';
import { PairingArena } from '../../prover/pairing.js';
import { proverModule } from '../../prover/wasm-module.js';

/** BN254's q and r, written out here so the test does not trust the code under test. */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

let curve: FfCurve;
let inG2: (point: Element) => boolean;
let onField29: (point: Element) => boolean;
const random = seededRandom(22);
const randomBelow = (modulus: bigint) => {
  let value = 0n;
  for (let k = 0; k < 10; k++) value = (value << 32n) | BigInt(Math.floor(random() * 2 ** 32));
  return value % modulus;
};

/** The definition: on the twist and killed by r. */
const killedByR = (point: Element) => curve.G2.isValid(point) && curve.G2.isZero(curve.G2.timesScalar(point, scalarBytes(R)));

/** An affine point of the twist y² = x³ + b' with a random x: almost never in G2. */
function twistPoint(): Element {
  for (;;) {
    const x = curve.F2.fromObject([randomBelow(Q), randomBelow(Q)]);
    const rhs = curve.F2.add(curve.F2.mul(curve.F2.mul(x, x), x), curve.G2.b);
    if (!curve.F2.isSquare(rhs)) continue;
    const point = new Uint8Array(128);
    point.set(x, 0);
    point.set(curve.F2.sqrt(rhs), 64);
    return point;
  }
}

const g2Point = () => curve.G2.toAffine(curve.G2.timesScalar(curve.G2.g, scalarBytes(1n + randomBelow(R - 1n))));

beforeAll(async () => {
  ({ curve } = await singleThreadCurve());
  inG2 = g2MembershipTest(curve);
  const arena = PairingArena.create(proverModule(), { g1: curve.G1.g, g2: curve.G2.g });
  onField29 = (point) => arena.inG2(point);
});

describe('G2 membership by ψ(Q) = [6x²]Q', () => {
  it("rests on BN254's q + 1 − t = r with t = 6x² + 1", () => {
    const t = PSI_EIGENVALUE + 1n;
    expect(PSI_EIGENVALUE).toBe(6n * BN254_SEED ** 2n);
    expect(Q + 1n - t).toBe(R);
    // q and r as the BN polynomials of the seed.
    const x = BN254_SEED;
    expect(36n * x ** 4n + 36n * x ** 3n + 24n * x ** 2n + 6n * x + 1n).toBe(Q);
    expect(36n * x ** 4n + 36n * x ** 3n + 18n * x ** 2n + 6n * x + 1n).toBe(R);
  });

  it('accepts points of G2, as [r]Q = O does', () => {
    for (let k = 0; k < 12; k++) {
      const point = g2Point();
      expect(killedByR(point)).toBe(true);
      expect(inG2(point)).toBe(true);
      expect(onField29(point)).toBe(true);
    }
  });

  it('refuses points of the twist outside G2, as [r]Q = O does', () => {
    const points = Array.from({ length: 12 }, twistPoint);
    // [r]P for P outside G2 lies in the cofactor part alone; P + (a point of G2) in neither part.
    points.push(curve.G2.toAffine(curve.G2.timesScalar(points[0]!, scalarBytes(R))));
    points.push(curve.G2.toAffine(curve.G2.add(points[1]!, g2Point())));
    // Points of the cofactor's small prime order 10069 (the cofactor 2q − r is 10069 times a
    // 73-digit number), where the doubling-and-addition may meet R = ±Q or O on its way to [6x²]Q.
    const cofactor = 2n * Q - R;
    expect(cofactor % 10069n).toBe(0n);
    for (const point of points.slice(2, 6)) {
      const small = curve.G2.timesScalar(point, scalarBytes(R * (cofactor / 10069n)));
      expect(curve.G2.isZero(small)).toBe(false);
      expect(curve.G2.isZero(curve.G2.timesScalar(small, scalarBytes(10069n)))).toBe(true);
      points.push(curve.G2.toAffine(small));
    }
    for (const point of points) {
      expect(curve.G2.isValid(point)).toBe(true);
      expect(killedByR(point)).toBe(false);
      expect(inG2(point)).toBe(false);
      expect(onField29(point)).toBe(false);
    }
  });

  it('refuses points off the twist', () => {
    const point = g2Point();
    point[0]! ^= 1;
    expect(inG2(point)).toBe(false);
  });
});
