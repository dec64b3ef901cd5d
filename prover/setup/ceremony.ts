/**
 * Phase 2 of a Groth16 setup as a multi-party ceremony, over snarkjs's own functions: each party
 * multiplies δ by a secret of their own (zKey.contribute), a public random beacon ends the
 * ceremony (zKey.beacon), and anyone recomputes the initial key from the R1CS and the phase-1
 * file and checks every contribution's proof of knowledge (zKey.verifyFromR1cs). As long as one
 * party forgot their secret, nobody can forge proofs.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { ArtifactError, ZkinferError, messageOf } from '../../core/errors.js';
import { BinFileProblem } from '../../core/binfile.js';
import { readSection, readSectionTable } from '../../core/binfile-files.js';
import { distFile } from '../../core/paths.js';
import type { OnProgress } from '../../core/progress.js';
import { withBn128 } from '../curve.js';
import { progressLogger } from '../snarkjs-logger.js';
import { lem, singleThreadCurve } from '../bn128.js';
import type { VerifyWorkerResponse } from './verify-worker.js';
import { contributionHash, decodeContributions } from './zkey-format.js';
import { ZKEY_SECTIONS } from '../zkey-sections.js';

export interface ZkeyContribution {
  name: string;
  /** blake2b-512 (hex) of the contribution's public key: what snarkjs prints as its hash. */
  hash: string;
  type: 'contribution' | 'beacon';
}

async function readZkeySection(zkeyPath: string, section: number): Promise<Buffer> {
  try {
    return await readSection(zkeyPath, await readSectionTable(zkeyPath, 'zkey'), section);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactError('ARTIFACT_MISSING', `proving key not found: ${zkeyPath}`, zkeyPath);
    throw new ArtifactError('ARTIFACT_INVALID', `${zkeyPath} is not a usable proving key: ${messageOf(error)}`, zkeyPath, { cause: error });
  }
}

/** The circuit hash and the contributions recorded in a .zkey (section 10). */
export async function readZkeyContributions(zkeyPath: string): Promise<{ circuitHash: string; contributions: ZkeyContribution[] }> {
  const section = await readZkeySection(zkeyPath, ZKEY_SECTIONS.contributions);
  const { curve } = await singleThreadCurve();
  try {
    const { circuitHash, contributions } = decodeContributions(section);
    return {
      circuitHash: Buffer.from(circuitHash).toString('hex'),
      contributions: contributions.map((c) => ({
        name: c.name ?? '',
        hash: Buffer.from(contributionHash(curve, c)).toString('hex'),
        type: c.type === 1 ? 'beacon' : 'contribution',
      })),
    };
  } catch (error) {
    const problem = error instanceof BinFileProblem || error instanceof Error ? error.message : String(error);
    throw new ArtifactError('ARTIFACT_INVALID', `${zkeyPath}: ${problem}`, zkeyPath, { cause: error });
  }
}

/**
 * Why the key is forgeable for want of a phase-2 contribution, or undefined if it has one.
 * Groth16 is sound only while nobody knows δ. A key fresh from the powers of tau (snarkjs's zkey
 * new) has δ = 1: δ₂ is the G2 generator, equal to γ₂, and then anyone can make a proof of any
 * public signals (A = α, B = β, C = −(IC₀ + Σ xᵢ·ICᵢ)). A beacon's δ is public too (anyone can
 * recompute it), so only a contribution made with secret randomness counts. This reads the key
 * itself, not any manifest; the contributions' consistency with δ is what `verifyZkey` checks.
 */
export async function missingContributionReason(zkeyPath: string): Promise<string | undefined> {
  const header = await readZkeySection(zkeyPath, ZKEY_SECTIONS.header);
  if (header.length !== 660) throw new ArtifactError('ARTIFACT_INVALID', `${zkeyPath} is not a Groth16 bn128 proving key (header of ${header.length} bytes)`, zkeyPath);
  const { curve } = await singleThreadCurve();
  const [gamma2, delta2] = [header.subarray(340, 468), header.subarray(532, 660)];
  if (delta2.equals(gamma2) || delta2.equals(lem(curve, 'G2', curve.G2.g))) {
    return `${zkeyPath} has no phase-2 contribution: its δ is the G2 generator (δ = γ), so anyone can forge a proof of any public signals for it; at least one contribution is needed (zkinfer ceremony contribute)`;
  }
  const { contributions } = await readZkeyContributions(zkeyPath);
  if (!contributions.some((c) => c.type === 'contribution')) {
    const what = contributions.length === 0 ? 'no phase-2 contribution recorded' : 'only public beacons in phase 2, whose δ anyone can recompute';
    return `${zkeyPath} has ${what}, so anyone can forge proofs for it; at least one contribution with secret randomness is needed (zkinfer ceremony contribute)`;
  }
  return undefined;
}

/** Add a contribution with fresh randomness (mixed with `entropy`, if given) to `fromZkey`, writing `toZkey`. */
export async function contributeZkey(fromZkey: string, toZkey: string, name: string, entropy = '', onProgress?: OnProgress): Promise<void> {
  const logger = progressLogger('ceremony', onProgress);
  // snarkjs hashes this with 64 more random bytes of its own; it must not be empty (it would prompt).
  const mixed = `${randomBytes(32).toString('hex')}${entropy}`;
  await runSnarkjs('contribution', () => snarkjs.zKey.contribute(fromZkey, toZkey, name, mixed, logger), logger.errors);
}

export interface BeaconOptions {
  /** Hexadecimal, 1 to 255 bytes: a value nobody could know in advance (e.g. a future block hash). */
  hash: string;
  /** The beacon hash is iterated 2^iterationsExp times with sha256 (10..63). */
  iterationsExp: number;
  name: string;
}

export function checkBeacon(options: BeaconOptions): void {
  if (!/^(?:[0-9a-fA-F]{2}){1,255}$/.test(options.hash)) {
    throw new ZkinferError('USAGE', `a beacon hash must be 1 to 255 bytes of hexadecimal, found '${options.hash.slice(0, 80)}'`);
  }
  if (!Number.isInteger(options.iterationsExp) || options.iterationsExp < 10 || options.iterationsExp > 63) {
    throw new ZkinferError('USAGE', `the beacon's iteration exponent must be an integer in 10..63, found ${options.iterationsExp}`);
  }
}

export async function beaconZkey(fromZkey: string, toZkey: string, options: BeaconOptions, onProgress?: OnProgress): Promise<void> {
  checkBeacon(options);
  const logger = progressLogger('ceremony', onProgress);
  await runSnarkjs('beacon', () => snarkjs.zKey.beacon(fromZkey, toZkey, options.name, options.hash, options.iterationsExp, logger), logger.errors);
}

export interface ZkeyVerdict {
  valid: boolean;
  /** Why not, in snarkjs's words when it gave any. */
  reason?: string;
}

/**
 * Recompute the initial key from the R1CS and the phase-1 file and check the .zkey against it and
 * every contribution in it (snarkjs's zkey verify, in a child process: see verify-worker.ts). A
 * key that is malformed or made for something else is invalid, not an error.
 */
export async function verifyZkey(r1csPath: string, ptauPath: string, zkeyPath: string): Promise<ZkeyVerdict> {
  const workerFile = distFile('prover', 'setup', 'verify-worker.js');
  if (!existsSync(workerFile)) throw new ZkinferError('INTERNAL', `the compiled verification worker is missing: ${workerFile} (run \`npm run build\`)`);
  const child = fork(workerFile, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
  let printed = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const response = await new Promise<VerifyWorkerResponse | undefined>((resolve, reject) => {
    let answer: VerifyWorkerResponse | undefined;
    child.once('message', (message: VerifyWorkerResponse) => (answer = message));
    child.once('error', reject);
    child.once('exit', () => resolve(answer));
    child.send({ r1csPath, ptauPath, zkeyPath });
  });
  if (!response) {
    throw new ZkinferError('SETUP', `the key verification stopped unexpectedly${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`, { details: { stderr } });
  }
  if (response.valid) return { valid: true };
  const reasons = [...response.errors, ...printed.split('\n')].map((line) => line.trim()).filter(Boolean);
  return { valid: false, reason: reasons.join('; ') || 'snarkjs found the key inconsistent with the circuit and the powers of tau' };
}

async function runSnarkjs(what: string, work: () => Promise<unknown>, errors: string[]): Promise<void> {
  try {
    const result = await withBn128(work);
    if (result === false || result === -1) throw new Error(errors.at(-1) ?? `snarkjs refused the ${what}`);
  } catch (error) {
    throw new ZkinferError('SETUP', `the ${what} failed: ${messageOf(error)}`, { cause: error });
  }
}
