/**
 * The direct R1CS as files setup and audit read: iden3's binary .r1cs (version 1: header,
 * constraints, wire-to-label sections; what circuits/r1cs.ts reads) and circom's .sym text (one
 * line per wire: label, wire, component, name; labels are the wire indices, components are not
 * numbered: -1). Both written atomically.
 */
import { FIELD_MODULUS } from '../../core/field.js';
import { writeFileAtomic } from '../../core/files.js';
import { writeUintLE } from '../../core/binfile.js';
import type { DirectR1cs, Lc } from './system.js';

const N8 = 32;
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const u64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

function section(type: number, parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(type), u64(body.length), body]);
}

function combination(lc: Lc): Uint8Array[] {
  const parts: Uint8Array[] = [u32(lc.size)];
  for (const [wire, coefficient] of [...lc].sort(([a], [b]) => a - b)) parts.push(u32(wire), writeUintLE(coefficient, N8));
  return parts;
}

export function encodeR1cs(r1cs: DirectR1cs): Buffer {
  const nWires = r1cs.names.length;
  const header = section(1, [u32(N8), writeUintLE(FIELD_MODULUS, N8), u32(nWires), u32(r1cs.nPubOut), u32(r1cs.nPubIn), u32(r1cs.nPrvIn), u64(nWires), u32(r1cs.constraints.length)]);
  const constraints = section(2, r1cs.constraints.flatMap(([a, b, c]) => [...combination(a), ...combination(b), ...combination(c)]));
  const labels = section(3, Array.from({ length: nWires }, (_, w) => u64(w)));
  return Buffer.concat([Buffer.from('r1cs', 'latin1'), u32(1), u32(3), header, constraints, labels]);
}

export function encodeSym(r1cs: DirectR1cs): string {
  return r1cs.names.slice(1).map((name, i) => `${i + 1},${i + 1},-1,main.${name}\n`).join('');
}

export async function writeDirectCircuit(r1cs: DirectR1cs, files: { r1cs: string; sym: string }): Promise<void> {
  await writeFileAtomic(files.r1cs, encodeR1cs(r1cs));
  await writeFileAtomic(files.sym, encodeSym(r1cs));
}
