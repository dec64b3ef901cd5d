/**
 * circom's binary R1CS files (iden3's "r1cs" v1: a header section, a constraints section, a
 * wire-to-label section), read with BigInt arithmetic and no worker threads. The header alone
 * says how large a setup a circuit needs; the constraints serve tests (does a tampered witness
 * still satisfy them?) and `inspect` (which constraint belongs to which layer).
 */
import { ArtifactError, messageOf } from '../core/errors.js';
import { type BinFile, readUintLE } from '../core/binfile.js';
import { readSection, readSectionTable } from '../core/binfile-files.js';

export interface R1csHeader {
  prime: bigint;
  nWires: number;
  /** Public outputs, public inputs and private inputs: snarkjs's nOutputs, nPubInputs, nPrvInputs. */
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nLabels: number;
  nConstraints: number;
}

/** A linear combination: wire index → coefficient. */
export type LinearCombination = Map<number, bigint>;

export interface R1cs extends R1csHeader {
  /** A · w * B · w = C · w for each constraint. */
  constraints: [LinearCombination, LinearCombination, LinearCombination][];
  /** The symbol-table label of each wire. */
  wireToLabel: number[];
}

const HEADER = 1;
const CONSTRAINTS = 2;
const WIRE_TO_LABEL = 3;

async function readSections(file: string): Promise<{ table: BinFile; section(type: number): Promise<Buffer> }> {
  const fail = (error: unknown): never => {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ArtifactError(missing ? 'ARTIFACT_MISSING' : 'ARTIFACT_INVALID', `cannot read the circuit's R1CS ${file}: ${messageOf(error)}`, file, { cause: error });
  };
  const table = await readSectionTable(file, 'r1cs').catch(fail);
  if (table.version !== 1) fail(new Error(`R1CS version ${table.version} is not supported`));
  return { table, section: (type) => readSection(file, table, type).catch(fail) };
}

function parseHeader(header: Buffer, file: string): R1csHeader & { n8: number } {
  const n8 = header.length >= 4 ? header.readUInt32LE(0) : 0;
  if (n8 !== 32 || header.length !== n8 + 32) throw new ArtifactError('ARTIFACT_INVALID', `${file} is not an R1CS over a 254-bit field`, file);
  const u32 = (at: number) => header.readUInt32LE(4 + n8 + at);
  return {
    n8,
    prime: readUintLE(header.subarray(4, 4 + n8)),
    nWires: u32(0),
    nPubOut: u32(4),
    nPubIn: u32(8),
    nPrvIn: u32(12),
    nLabels: Number(header.readBigUInt64LE(4 + n8 + 16)),
    nConstraints: u32(24),
  };
}

/** The counts and the prime, reading only the header section. */
export async function readR1csHeader(file: string): Promise<R1csHeader> {
  const { n8: _n8, ...header } = parseHeader(await (await readSections(file)).section(HEADER), file);
  return header;
}

export async function readR1cs(file: string): Promise<R1cs> {
  const sections = await readSections(file);
  const { n8, ...header } = parseHeader(await sections.section(HEADER), file);
  const truncated = () => new ArtifactError('ARTIFACT_INVALID', `${file}: the R1CS constraints section is truncated`, file);

  const data = await sections.section(CONSTRAINTS);
  let at = 0;
  const u32 = () => {
    if (at + 4 > data.length) throw truncated();
    at += 4;
    return data.readUInt32LE(at - 4);
  };
  const lc = (): LinearCombination => {
    const terms = new Map<number, bigint>();
    for (let n = u32(); n > 0; n--) {
      const wire = u32();
      if (at + n8 > data.length) throw truncated();
      // A wire may appear twice in one combination (snarkjs keeps both terms): its coefficients add up.
      terms.set(wire, ((terms.get(wire) ?? 0n) + readUintLE(data.subarray(at, at + n8))) % header.prime);
      at += n8;
    }
    return terms;
  };
  const constraints: R1cs['constraints'] = [];
  for (let c = 0; c < header.nConstraints; c++) constraints.push([lc(), lc(), lc()]);

  const labels = await sections.section(WIRE_TO_LABEL);
  if (labels.length !== header.nWires * 8) throw new ArtifactError('ARTIFACT_INVALID', `${file}: the R1CS wire-to-label section has the wrong size`, file);
  const wireToLabel = Array.from({ length: header.nWires }, (_, w) => Number(labels.readBigUInt64LE(w * 8)));
  return { ...header, constraints, wireToLabel };
}

function evaluate(lc: LinearCombination, witness: readonly bigint[], p: bigint): bigint {
  let sum = 0n;
  for (const [wire, coef] of lc) sum += coef * witness[wire];
  return sum % p;
}

/** The index of the first constraint the witness violates, or -1 when it satisfies them all. */
export function firstViolatedConstraint(r1cs: Pick<R1cs, 'prime' | 'constraints'>, witness: readonly bigint[]): number {
  const p = r1cs.prime;
  return r1cs.constraints.findIndex(([a, b, c]) => (evaluate(a, witness, p) * evaluate(b, witness, p) - evaluate(c, witness, p)) % p !== 0n);
}
