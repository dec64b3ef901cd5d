/**
 * `zkinfer setup`: the Groth16 proving and verification keys of the compiled circuit, either
 *
 * - development (the default, `--dev`): straight from the R1CS in seconds, with secrets this
 *   process draws and forgets. Single party: whoever controlled the machine could forge proofs.
 * - production (`--ptau FILE`): from a prepared phase-1 file, ideally a public ceremony's (checked
 *   against its published hash), plus one random phase-2 contribution; `zkinfer ceremony` then
 *   lets more parties contribute and anyone verify the transcript.
 *
 * Keys are reused when they are current: made from this R1CS, in the same mode, from a ptau with
 * the same content (sha256); without `dev` or `ptau`, current production keys are kept too.
 * Anything else (another circuit, another ptau, a tampered key) makes new keys; `force` always
 * does. Production keys are never silently replaced by development ones: that needs `force`.
 */
import * as path from 'node:path';
import { ZkinferError } from '../core/errors.js';
import type { OnProgress } from '../core/progress.js';
import { devSetup } from '../prover/setup/dev-setup.js';
import { setupGroth16 } from '../prover/setup/groth16.js';
import { missingContributionReason, readZkeyContributions } from '../prover/setup/ceremony.js';
import { checkProductionPtau, ptauPowerFor } from '../prover/setup/ptau.js';
import { domainPower } from '../prover/setup/qap.js';
import { readRawR1cs } from '../prover/setup/r1cs-raw.js';
import { snarkjsVersion } from '../prover/snarkjs-package.js';
import { artifactPath, openArtifacts } from './artifacts.js';
import { FILES, type Manifest, type StageRecord, recordStage, stageStatus } from './manifest.js';

export const DEV_SETUP_WARNING =
  'development setup: single-party Groth16 keys, made on this machine from secrets it drew and then discarded; whoever controlled this machine while it ran could forge proofs. For production, run `zkinfer setup DIR --ptau FILE` with a public ceremony file, then `zkinfer ceremony contribute`.';

export type SetupMode = 'development' | 'ptau';

export interface SetupStepOptions {
  /** A prepared phase-1 file: a production setup. Without it (or with `dev`), a development one. */
  ptau?: string;
  dev?: boolean;
  /** Make new keys even if the current ones fit. */
  force?: boolean;
  onProgress?: OnProgress;
}

/** What a folder's setup is, as recorded in its manifest (settings and info of the setup stage). */
export interface SetupSettings {
  mode: SetupMode;
  /** The evaluation domain is 2^domainPower rows. */
  domainPower: number;
  ptau?: { file: string; sha256: string; power: number; publicCeremony?: string };
  prover: string;
}

export interface SetupContribution {
  name: string;
  /** blake2b-512 (hex) of the contribution's public key, as snarkjs prints it. */
  hash: string;
  type: 'contribution' | 'beacon';
}

export interface SetupStepResult {
  mode: SetupMode;
  /** True if the current keys fitted and were kept. */
  reused: boolean;
  /** 'development: …' or 'production: …', as recorded in the manifest. */
  security: string;
  domainPower: number;
  /** For callers written before development setups needed no ptau: `development` is the mode, `cached` whether keys were reused. */
  ptau: { path: string; power: number; development: boolean; cached: boolean; publicCeremony?: string };
  circuitHash: string;
  contributions: SetupContribution[];
  vkHash: string;
  ms: number;
}

export async function setupStep(dir: string, options: SetupStepOptions = {}): Promise<SetupStepResult> {
  if (options.dev && options.ptau) throw new ZkinferError('USAGE', 'choose either --dev or --ptau FILE, not both');
  const manifest = await openArtifacts(dir, ['compile']);
  const start = performance.now();
  const r1csPath = artifactPath(dir, FILES.r1cs);
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const vkPath = artifactPath(dir, FILES.vk);
  const progress = options.onProgress ? { onProgress: options.onProgress } : {};
  const r1cs = await readRawR1cs(r1csPath);
  const power = domainPower(r1cs.nConstraints, r1cs.nPublic);

  const ptau = options.ptau ? await checkProductionPtau(path.resolve(options.ptau), await ptauPowerFor(r1csPath), progress) : undefined;
  const settings: SetupSettings = {
    mode: ptau ? 'ptau' : 'development',
    domainPower: power,
    ...(ptau ? { ptau: { file: ptau.path, sha256: ptau.sha256, power: ptau.power, ...(ptau.publicCeremony ? { publicCeremony: ptau.publicCeremony } : {}) } } : {}),
    prover: snarkjsVersion(),
  };

  const previous = manifest.stages.setup;
  if (!options.force && previous && (await stageStatus(dir, manifest, 'setup')).status === 'ok') {
    const had = previous.settings as Partial<SetupSettings>;
    const explicit = options.dev || options.ptau;
    // Without --dev or --ptau, current keys of either kind are what the caller wants.
    if (fits(previous, settings) || (!explicit && had.mode === 'ptau' && had.domainPower === power)) {
      return resultOf(previous, had as SetupSettings, true, performance.now() - start);
    }
    if (!ptau && had.mode === 'ptau') {
      throw new ZkinferError(
        'USAGE',
        `${dir} has production keys (from ${had.ptau?.file ?? 'a powers of tau'}, with their ceremony's contributions): replacing them with development keys needs --force`,
        { details: { dir } },
      );
    }
  }

  let circuitHash: string;
  if (ptau) {
    await setupGroth16({ r1csPath, ptauPath: ptau.path, zkeyPath, vkPath, ...progress });
    circuitHash = (await readZkeyContributions(zkeyPath)).circuitHash;
  } else {
    circuitHash = (await devSetup({ r1csPath, zkeyPath, vkPath, ...progress })).circuitHash;
  }
  const record = await recordSetup(dir, manifest, settings, { circuitHash, ms: performance.now() - start });
  return resultOf(record, settings, false, performance.now() - start);
}

/** Same mode, and for a ptau the same content: the recorded keys were made the way this call asks. */
function fits(record: StageRecord, wanted: SetupSettings): boolean {
  const had = record.settings as Partial<SetupSettings>;
  if (had.mode !== wanted.mode || had.domainPower !== wanted.domainPower) return false;
  return wanted.mode === 'development' || had.ptau?.sha256 === wanted.ptau?.sha256;
}

/**
 * Record the setup stage for the keys now in the folder: hashes, how they were made, their
 * security status and their phase-2 contributions (read back from the key itself). The ceremony
 * steps call this too, after replacing the keys.
 */
export async function recordSetup(dir: string, manifest: Manifest, settings: SetupSettings, extra: { circuitHash: string; ms?: number }): Promise<StageRecord> {
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const { contributions } = await readZkeyContributions(zkeyPath);
  const development = settings.mode === 'development';
  const ready = (await missingContributionReason(zkeyPath)) === undefined;
  return recordStage(dir, manifest, 'setup', { inputs: [FILES.r1cs], outputs: [FILES.zkey, FILES.vk] }, { ...settings }, {
    security: securityOf(settings, contributions.length, ready),
    ...(development ? { warning: DEV_SETUP_WARNING } : {}),
    circuitHash: extra.circuitHash,
    contributions,
    ...(extra.ms !== undefined ? { ms: extra.ms } : {}),
  });
}

/** `ready`: the key has a phase-2 contribution made with secret randomness (see missingContributionReason). */
function securityOf(settings: SetupSettings, contributions: number, ready: boolean): string {
  if (settings.mode === 'development') return 'development: single-party keys made on one machine; not for production';
  const phase1 = settings.ptau?.publicCeremony ? `public ceremony ${settings.ptau.publicCeremony} (published hash checked)` : `ptau ${settings.ptau?.file} (not a recognised public ceremony file)`;
  const status = ready ? 'production' : 'production, not ready: needs at least one contribution (anyone can forge proofs until then)';
  return `${status}: phase 1 from ${phase1}; phase 2 with ${contributions} contribution${contributions === 1 ? '' : 's'}`;
}

function resultOf(record: StageRecord, settings: SetupSettings, reused: boolean, ms: number): SetupStepResult {
  const info = record.info as { security?: string; circuitHash?: string; contributions?: SetupContribution[] };
  const development = settings.mode === 'development';
  return {
    mode: settings.mode,
    reused,
    security: info.security ?? securityOf(settings, info.contributions?.length ?? 0, info.contributions?.some((c) => c.type === 'contribution') ?? false),
    domainPower: settings.domainPower,
    ptau: {
      path: settings.ptau?.file ?? '',
      power: settings.ptau?.power ?? settings.domainPower,
      development,
      cached: reused,
      ...(settings.ptau?.publicCeremony ? { publicCeremony: settings.ptau.publicCeremony } : {}),
    },
    circuitHash: info.circuitHash ?? '',
    contributions: info.contributions ?? [],
    vkHash: record.outputs[FILES.vk]!,
    ms,
  };
}
