/**
 * The development setup: Groth16 keys straight from the R1CS, in seconds, with no powers of tau.
 * One party (this process) draws τ, α, β, γ, δ from the operating system's secure random source,
 * computes the key and forgets them: they are never written, logged or returned, and the buffers
 * that held them are overwritten (best effort: JavaScript may keep copies we cannot reach).
 * Whoever could read this process's memory while it ran could forge proofs, so these keys are for
 * development only; production keys come from a public ptau plus a phase-2 ceremony.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ZkinferError, messageOf } from '../../core/errors.js';
import { randomScalar } from '../../core/field.js';
import { moveIntoPlace, sha256, withTempDir } from '../../core/files.js';
import type { OnProgress } from '../../core/progress.js';
import { type WrittenKey, writeKeyFromSecrets } from './key-writer.js';
import { requiredPtauPower } from './ptau.js';
import { DegenerateSecret, type ToxicWaste } from './qap.js';
import { readRawR1cs } from './r1cs-raw.js';
import { contributionHash } from './zkey-format.js';
import { singleThreadCurve } from '../bn128.js';
import { verificationKeyText } from './verification-key.js';

/** The name of the one contribution a development key records. */
export const DEV_CONTRIBUTION_NAME = 'zkinfer development setup (single party)';

export interface DevSetupOptions {
  r1csPath: string;
  zkeyPath: string;
  vkPath: string;
  /** Worker threads for the curve arithmetic (default: one per core). */
  threads?: number;
  onProgress?: OnProgress;
}

export interface DevSetupResult {
  /** sha256 (hex) of the verification key file's exact text. */
  vkHash: string;
  /** The key's evaluation domain is 2^power rows. */
  power: number;
  /** snarkjs's circuit hash (blake2b-512, hex) of the key before its contribution. */
  circuitHash: string;
  contributions: { name: string; hash: string }[];
}

export async function devSetup(options: DevSetupOptions): Promise<DevSetupResult> {
  const { r1csPath, zkeyPath, vkPath, onProgress } = options;
  const r1cs = await readRawR1cs(r1csPath);
  requiredPtauPower(r1cs.nConstraints, r1cs.nPublic); // refuses circuits beyond bn128's 2^28 domain

  return withTempDir(path.dirname(zkeyPath), async (tmp) => {
    const keyTemp = path.join(tmp, 'key.zkey');
    const vkTemp = path.join(tmp, 'vk.json');
    let written: WrittenKey | undefined;
    for (let attempt = 0; !written; attempt++) {
      const secrets = drawToxicWaste();
      try {
        written = await writeKeyFromSecrets({
          r1cs,
          secrets,
          zkeyPath: keyTemp,
          contributionName: DEV_CONTRIBUTION_NAME,
          ...(options.threads !== undefined ? { threads: options.threads } : {}),
          ...(onProgress ? { onProgress } : {}),
        });
      } catch (error) {
        // τ landing on the domain has probability ~2^-236; draw again rather than fail.
        if (!(error instanceof DegenerateSecret) || attempt >= 3) throw wrap(error, r1csPath);
      } finally {
        for (const secret of Object.values(secrets)) secret.fill(0);
      }
    }

    onProgress?.({ step: 'setup', message: 'exporting the verification key' });
    const vkText = await verificationKeyText(keyTemp);
    await fs.writeFile(vkTemp, vkText);
    // Both files are complete before either replaces an older one, so a failure leaves the old pair.
    await moveIntoPlace(keyTemp, zkeyPath);
    await moveIntoPlace(vkTemp, vkPath);
    const { curve } = await singleThreadCurve();
    return {
      vkHash: sha256(vkText),
      power: written.power,
      circuitHash: Buffer.from(written.circuitHash).toString('hex'),
      contributions: written.contributions.map((c) => ({ name: c.name ?? '', hash: Buffer.from(contributionHash(curve, c)).toString('hex') })),
    };
  });
}

function wrap(error: unknown, r1csPath: string): ZkinferError {
  if (error instanceof ZkinferError) return error;
  return new ZkinferError('SETUP', `development setup failed for ${r1csPath}: ${messageOf(error)}`, { details: { r1csPath }, cause: error });
}

/** Five independent uniform nonzero scalars (core/field.ts's randomScalar). */
function drawToxicWaste(): ToxicWaste {
  return { tau: randomScalar(), alpha: randomScalar(), beta: randomScalar(), gamma: randomScalar(), delta: randomScalar() };
}
