/**
 * `zkinfer ceremony contribute|beacon|verify`: a phase-2 ceremony on an artifacts folder whose keys
 * come from a powers-of-tau file (`zkinfer setup DIR --ptau FILE`). Contributors run `contribute`
 * one after another on the folder (passing it along); a beacon can close the ceremony; anyone can
 * `verify` the key against the folder's R1CS and the phase-1 file. After a contribution or beacon
 * the proving and verification keys are replaced together and the manifest's setup record lists
 * the contributions; steps made from the old verification key (an exported verifier) are then stale.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as snarkjs from 'snarkjs';
import { ArtifactError, ZkinferError } from '../core/errors.js';
import { exists, moveIntoPlace, readJson, sha256, sha256File, withTempDir } from '../core/files.js';
import type { OnProgress } from '../core/progress.js';
import { withBn128 } from '../prover/curve.js';
import { type BeaconOptions, beaconZkey, checkBeacon, contributeZkey, missingContributionReason, readZkeyContributions, verifyZkey, type ZkeyContribution } from '../prover/setup/ceremony.js';
import { hashPtau } from '../prover/setup/ptau.js';
import { artifactPath, openArtifacts } from './artifacts.js';
import { FILES, type Manifest, requireStage } from './manifest.js';
import { recordSetup, type SetupSettings } from './setup.js';

export type CeremonyContribution = ZkeyContribution;

export interface CeremonyStepResult {
  /** The contribution this call added. */
  added: CeremonyContribution;
  contributions: CeremonyContribution[];
  vkHash: string;
}

export interface CeremonyVerifyResult {
  valid: boolean;
  reason?: string;
  circuitHash: string;
  contributions: CeremonyContribution[];
  ptau: { path: string; sha256: string; recorded: boolean };
  /** Whether keys/verification_key.json is the one the proving key gives (checked only for a valid key). */
  verificationKeyMatches?: boolean;
  /** Whether the keys are those the manifest records (a ceremony run outside zkinfer changes them). */
  keysRecorded: boolean;
}

export async function ceremonyContributeStep(dir: string, options: { name: string; entropy?: string; onProgress?: OnProgress }): Promise<CeremonyStepResult> {
  if (!options.name.trim()) throw new ZkinferError('USAGE', 'a contribution needs a name (--name), so the transcript says who contributed');
  return replaceKeys(dir, options.onProgress, (from, to) => contributeZkey(from, to, options.name, options.entropy ?? '', options.onProgress));
}

export async function ceremonyBeaconStep(dir: string, options: BeaconOptions & { onProgress?: OnProgress }): Promise<CeremonyStepResult> {
  checkBeacon(options);
  return replaceKeys(dir, options.onProgress, (from, to) => beaconZkey(from, to, options, options.onProgress));
}

export async function ceremonyVerifyStep(dir: string, options: { ptau?: string; onProgress?: OnProgress } = {}): Promise<CeremonyVerifyResult> {
  // The key itself is what is being verified, so it need not match the manifest; the circuit must be current.
  const manifest = await openArtifacts(dir, ['compile']);
  const settings = ptauSettings(dir, manifest);
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const ptauPath = path.resolve(options.ptau ?? settings.ptau!.file);
  if (!(await exists(ptauPath))) {
    throw new ArtifactError('ARTIFACT_MISSING', `the powers of tau this setup was made from is not at ${ptauPath}: pass its current place with --ptau FILE`, ptauPath);
  }
  if (!(await exists(zkeyPath))) throw new ArtifactError('ARTIFACT_MISSING', `proving key not found: ${zkeyPath}`, zkeyPath);
  const { sha256: ptauHash } = await hashPtau(ptauPath);
  const keysRecorded = await requireStage(dir, manifest, 'setup').then(
    () => true,
    () => false,
  );

  let contributions: CeremonyContribution[] = [];
  let circuitHash = '';
  let verdict: { valid: boolean; reason?: string };
  try {
    ({ contributions, circuitHash } = await readZkeyContributions(zkeyPath));
    options.onProgress?.({ step: 'ceremony', message: 'recomputing the initial key and checking every contribution' });
    verdict = await verifyZkey(artifactPath(dir, FILES.r1cs), ptauPath, zkeyPath);
    // A transcript can be consistent and still have nobody's secret in it.
    const missing = verdict.valid ? await missingContributionReason(zkeyPath) : undefined;
    if (missing) verdict = { valid: false, reason: missing };
  } catch (error) {
    if (!(error instanceof ArtifactError) || error.code !== 'ARTIFACT_INVALID') throw error;
    verdict = { valid: false, reason: error.message };
  }
  if (!verdict.valid && ptauHash !== settings.ptau!.sha256) {
    verdict.reason = `${verdict.reason}; note: ${ptauPath} is not the powers of tau recorded for this setup (sha256 ${ptauHash.slice(0, 16)}…, recorded ${settings.ptau!.sha256.slice(0, 16)}…)`;
  }
  let verificationKeyMatches: boolean | undefined;
  if (verdict.valid) {
    const exported = await withBn128(() => snarkjs.zKey.exportVerificationKey(zkeyPath));
    const vkPath = artifactPath(dir, FILES.vk);
    verificationKeyMatches = (await exists(vkPath)) && JSON.stringify(await readJson(vkPath, 'verification key')) === JSON.stringify(exported);
    if (!verificationKeyMatches) verdict = { valid: false, reason: `${vkPath} is not the verification key of this proving key` };
  }
  return {
    valid: verdict.valid,
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    circuitHash,
    contributions,
    ptau: { path: ptauPath, sha256: ptauHash, recorded: ptauHash === settings.ptau!.sha256 },
    ...(verificationKeyMatches !== undefined ? { verificationKeyMatches } : {}),
    keysRecorded,
  };
}

/** The setup's settings, if it was made from a ptau; a development setup cannot take part in a ceremony. */
function ptauSettings(dir: string, manifest: Manifest): SetupSettings {
  const record = manifest.stages.setup;
  if (!record) throw new ArtifactError('ARTIFACT_MISSING', `${dir} has no keys yet: run \`zkinfer setup ${dir} --ptau FILE\` first`, dir);
  const settings = record.settings as Partial<SetupSettings>;
  if (settings.mode === 'ptau' && (!settings.ptau?.sha256 || !settings.ptau.file)) {
    throw new ArtifactError('ARTIFACT_INVALID', `${dir}'s manifest records a setup from a powers of tau but not which one: run \`zkinfer setup ${dir} --ptau FILE --force\``, dir);
  }
  if (settings.mode !== 'ptau') {
    if (settings.mode !== 'development') {
      throw new ArtifactError('ARTIFACT_STALE', `${dir}'s keys were made by an older zkinfer that did not record their powers of tau: run \`zkinfer setup ${dir} --ptau FILE --force\``, dir);
    }
    throw new ZkinferError(
      'USAGE',
      `${dir} has development keys, made without a powers of tau: a ceremony needs the phase-1 file to be verified against. Run \`zkinfer setup ${dir} --ptau FILE\` (e.g. a public ceremony's powersOfTau28_hez_final_NN.ptau) first`,
      { details: { dir, mode: settings.mode ?? 'unknown' } },
    );
  }
  return settings as SetupSettings;
}

/** Apply one ceremony step to the folder's key: new key and verification key replace the old pair together. */
async function replaceKeys(dir: string, onProgress: OnProgress | undefined, step: (from: string, to: string) => Promise<void>): Promise<CeremonyStepResult> {
  const manifest = await openArtifacts(dir, ['compile', 'setup']);
  const settings = ptauSettings(dir, manifest);
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const vkPath = artifactPath(dir, FILES.vk);
  const before = await sha256File(zkeyPath);
  return withTempDir(path.dirname(zkeyPath), async (tmp) => {
    const keyTemp = path.join(tmp, 'key.zkey');
    const vkTemp = path.join(tmp, 'vk.json');
    await step(zkeyPath, keyTemp);
    const vkText = JSON.stringify(await withBn128(() => snarkjs.zKey.exportVerificationKey(keyTemp)), null, 2) + '\n';
    await fs.writeFile(vkTemp, vkText);
    // Someone else changing the key meanwhile would lose their contribution or ours: refuse.
    if ((await sha256File(zkeyPath)) !== before) throw new ArtifactError('ARTIFACT_STALE', `${zkeyPath} changed while this contribution was computed: run it again`, zkeyPath);
    await moveIntoPlace(keyTemp, zkeyPath);
    await moveIntoPlace(vkTemp, vkPath);
    const { circuitHash, contributions } = await readZkeyContributions(zkeyPath);
    onProgress?.({ step: 'ceremony', message: 'keys replaced' });
    await recordSetup(dir, manifest, settings, { circuitHash });
    return { added: contributions.at(-1)!, contributions, vkHash: sha256(vkText) };
  });
}
