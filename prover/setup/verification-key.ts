/**
 * The verification key JSON of a Groth16 .zkey, as snarkjs's zkey_export_verificationkey.js
 * writes it (same fields, same order, coordinates as decimal strings), computed with the
 * single-threaded curve: snarkjs's own export builds the multi-threaded one, which costs more than
 * the whole development setup of a small circuit. Tests hold the two to the same text.
 */
import { ArtifactError, messageOf } from '../../core/errors.js';
import { readSection, readSectionTable } from '../../core/binfile-files.js';
import { singleThreadCurve } from '../bn128.js';
import { ZKEY_SECTIONS } from '../zkey-sections.js';

/** Decimal strings for every bigint, as ffjavascript's stringifyBigInts. */
function stringify(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(stringify);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringify(v)]));
  return value;
}

export async function verificationKeyText(zkeyPath: string): Promise<string> {
  let header: Buffer;
  let ic: Buffer;
  try {
    const table = await readSectionTable(zkeyPath, 'zkey');
    header = await readSection(zkeyPath, table, ZKEY_SECTIONS.header);
    ic = await readSection(zkeyPath, table, ZKEY_SECTIONS.ic);
  } catch (error) {
    throw new ArtifactError('ARTIFACT_INVALID', `${zkeyPath} is not a usable proving key: ${messageOf(error)}`, zkeyPath, { cause: error });
  }
  const nPublic = header.readUInt32LE(76);
  if (header.length !== 660 || ic.length !== (nPublic + 1) * 64) throw new ArtifactError('ARTIFACT_INVALID', `${zkeyPath} is not a Groth16 bn128 proving key`, zkeyPath);
  const { curve } = await singleThreadCurve();
  const at = (offset: number, size: number) => new Uint8Array(header.subarray(offset, offset + size));
  const [alpha1, beta2, gamma2, delta2] = [at(84, 64), at(212, 128), at(340, 128), at(532, 128)] as const;
  const vk = {
    protocol: 'groth16',
    curve: 'bn128',
    nPublic,
    vk_alpha_1: curve.G1.toObject(alpha1),
    vk_beta_2: curve.G2.toObject(beta2),
    vk_gamma_2: curve.G2.toObject(gamma2),
    vk_delta_2: curve.G2.toObject(delta2),
    vk_alphabeta_12: curve.Gt.toObject(curve.pairing(alpha1, beta2)),
    IC: Array.from({ length: nPublic + 1 }, (_, i) => curve.G1.toObject(new Uint8Array(ic.subarray(i * 64, (i + 1) * 64)))),
  };
  return JSON.stringify(stringify(vk), null, 2) + '\n';
}
