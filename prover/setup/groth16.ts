/**
 * Groth16 phase 2 for one circuit: the proving key (.zkey) and the verification key (JSON).
 * snarkjs's fresh zkey has delta = 1, with which anyone can forge proofs, so one random
 * contribution is always made before anything is written out.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as snarkjs from 'snarkjs';
import { ZkinferError, messageOf } from '../../core/errors.js';
import { moveIntoPlace, sha256, withTempDir } from '../../core/files.js';
import type { OnProgress } from '../../core/progress.js';
import { withBn128 } from '../curve.js';
import { progressLogger } from '../snarkjs-logger.js';
import { checkPtauFor, ptauPowerFor } from './ptau.js';

export interface SetupGroth16Options {
  r1csPath: string;
  ptauPath: string;
  zkeyPath: string;
  vkPath: string;
  onProgress?: OnProgress;
}

export interface SetupGroth16Result {
  /** sha256 (hex) of the verification key file's exact text. */
  vkHash: string;
}

export async function setupGroth16(options: SetupGroth16Options): Promise<SetupGroth16Result> {
  const { r1csPath, ptauPath, zkeyPath, vkPath, onProgress } = options;
  await checkPtauFor(ptauPath, await ptauPowerFor(r1csPath));

  const logger = progressLogger('setup', onProgress);
  const phase = (done: number, message: string) => onProgress?.({ step: 'setup', message, done, total: 3 });
  return withTempDir(path.dirname(zkeyPath), async (tmp) => {
    const initialZkey = path.join(tmp, 'initial.zkey');
    const finalZkey = path.join(tmp, 'final.zkey');
    const vkTemp = path.join(tmp, 'vk.json');
    const vkText = await withBn128(async () => {
      try {
        phase(0, 'computing the proving key');
        const circuitHash = await snarkjs.zKey.newZKey(r1csPath, ptauPath, initialZkey, logger);
        if (!(circuitHash instanceof Uint8Array)) throw new Error(logger.errors.at(-1) ?? 'snarkjs could not create the proving key');
        phase(1, 'adding a random phase-2 contribution');
        await snarkjs.zKey.contribute(initialZkey, finalZkey, 'zkinfer setup', randomBytes(32).toString('hex'), logger);
        phase(2, 'exporting the verification key');
        const vk = await snarkjs.zKey.exportVerificationKey(finalZkey);
        return JSON.stringify(vk, null, 2) + '\n';
      } catch (error) {
        throw new ZkinferError('SETUP', `Groth16 setup failed for ${r1csPath}: ${messageOf(error)}`, {
          details: { r1csPath, ptauPath },
          cause: error,
        });
      }
    });
    await fs.writeFile(vkTemp, vkText);
    // Both files are complete before either replaces an older one, so a failure leaves the old pair.
    await moveIntoPlace(finalZkey, zkeyPath);
    await moveIntoPlace(vkTemp, vkPath);
    phase(3, 'keys written');
    return { vkHash: sha256(vkText) };
  });
}
