/**
 * circom's .wtns witness file (version 2), the form the prover takes a witness in: section 1 the
 * field (32-byte elements, bn128's scalar field) and the count, section 2 every value in 32
 * little-endian bytes. Written here once for both witness generators (circuits/witness.ts).
 */
import { writeUintLE } from '../core/binfile.js';
import { FIELD_MODULUS } from '../core/field.js';

export const WTNS_ELEMENT_BYTES = 32;

/** The .wtns of `count` values, all zero, and where the first value starts: the caller writes them. */
export function emptyWtns(count: number): { bytes: Uint8Array; valuesAt: number } {
  const n8 = WTNS_ELEMENT_BYTES;
  const out = Buffer.alloc(12 + 12 + 8 + n8 + 12 + count * n8);
  out.write('wtns', 0, 'latin1');
  out.writeUInt32LE(2, 4);
  out.writeUInt32LE(2, 8);
  out.writeUInt32LE(1, 12);
  out.writeBigUInt64LE(BigInt(8 + n8), 16);
  out.writeUInt32LE(n8, 24);
  out.set(writeUintLE(FIELD_MODULUS, n8), 28);
  out.writeUInt32LE(count, 28 + n8);
  const at = 32 + n8;
  out.writeUInt32LE(2, at);
  out.writeBigUInt64LE(BigInt(count * n8), at + 4);
  return { bytes: out, valuesAt: at + 12 };
}

/** The .wtns of field elements (each in 0..r-1). */
export function encodeWtns(values: readonly bigint[]): Uint8Array {
  const { bytes, valuesAt } = emptyWtns(values.length);
  values.forEach((v, i) => bytes.set(writeUintLE(v, WTNS_ELEMENT_BYTES), valuesAt + i * WTNS_ELEMENT_BYTES));
  return bytes;
}
