/**
 * A small reader for circom's binary R1CS format (iden3's "r1cs" v1: a header section, a
 * constraints section, a wire-to-label section), with BigInt arithmetic and no worker threads.
 * It serves tests (does a tampered witness still satisfy the constraints?) and `inspect`
 * (which constraint belongs to which layer).
 */
import { ArtifactError } from '../core/errors.js';
import { readRequired } from '../core/files.js';

/** A linear combination: wire index → coefficient. */
export type LinearCombination = Map<number, bigint>;

export interface R1cs {
  prime: bigint;
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nLabels: number;
  /** A · w * B · w = C · w for each constraint. */
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
  /** The symbol-table label of each wire. */
  wireToLabel: number[];
}

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer, readonly file: string) {}
  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new ArtifactError('ARTIFACT_INVALID', `${this.file}: R1CS file is truncated`, this.file);
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.offset);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArtifactError('ARTIFACT_INVALID', `${this.file}: R1CS size field too large`, this.file);
    return Number(v);
  }
  bigint(n8: number): bigint {
    this.need(n8);
    let v = 0n;
    for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.buf[this.offset + i]);
    this.offset += n8;
    return v;
  }
}

export function parseR1cs(buf: Buffer, file: string): R1cs {
  const r = new Reader(buf, file);
  r.need(4);
  if (buf.toString('latin1', 0, 4) !== 'r1cs') throw new ArtifactError('ARTIFACT_INVALID', `${file}: not an R1CS file`, file);
  r.offset = 4;
  const version = r.u32();
  if (version !== 1) throw new ArtifactError('ARTIFACT_INVALID', `${file}: R1CS version ${version} is not supported`, file);
  const sections = new Map<number, { start: number; size: number }>();
  const nSections = r.u32();
  for (let s = 0; s < nSections; s++) {
    const type = r.u32();
    const size = r.u64();
    sections.set(type, { start: r.offset, size });
    r.need(size);
    r.offset += size;
  }
  const section = (type: number) => {
    const found = sections.get(type);
    if (!found) throw new ArtifactError('ARTIFACT_INVALID', `${file}: R1CS section ${type} is missing`, file);
    r.offset = found.start;
  };
  section(1);
  const n8 = r.u32();
  const prime = r.bigint(n8);
  const header = { nWires: r.u32(), nPubOut: r.u32(), nPubIn: r.u32(), nPrvIn: r.u32(), nLabels: r.u64() };
  const nConstraints = r.u32();
  section(2);
  const lc = (): LinearCombination => {
    const terms = new Map<number, bigint>();
    const n = r.u32();
    for (let i = 0; i < n; i++) terms.set(r.u32(), r.bigint(n8));
    return terms;
  };
  const constraints: R1cs['constraints'] = [];
  for (let c = 0; c < nConstraints; c++) constraints.push([lc(), lc(), lc()]);
  section(3);
  const wireToLabel: number[] = [];
  for (let w = 0; w < header.nWires; w++) wireToLabel.push(r.u64());
  return { prime, ...header, constraints, wireToLabel };
}

export async function readR1cs(file: string): Promise<R1cs> {
  return parseR1cs(await readRequired(file, 'R1CS file'), file);
}

function evaluate(lc: LinearCombination, witness: readonly bigint[], p: bigint): bigint {
  let sum = 0n;
  for (const [wire, coef] of lc) sum += coef * witness[wire];
  return sum % p;
}

/** The index of the first constraint the witness violates, or -1 when it satisfies them all. */
export function firstViolatedConstraint(r1cs: R1cs, witness: readonly bigint[]): number {
  const p = r1cs.prime;
  return r1cs.constraints.findIndex(([a, b, c]) => (evaluate(a, witness, p) * evaluate(b, witness, p) - evaluate(c, witness, p)) % p !== 0n);
}
