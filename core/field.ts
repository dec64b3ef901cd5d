/**
 * The BN254 scalar field that Circom circuits and Groth16 proofs work in. Signed integers of the
 * model are encoded as field elements: x >= 0 as itself, x < 0 as r + x. Public signals are
 * decimal strings of field elements, as snarkjs and the Solidity verifier expect.
 */
import { randomBytes } from 'node:crypto';
import { readUintLE, writeUintLE } from './binfile.js';

/** The order r of BN254's scalar field (the Circom prime `bn128`). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The order q of BN254's base field, in which proof coordinates live. */
export const BASE_FIELD_MODULUS = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const HALF = FIELD_MODULUS / 2n;

/**
 * A secret uniform nonzero scalar as 32 little-endian bytes: 512 bits from the operating system's
 * secure source reduced mod r (bias below 2^-250); the buffer that held the bits is overwritten.
 */
export function randomScalar(): Uint8Array {
  for (;;) {
    const bytes = randomBytes(64);
    const value = readUintLE(bytes) % FIELD_MODULUS;
    bytes.fill(0);
    if (value !== 0n) return writeUintLE(value, 32);
  }
}

export function toField(value: bigint | number): bigint {
  const v = BigInt(value) % FIELD_MODULUS;
  return v < 0n ? v + FIELD_MODULUS : v;
}

/** The signed integer a field element encodes: elements above r/2 are negative. */
export function fromFieldSigned(element: bigint): bigint {
  return element > HALF ? element - FIELD_MODULUS : element;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parse a canonical decimal string below `modulus` (no sign, no leading zeros); undefined otherwise. */
export function parseCanonicalDecimal(text: unknown, modulus: bigint): bigint | undefined {
  if (typeof text !== 'string' || text.length > 100 || !DECIMAL.test(text)) return undefined;
  const value = BigInt(text);
  return value < modulus ? value : undefined;
}
