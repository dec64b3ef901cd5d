/**
 * The R1CS as the development setup needs it: the header counts and the constraints section as
 * raw bytes, whose coefficients go straight into WebAssembly memory. (circuits/r1cs.ts parses into
 * BigInt maps, which is right for tests and `inspect` but too slow for 2^18 constraints, and it
 * merges repeated wires, which snarkjs keeps as separate terms.) Every term is checked to lie in
 * the section and name an existing wire before any arithmetic trusts it.
 */
import { ArtifactError, messageOf } from '../../core/errors.js';
import { FIELD_MODULUS } from '../../core/field.js';
import { readSection, readSectionTable } from '../../core/binfile-files.js';
import { readR1csHeader } from '../../circuits/r1cs.js';

export interface RawR1cs {
  nVars: number;
  /** Outputs then public inputs: snarkjs's nPublic. */
  nPublic: number;
  nConstraints: number;
  /** Section 2: per constraint, for A, B and C, a u32 term count then (u32 wire, 32-byte coefficient) terms. */
  constraints: Buffer;
}

const TERM_BYTES = 4 + 32;
/** r as eight 32-bit words, most significant first. */
const R_WORDS = Array.from({ length: 8 }, (_, i) => Number((FIELD_MODULUS >> BigInt(32 * (7 - i))) & 0xffffffffn));

/** Whether the 32-byte little-endian number at `offset` is below r, without BigInt (negative coefficients, r − k, are common). */
function belowModulus(bytes: Buffer, offset: number): boolean {
  for (let i = 0; i < 8; i++) {
    const word = bytes.readUInt32LE(offset + 28 - 4 * i);
    if (word !== R_WORDS[i]) return word < R_WORDS[i]!;
  }
  return false;
}

export async function readRawR1cs(file: string): Promise<RawR1cs> {
  const invalid = (problem: string, cause?: unknown) =>
    new ArtifactError('ARTIFACT_INVALID', `${file} is not a usable R1CS: ${problem}`, file, cause === undefined ? {} : { cause });
  const header = await readR1csHeader(file);
  if (header.prime !== FIELD_MODULUS) throw invalid('it is not over the bn128 scalar field');
  let constraints: Buffer;
  try {
    constraints = await readSection(file, await readSectionTable(file, 'r1cs'), 2);
  } catch (error) {
    throw invalid(messageOf(error), error);
  }
  const { nWires: nVars, nConstraints } = header;
  const nPublic = header.nPubOut + header.nPubIn;
  if (nVars < nPublic + 1) throw invalid(`it has ${nVars} wires, fewer than its ${nPublic} public signals and the constant`);

  let at = 0;
  for (let c = 0; c < nConstraints; c++) {
    for (let matrix = 0; matrix < 3; matrix++) {
      if (at + 4 > constraints.length) throw invalid(`constraint ${c} is truncated`);
      const terms = constraints.readUInt32LE(at);
      at += 4;
      if (at + terms * TERM_BYTES > constraints.length) throw invalid(`constraint ${c} is truncated`);
      for (let t = 0; t < terms; t++, at += TERM_BYTES) {
        const wire = constraints.readUInt32LE(at);
        if (wire >= nVars) throw invalid(`constraint ${c} uses wire ${wire}, but there are only ${nVars}`);
        if (!belowModulus(constraints, at + 4)) throw invalid(`constraint ${c} has a coefficient not below the field order`);
      }
    }
  }
  if (at !== constraints.length) throw invalid(`its constraints section has ${constraints.length - at} bytes after the last constraint`);
  return { nVars, nPublic, nConstraints, constraints };
}
