/**
 * Powers of tau (phase 1 of Groth16's setup): the size rule, checks of user-supplied files (and of
 * the public Hermez ceremony's files against their published hashes), and development files
 * generated with snarkjs. `zkinfer setup` no longer needs the latter (its development setup works
 * from the R1CS alone); tests and the setup benchmark use them to exercise the ptau path. A
 * development ptau has one contribution made on this machine, so whoever ran it could forge
 * proofs: fine for tests, never for production.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as snarkjs from 'snarkjs';
import { ArtifactError, ZkinferError, messageOf } from '../../core/errors.js';
import { moveIntoPlace, withTempDir } from '../../core/files.js';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { cacheDir } from '../../core/paths.js';
import type { OnProgress } from '../../core/progress.js';
import { withBn128 } from '../curve.js';
import { progressLogger } from '../snarkjs-logger.js';
import { readR1csHeader } from '../../circuits/r1cs.js';
import { BinFileProblem, readUintLE, type BinFile } from '../../core/binfile.js';
import { readSection, readSectionTable } from '../../core/binfile-files.js';
import { GROUPS } from '../bn128-layout.js';
import { withFileLock } from './file-lock.js';
import { HEZ_PTAU_BLAKE2B, hezPtauName } from './public-ptau.js';

/** Smaller files would save a few seconds at most, and one cached size then serves every tiny circuit. */
export const MIN_PTAU_POWER = 8;
/** BN254's scalar field has 2^28 as its largest power-of-two root of unity. */
export const MAX_PTAU_POWER = 28;

/**
 * The smallest ptau power snarkjs's groth16 setup accepts for a circuit. zkey_new.js requires
 * power >= floor(log2(nConstraints + nPubInputs + nOutputs)) + 1, where nPublic = nPubInputs + nOutputs.
 */
export function requiredPtauPower(nConstraints: number, nPublic: number): number {
  // 32 - clz32(n) is floor(log2(n)) + 1 for n >= 1, in exact integer arithmetic.
  const power = Math.max(MIN_PTAU_POWER, 32 - Math.clz32(nConstraints + nPublic));
  if (power > MAX_PTAU_POWER) {
    throw new ZkinferError('SETUP', `the circuit is too large for Groth16 on bn128: it needs 2^${power} > 2^${MAX_PTAU_POWER} rows`, {
      details: { nConstraints, nPublic, power },
    });
  }
  return power;
}

/** The power a circuit's R1CS needs, from its header alone. */
export async function ptauPowerFor(r1csFile: string): Promise<number> {
  const header = await readR1csHeader(r1csFile);
  return requiredPtauPower(header.nConstraints, header.nPubIn + header.nPubOut);
}

export interface PtauInfo {
  power: number;
  /** Whether preparePhase2 has run (Lagrange sections 12..15 present); Groth16 setup needs it. */
  prepared: boolean;
}

const G1_BYTES = GROUPS.G1.affine;
const G2_BYTES = GROUPS.G2.affine;

/** Minimum section sizes for a given power, as snarkjs's new/prepare/truncate write them. */
function expectedSizes(power: number): Record<number, number> {
  const n = 2 ** power;
  return {
    2: (2 * n - 1) * G1_BYTES,
    3: n * G2_BYTES,
    4: n * G1_BYTES,
    5: n * G1_BYTES,
    6: G2_BYTES,
  };
}

function preparedSizes(power: number): Record<number, number> {
  const n = 2 ** power;
  return { 12: (4 * n - 1) * G1_BYTES, 13: (2 * n - 1) * G2_BYTES, 14: (2 * n - 1) * G1_BYTES, 15: (2 * n - 1) * G1_BYTES };
}

/** Read a .ptau file's header and section table; SETUP errors say what is wrong with it. */
export async function inspectPtau(file: string): Promise<PtauInfo> {
  const fail = (problem: string, cause?: unknown) =>
    new ZkinferError('SETUP', `${file} is not a usable powers-of-tau file: ${problem}`, { details: { path: file }, cause });
  let table: BinFile;
  let header: Buffer;
  try {
    table = await readSectionTable(file, 'ptau');
    header = await readSection(file, table, 1);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ArtifactError('ARTIFACT_MISSING', `powers-of-tau file not found: ${file}`, file);
    }
    if (error instanceof BinFileProblem) throw fail(error.message);
    throw fail(messageOf(error), error);
  }

  if (header.length !== 44 || header.readUInt32LE(0) !== 32) throw fail('its header is not that of a bn128 ceremony');
  if (readUintLE(header.subarray(4, 36)) !== BASE_FIELD_MODULUS) throw fail('it is for another curve than bn128');
  const power = header.readUInt32LE(36);
  if (power < 1 || power > MAX_PTAU_POWER) throw fail(`its power ${power} is outside 1..${MAX_PTAU_POWER}`);

  const sizeOf = (type: number) => table.sections.find((section) => section.type === type)?.size;
  for (const [type, size] of Object.entries(expectedSizes(power))) {
    if ((sizeOf(Number(type)) ?? 0) < size) throw fail(`section ${type} is missing or too short for power ${power}`);
  }
  const lagrange = Object.entries(preparedSizes(power));
  const present = lagrange.filter(([type]) => sizeOf(Number(type)) !== undefined);
  if (present.length > 0 && present.length < lagrange.length) throw fail('it has only some of the phase-2 sections');
  for (const [type, size] of present) {
    if (sizeOf(Number(type))! < size) throw fail(`section ${type} is too short for power ${power}`);
  }
  return { power, prepared: present.length === lagrange.length };
}

/** Check that a ptau can set up a circuit needing `requiredPower`; returns what it found. */
export async function checkPtauFor(file: string, requiredPower: number): Promise<PtauInfo> {
  const info = await inspectPtau(file);
  if (!info.prepared) {
    throw new ZkinferError('SETUP', `${file} is not prepared for phase 2: run \`snarkjs powersoftau prepare phase2\` on it first`, {
      details: { path: file },
    });
  }
  if (info.power < requiredPower) {
    throw new ZkinferError('SETUP', `${file} has power ${info.power}, but the circuit needs at least ${requiredPower}`, {
      details: { path: file, power: info.power, requiredPower },
    });
  }
  return info;
}

export interface ProductionPtau extends PtauInfo {
  path: string;
  /** sha256 (hex) of the whole file: how a setup records which ptau it was made from. */
  sha256: string;
  /** The public ceremony file it was recognised as (by name), its published hash checked. */
  publicCeremony?: string;
}

const HEZ_NAME = /^powersoftau28_hez_final(?:_(\d\d))?\.ptau$/i;

/**
 * Check a phase-1 file before a production setup uses it: header, curve, prepared for phase 2,
 * power large enough, and, when its name says it is one of the Hermez ceremony's published files,
 * that its blake2b-512 hash is the published one (a truncated download or a substituted file
 * would otherwise give keys whose security nobody can vouch for).
 */
export async function checkProductionPtau(file: string, requiredPower: number, options: { onProgress?: OnProgress } = {}): Promise<ProductionPtau> {
  const info = await checkPtauFor(file, requiredPower);
  const match = HEZ_NAME.exec(path.basename(file));
  const named = match ? (match[1] === undefined ? 28 : Number(match[1])) : undefined;
  options.onProgress?.({ step: 'ptau', message: `hashing ${path.basename(file)}` });
  const { sha256, blake2b } = await hashPtau(file);
  if (named === undefined) return { ...info, path: file, sha256 };

  const published = HEZ_PTAU_BLAKE2B[named];
  const name = hezPtauName(named);
  if (published === undefined || info.power !== named) {
    throw new ZkinferError('SETUP', `${file} is named like the public ceremony file ${name}, but its header says power ${info.power}: it is not that file`, {
      details: { path: file, namedPower: named, power: info.power },
    });
  }
  if (blake2b !== published) {
    throw new ZkinferError(
      'SETUP',
      `${file} is named like the public ceremony file ${name}, but its blake2b-512 hash is not the published one: it is damaged or not that file (download it again)`,
      { details: { path: file, blake2b, published } },
    );
  }
  return { ...info, path: file, sha256, publicCeremony: name };
}

/** sha256 and blake2b-512 of a file in one streamed pass (public ptau files reach gigabytes). */
export async function hashPtau(file: string): Promise<{ sha256: string; blake2b: string }> {
  const sha = createHash('sha256');
  const blake = createHash('blake2b512');
  await new Promise<void>((resolve, reject) => {
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        sha.update(chunk);
        blake.update(chunk);
      })
      .on('end', () => resolve())
      .on('error', reject);
  });
  return { sha256: sha.digest('hex'), blake2b: blake.digest('hex') };
}

export interface DevPtau {
  path: string;
  power: number;
  /** False if this call generated the file. */
  cached: boolean;
}

export interface EnsureDevPtauOptions {
  onProgress?: OnProgress;
}

const DEV_NAME = /^dev-bn128-(\d+)\.ptau$/;
const devName = (power: number) => `dev-bn128-${String(power).padStart(2, '0')}.ptau`;

/** A development ptau of at least `power` from the cache, generating one (once, across processes) if none fits. */
export async function ensureDevPtau(power: number, options: EnsureDevPtauOptions = {}): Promise<DevPtau> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_PTAU_POWER) {
    throw new ZkinferError('SETUP', `a powers-of-tau power must be an integer in 1..${MAX_PTAU_POWER}, got ${power}`);
  }
  power = Math.max(power, MIN_PTAU_POWER);
  const dir = path.join(cacheDir(), 'ptau');
  const found = await findCachedDevPtau(dir, power);
  if (found) return found;

  const report = options.onProgress;
  return withFileLock(
    path.join(dir, `${devName(power)}.lock`),
    async () => {
      // Whoever held the lock may have just made it.
      const made = await findCachedDevPtau(dir, power);
      if (made) return made;
      const target = path.join(dir, devName(power));
      await generateDevPtau(power, target, report);
      return { path: target, power, cached: false };
    },
    { onWait: () => report?.({ step: 'ptau', message: `waiting for another process generating a 2^${power} powers of tau` }) },
  );
}

/** The smallest cached development ptau of at least `power` that passes inspection. */
async function findCachedDevPtau(dir: string, power: number): Promise<DevPtau | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  const candidates = names
    .map((name) => ({ name, power: Number(DEV_NAME.exec(name)?.[1] ?? NaN) }))
    .filter((entry) => entry.power >= power)
    .sort((a, b) => a.power - b.power);
  for (const candidate of candidates) {
    const file = path.join(dir, candidate.name);
    try {
      const info = await inspectPtau(file);
      if (info.prepared && info.power === candidate.power) return { path: file, power: info.power, cached: true };
    } catch {
      // A damaged cache file is skipped; generating a fresh one replaces it.
    }
  }
  return undefined;
}

/** Generate a development ptau with snarkjs into `target` (the bench measures this path; ensureDevPtau caches it). */
export async function generateDevPtau(power: number, target: string, onProgress: OnProgress | undefined): Promise<void> {
  const logger = progressLogger('ptau', onProgress);
  const phase = (done: number, message: string) => onProgress?.({ step: 'ptau', message, done, total: 3 });
  try {
    await withTempDir(path.dirname(target), (tmp) =>
      withBn128(async (curve) => {
        const fresh = path.join(tmp, 'new.ptau');
        const contributed = path.join(tmp, 'contributed.ptau');
        const prepared = path.join(tmp, 'prepared.ptau');
        phase(0, `creating a 2^${power} powers-of-tau accumulator`);
        await snarkjs.powersOfTau.newAccumulator(curve, power, fresh, logger);
        phase(1, 'adding a random contribution');
        await snarkjs.powersOfTau.contribute(fresh, contributed, 'zkinfer development', randomBytes(32).toString('hex'), logger);
        phase(2, 'preparing phase 2');
        await snarkjs.powersOfTau.preparePhase2(contributed, prepared, logger);
        phase(3, 'powers of tau ready');
        await moveIntoPlace(prepared, target);
      }),
    );
  } catch (error) {
    throw new ZkinferError('SETUP', `could not generate a 2^${power} development powers of tau: ${messageOf(error)}`, {
      details: { power, path: target },
      cause: error,
    });
  }
}
