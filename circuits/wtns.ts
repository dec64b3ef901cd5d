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
  // Plain Uint8Array and DataView, not Buffer: the browser prover (web/) writes witnesses too.
  const out = new Uint8Array(12 + 12 + 8 + n8 + 12 + count * n8);
  const view = new DataView(out.buffer);
  out.set([0x77, 0x74, 0x6e, 0x73], 0); // "wtns"
  view.setUint32(4, 2, true);
  view.setUint32(8, 2, true);
  view.setUint32(12, 1, true);
  view.setBigUint64(16, BigInt(8 + n8), true);
  view.setUint32(24, n8, true);
  out.set(writeUintLE(FIELD_MODULUS, n8), 28);
  view.setUint32(28 + n8, count, true);
  const at = 32 + n8;
  view.setUint32(at, 2, true);
  view.setBigUint64(at + 4, BigInt(count * n8), true);
  return { bytes: out, valuesAt: at + 12 };
}

/** The .wtns of field elements (each in 0..r-1). */
export function encodeWtns(values: readonly bigint[]): Uint8Array {
  const { bytes, valuesAt } = emptyWtns(values.length);
  values.forEach((v, i) => bytes.set(writeUintLE(v, WTNS_ELEMENT_BYTES), valuesAt + i * WTNS_ELEMENT_BYTES));
  return bytes;
}
