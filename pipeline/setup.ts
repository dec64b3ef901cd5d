/**
 * `zkinfer setup`: the Groth16 proving and verification keys of the compiled circuit, from a
 * powers-of-tau file the user brings (--ptau, e.g. a public ceremony's) or, by default, a local
 * development one (single-party: whoever made it could forge proofs; fine for development only).
 */
import { checkPtauFor, ensureDevPtau, ptauPowerFor } from '../prover/setup/ptau.js';
import { setupGroth16 } from '../prover/setup/groth16.js';
import { snarkjsVersion } from '../prover/snarkjs-package.js';
import type { OnProgress } from '../core/progress.js';
import { artifactPath, openArtifacts } from './artifacts.js';
import { FILES, recordStage } from './manifest.js';

export const DEV_SETUP_WARNING =
  'development setup: the powers of tau were made on this machine by one party; anyone holding its secrets could forge proofs. Use --ptau with a public ceremony file for production.';

export interface SetupStepResult {
  ptau: { path: string; power: number; development: boolean; cached: boolean };
  vkHash: string;
  ms: number;
}

export async function setupStep(dir: string, options: { ptau?: string; onProgress?: OnProgress } = {}): Promise<SetupStepResult> {
  const manifest = await openArtifacts(dir, ['compile']);
  const start = performance.now();
  const r1csPath = artifactPath(dir, FILES.r1cs);
  const power = await ptauPowerFor(r1csPath);
  const progress = options.onProgress ? { onProgress: options.onProgress } : {};
  const ptau = options.ptau
    ? { path: options.ptau, power: (await checkPtauFor(options.ptau, power)).power, development: false, cached: false }
    : { ...(await ensureDevPtau(power, progress)), development: true };
  const { vkHash } = await setupGroth16({ r1csPath, ptauPath: ptau.path, zkeyPath: artifactPath(dir, FILES.zkey), vkPath: artifactPath(dir, FILES.vk), ...progress });
  const ms = performance.now() - start;
  await recordStage(
    dir,
    manifest,
    'setup',
    { inputs: [FILES.r1cs], outputs: [FILES.zkey, FILES.vk] },
    { ptau: ptau.development ? 'development' : ptau.path, ptauPower: ptau.power, requiredPower: power, prover: snarkjsVersion() },
    { vkHash, ms, ...(ptau.development ? { warning: DEV_SETUP_WARNING } : {}) },
  );
  return { ptau, vkHash, ms };
}
