/** The counts in an .r1cs header that decide how large a powers of tau a circuit needs. */
import { ArtifactError, messageOf } from '../../core/errors.js';
import { readSection, readSectionTable } from './binfile.js';

export interface R1csCounts {
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
}

/** Header section 1: n8, prime (n8 bytes), nVars, nOutputs, nPubInputs, nPrvInputs (u32), nLabels (u64), nConstraints (u32). */
export async function readR1csCounts(file: string): Promise<R1csCounts> {
  let header: Buffer;
  try {
    header = await readSection(file, await readSectionTable(file, 'r1cs'), 1);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ArtifactError(missing ? 'ARTIFACT_MISSING' : 'ARTIFACT_INVALID', `cannot read the circuit's .r1cs ${file}: ${messageOf(error)}`, file, {
      cause: error,
    });
  }
  const n8 = header.length >= 4 ? header.readUInt32LE(0) : 0;
  // The prime itself is compared with the ptau's curve by snarkjs's newZKey.
  if (n8 !== 32 || header.length !== n8 + 32) {
    throw new ArtifactError('ARTIFACT_INVALID', `${file} is not an .r1cs over a 254-bit field`, file);
  }
  const u32 = (offset: number) => header.readUInt32LE(36 + offset);
  return { nVars: u32(0), nOutputs: u32(4), nPubInputs: u32(8), nPrvInputs: u32(12), nConstraints: u32(24) };
}
