/**
 * Off-chain Groth16 verification. snarkjs reduces proof coordinates modulo q and accepts projective
 * z coordinates, so one valid proof has many encodings it would accept; the Solidity verifier
 * (EIP-197) instead rejects coordinates >= q and G2 points outside the prime-order subgroup.
 * We accept only the canonical encoding snarkjs itself produces, so both verifiers agree.
 */
import * as snarkjs from 'snarkjs';
import { ZkinferError, messageOf } from '../core/errors.js';
import { BASE_FIELD_MODULUS, FIELD_MODULUS, parseCanonicalDecimal } from '../core/field.js';
import { withBn128 } from './curve.js';
import type { Groth16Proof } from './pool/messages.js';

/** A snarkjs Groth16 verification key (the JSON that setupGroth16 writes). */
export interface VerificationKey {
  protocol: 'groth16';
  curve: 'bn128';
  nPublic: number;
  IC: unknown[];
  [field: string]: unknown;
}

/** True only for a valid proof of exactly these public signals; tampered or out-of-range values give false. */
export async function verifyGroth16(vk: VerificationKey, publicSignals: readonly string[], proof: Groth16Proof): Promise<boolean> {
  checkVerificationKey(vk);
  if (!isCanonicalStatement(vk, publicSignals, proof)) return false;
  return withBn128(async (curve) => {
    if (!isInG2Subgroup(curve, proof.pi_b)) return false;
    try {
      return await snarkjs.groth16.verify(vk, [...publicSignals], proof);
    } catch (error) {
      throw new ZkinferError('ARTIFACT_INVALID', `the verification key could not be used: ${messageOf(error)}`, { cause: error });
    }
  });
}

function checkVerificationKey(vk: VerificationKey): void {
  const ok =
    typeof vk === 'object' &&
    vk !== null &&
    vk.protocol === 'groth16' &&
    vk.curve === 'bn128' &&
    Number.isInteger(vk.nPublic) &&
    Array.isArray(vk.IC) &&
    vk.IC.length === vk.nPublic + 1;
  if (!ok) throw new ZkinferError('ARTIFACT_INVALID', 'not a Groth16 bn128 verification key (protocol, curve, nPublic or IC is wrong)');
}

const inBaseField = (value: unknown) => parseCanonicalDecimal(value, BASE_FIELD_MODULUS) !== undefined;
const inScalarField = (value: unknown) => parseCanonicalDecimal(value, FIELD_MODULUS) !== undefined;
const isList = (value: unknown, length: number): value is unknown[] => Array.isArray(value) && value.length === length;

/** Affine points (z = 1) with canonical coordinates, and canonical signals of the key's count. */
function isCanonicalStatement(vk: VerificationKey, publicSignals: readonly unknown[], proof: Groth16Proof): boolean {
  const g1 = (point: unknown) => isList(point, 3) && inBaseField(point[0]) && inBaseField(point[1]) && point[2] === '1';
  const fq2 = (element: unknown) => isList(element, 2) && inBaseField(element[0]) && inBaseField(element[1]);
  const g2 = (point: unknown) =>
    isList(point, 3) && fq2(point[0]) && fq2(point[1]) && isList(point[2], 2) && point[2][0] === '1' && point[2][1] === '0';
  return (
    typeof proof === 'object' &&
    proof !== null &&
    proof.protocol === 'groth16' &&
    proof.curve === 'bn128' &&
    g1(proof.pi_a) &&
    g2(proof.pi_b) &&
    g1(proof.pi_c) &&
    isList(publicSignals, vk.nPublic) &&
    publicSignals.every(inScalarField)
  );
}

/** BN254's G1 has cofactor 1, but its G2 twist does not: a point on the curve may still be outside the group. */
function isInG2Subgroup(curve: snarkjs.Curve, pi_b: Groth16Proof['pi_b']): boolean {
  const [[x0, x1], [y0, y1]] = pi_b;
  const point = curve.G2.fromObject([
    [BigInt(x0), BigInt(x1)],
    [BigInt(y0), BigInt(y1)],
  ]);
  return curve.G2.isValid(point) && curve.G2.isZero(curve.G2.timesScalar(point, curve.r));
}
