/**
 * The direct R1CS as files setup and audit read: iden3's binary .r1cs (version 1: header,
 * constraints, wire-to-label sections; what circuits/r1cs.ts reads) and circom's .sym text (one
 * line per wire: label, wire, component, name; labels are the wire indices, components are not
 * numbered: -1; then, as circom lists them, the signals the linear constraints eliminated, wire
 * -1). Both written atomically.
 */
import { FIELD_MODULUS } from '../../core/field.js';
import { writeFileAtomic } from '../../core/files.js';
import type { QModel } from '../../model/ir.js';
import type { Visibility } from '../visibility.js';
import type { WitnessProgram } from './program.js';
import type { DirectR1cs, Lc } from './system.js';
import { encodeDirectWitnessGenerator, paramShapes } from './witness.js';

const N8 = 32;
const MASK64 = (1n << 64n) - 1n;

/**
 * The .r1cs bytes, written into one buffer sized first: a buffer per term (as Buffer.concat of
 * parts would take) cost LeNet's 1.5M terms 600 MB and most of the compile's CPU.
 */
export function encodeR1cs(r1cs: DirectR1cs): Buffer {
  const nWires = r1cs.names.length;
  const lcBytes = (lc: Lc) => 4 + lc.size * (4 + N8);
  let constraintBytes = 0;
  for (const [a, b, c] of r1cs.constraints) constraintBytes += lcBytes(a) + lcBytes(b) + lcBytes(c);
  const headerBytes = 4 + N8 + 4 * 4 + 8 + 4;
  const out = Buffer.alloc(12 + (12 + headerBytes) + (12 + constraintBytes) + (12 + 8 * nWires));
  let at = 0;
  const u32 = (v: number) => {
    out.writeUInt32LE(v, at);
    at += 4;
  };
  const u64 = (v: number | bigint) => {
    out.writeBigUInt64LE(BigInt(v), at);
    at += 8;
  };
  const field = (v: bigint) => {
    for (let k = 0; k < N8 / 8; k++) out.writeBigUInt64LE((v >> BigInt(64 * k)) & MASK64, at + 8 * k);
    at += N8;
  };
  out.write('r1cs', 0, 'latin1');
  at = 4;
  u32(1);
  u32(3);
  u32(1);
  u64(headerBytes);
  u32(N8);
  field(FIELD_MODULUS);
  for (const v of [nWires, r1cs.nPubOut, r1cs.nPubIn, r1cs.nPrvIn]) u32(v);
  u64(nWires);
  u32(r1cs.constraints.length);
  u32(2);
  u64(constraintBytes);
  for (const row of r1cs.constraints) {
    for (const lc of row) {
      u32(lc.size);
      for (const wire of [...lc.keys()].sort((x, y) => x - y)) {
        u32(wire);
        field(lc.get(wire)!);
      }
    }
  }
  u32(3);
  u64(8 * nWires);
  for (let w = 0; w < nWires; w++) u64(w);
  return out;
}

export function encodeSym(r1cs: DirectR1cs): string {
  const kept = r1cs.names.slice(1).map((name, i) => `${i + 1},${i + 1},-1,main.${name}\n`);
  const removed = (r1cs.removed ?? []).map((name, i) => `${r1cs.names.length + i},-1,-1,main.${name}\n`);
  return [...kept, ...removed].join('');
}

export async function writeDirectCircuit(r1cs: DirectR1cs, files: { r1cs: string; sym: string }): Promise<void> {
  await writeFileAtomic(files.r1cs, encodeR1cs(r1cs));
  await writeFileAtomic(files.sym, encodeSym(r1cs));
}

/** The witness generator of a directly compiled circuit (circuits/direct/witness.ts), written atomically. */
export async function writeDirectWitnessGenerator(file: string, model: QModel, visibility: Visibility, r1cs: DirectR1cs, program: WitnessProgram): Promise<void> {
  const generator = { visibility, wires: r1cs.names.length, constraints: r1cs.constraints.length, input: model.input, params: paramShapes(model), program };
  await writeFileAtomic(file, encodeDirectWitnessGenerator(generator));
}
