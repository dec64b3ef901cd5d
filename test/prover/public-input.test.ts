/**
 * L = IC₀ + Σ sᵢ·ICᵢ on fixed-base tables (prover/public-input.ts) against the sum made point by
 * point with ffjavascript's timesScalar, over enough calls that every IC gets its table: signals
 * zero, small, negative (r − small), full width and r − 1, and an IC at the point of infinity.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { type Element, type FfCurve, singleThreadCurve } from '../../prover/bn128.js';
import { scalarBytes } from '../../prover/g2-subgroup.js';
import { PublicInputPoint } from '../../prover/public-input.js';
import { proverModule } from '../../prover/wasm-module.js';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

let curve: FfCurve;
const random = seededRandom(31);
const below = (bits: number) => {
  let value = 0n;
  for (let k = 0; k < Math.ceil(bits / 32); k++) value = (value << 32n) | BigInt(Math.floor(random() * 2 ** 32));
  return value & ((1n << BigInt(bits)) - 1n);
};

beforeAll(async () => {
  ({ curve } = await singleThreadCurve());
});

describe('the public input point L on fixed-base tables', () => {
  it('equals IC₀ + Σ sᵢ·ICᵢ made point by point, before and after the tables are built', () => {
    const { G1 } = curve;
    const affine = (k: bigint) => G1.toAffine(G1.timesScalar(G1.g, scalarBytes(k)));
    const ic: Element[] = [affine(below(250) + 1n), affine(below(250) + 1n), affine(below(250) + 1n), G1.toAffine(G1.timesScalar(G1.g, scalarBytes(0n))), affine(below(250) + 1n), affine(below(250) + 1n)];
    expect(G1.isZero(ic[3]!)).toBe(true);
    const l = new PublicInputPoint(curve, ic, proverModule());
    const signalKinds = [() => 0n, () => below(15), () => R - 1n - below(15), () => below(254) % R, () => R - 1n, () => 1n];
    for (let call = 0; call < 40; call++) {
      const signals = Array.from({ length: ic.length - 1 }, (_, i) => signalKinds[(call + i) % signalKinds.length]!());
      const expected = signals.reduce((sum, s, i) => G1.add(sum, G1.timesScalar(ic[i + 1]!, scalarBytes(s))), G1.toJacobian(ic[0]!));
      expect(G1.eq(l.of(signals), expected), `call ${call}`).toBe(true);
      // One signal off by one gives another point.
      const off = [...signals];
      off[0] = (off[0]! + 1n) % R;
      expect(G1.eq(l.of(off), expected), `call ${call}, off by one`).toBe(false);
    }
  });
});
