/**
 * The BN254 scalar field that Circom circuits and Groth16 proofs work in. Signed integers of the
 * model are encoded as field elements: x >= 0 as itself, x < 0 as r + x. Public signals are
 * decimal strings of field elements, as snarkjs and the Solidity verifier expect.
 */
import { readUintLE, writeUintLE } from './binfile.js';

/** The order r of BN254's scalar field (the Circom prime `bn128`). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The order q of BN254's base field, in which proof coordinates live. */
export const BASE_FIELD_MODULUS = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const HALF = FIELD_MODULUS / 2n;

/** base^exponent mod r. */
export function fieldPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  base %= FIELD_MODULUS;
  for (; exponent > 0n; exponent >>= 1n, base = (base * base) % FIELD_MODULUS) if (exponent & 1n) result = (result * base) % FIELD_MODULUS;
  return result;
}

export interface DomainRoots {
  /** A primitive root of unity of the domain's order, as ffjavascript's FFT uses it. */
  omega: bigint;
  /** The shift of the coset snarkjs's prover evaluates H on (ω of twice the order, or ffjavascript's `shift`). */
  coset: bigint;
}

/**
 * ffjavascript's roots of unity (wasm_field1.js), which snarkjs's keys and prover assume: with
 * nqr the least quadratic non-residue and r - 1 = 2^s·t (t odd), w[s] = nqr^t and w[k] = w[k+1]²;
 * its coset shift is nqr².
 */
const ROOTS = (() => {
  let nqr = 2n;
  while (fieldPow(nqr, (FIELD_MODULUS - 1n) / 2n) !== FIELD_MODULUS - 1n) nqr += 1n;
  let s = 0;
  let t = FIELD_MODULUS - 1n;
  for (; (t & 1n) === 0n; t >>= 1n) s += 1;
  const w: bigint[] = [];
  w[s] = fieldPow(nqr, t);
  for (let k = s - 1; k >= 0; k--) w[k] = (w[k + 1]! * w[k + 1]!) % FIELD_MODULUS;
  return { w, s, shift: (nqr * nqr) % FIELD_MODULUS };
})();

/** The FFT domain of 2^power points: its root and the coset H is evaluated on. */
export function domainRoots(power: number): DomainRoots {
  if (!Number.isInteger(power) || power < 0 || power > ROOTS.s) throw new RangeError(`no domain of 2^${power} points in bn128's scalar field (at most 2^${ROOTS.s})`);
  return { omega: ROOTS.w[power]!, coset: power < ROOTS.s ? ROOTS.w[power + 1]! : ROOTS.shift };
}

/**
 * A secret uniform nonzero scalar as 32 little-endian bytes: 512 bits from the platform's secure
 * source (Web Crypto's getRandomValues: Node's and browsers' alike, so the prover runs in both)
 * reduced mod r (bias below 2^-250); the buffer that held the bits is overwritten.
 */
export function randomScalar(): Uint8Array {
  for (;;) {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(64));
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
