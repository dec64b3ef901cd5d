/**
 * Membership of BN254's G2, the order-r subgroup of the twist E'(Fq2): y² = x³ + 3/ξ, ξ = 9 + u.
 * G1 has cofactor 1, but E'(Fq2) has a large cofactor, so a point on the twist may lie outside G2;
 * the EIP-197 precompile refuses such a B, and so must every off-chain verifier of ours.
 *
 * Multiplying by r (254 bits) settles it; this test costs one multiplication by 6x² (127 bits,
 * x the curve's seed) and one application of the untwist-Frobenius-twist endomorphism ψ
 * (Galbraith and Scott, eprint 2008/117): Q ∈ G2 ⇔ ψ(Q) = [6x²]Q, the criterion of El Housni,
 * Guillevic and Piellard for BN curves (eprint 2022/352, section 4). The argument, in short:
 * ψ is the p-power Frobenius seen through the twist, so on all of E'(Fq2) it satisfies
 * ψ² − tψ + q = 0, with the trace t = 6x² + 1. On G2, ψ acts as multiplication by q ≡ t − 1 = 6x²
 * (mod r), which gives ⇒. Conversely, if ψ(Q) = [t − 1]Q then 0 = (ψ² − tψ + q)Q =
 * [(t − 1)² − t(t − 1) + q]Q = [q + 1 − t]Q = [r]Q, since q + 1 − t = #E(Fq) = r on a BN curve.
 *
 * The verifier runs this criterion on field29 in the prover's WebAssembly (prover/g2-kernels.ts,
 * PairingArena.inG2); this version, on ffjavascript's curve, is the reference its tests and
 * bench/verify-cost.ts compare against.
 */
import { BASE_FIELD_MODULUS } from '../core/field.js';
import { ZkinferError } from '../core/errors.js';
import type { Element, FfCurve } from './bn128.js';

/** BN254's seed x: q, r and t are polynomials in it. */
export const BN254_SEED = 4965661367192848881n;
/** t − 1 = 6x², the eigenvalue of ψ on G2. */
export const PSI_EIGENVALUE = 6n * BN254_SEED * BN254_SEED;

/** ψ on affine twist points: (x, y) ↦ (x̄ · ξ^((q−1)/3), ȳ · ξ^((q−1)/2)), the bar being Fq2's conjugation. */
function twistFrobenius(curve: FfCurve): (point: Element) => Element {
  const { F1, F2 } = curve;
  const xi = F2.fromObject([9n, 1n]);
  const cx = F2.exp(xi, (BASE_FIELD_MODULUS - 1n) / 3n);
  const cy = F2.exp(xi, (BASE_FIELD_MODULUS - 1n) / 2n);
  const conjugate = (a: Element) => {
    const out = a.slice();
    out.set(F1.neg(a.subarray(32, 64)), 32);
    return out;
  };
  return (point) => {
    const out = new Uint8Array(128);
    out.set(F2.mul(conjugate(point.subarray(0, 64)), cx), 0);
    out.set(F2.mul(conjugate(point.subarray(64, 128)), cy), 64);
    return out;
  };
}

const built = new WeakMap<FfCurve, (point: Element) => boolean>();

/**
 * A test of G2 membership for affine points of this curve (128 bytes, ffjavascript's form): true
 * only for points on the twist in the order-r subgroup (the point at infinity included).
 */
export function g2MembershipTest(curve: FfCurve): (point: Element) => boolean {
  let test = built.get(curve);
  if (test) return test;
  const psi = twistFrobenius(curve);
  const { G2 } = curve;
  test = (point) => G2.isValid(point) && (G2.isZero(point) || G2.eq(psi(point), G2.timesScalar(point, scalarBytes(PSI_EIGENVALUE))));
  // ψ's constants depend on the twist's form (ξ, and D- against M-type); the generator would show a mismatch.
  if (!test(G2.toAffine(G2.g))) throw new ZkinferError('INTERNAL', "ψ(g) ≠ [6x²]g on ffjavascript's G2: the twist is not the one this test assumes");
  built.set(curve, test);
  return test;
}

/** A non-negative scalar as the minimal little-endian bytes ffjavascript's timesScalar takes. */
export function scalarBytes(value: bigint): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.push(Number(v & 0xffn));
  return Uint8Array.from(bytes.length > 0 ? bytes : [0]);
}
