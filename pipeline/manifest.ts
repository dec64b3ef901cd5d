/**
 * The artifacts folder of one model and its manifest.json: which step wrote which file, from
 * which inputs (by SHA-256), with which settings and tool versions. Each step checks, before it
 * reads anything, that the files it needs are exactly those their producing step wrote and that
 * every step upstream is still current; a stale or tampered file is refused with the command that
 * remakes it. Each file, and the manifest, is replaced atomically.
 */
import * as path from 'node:path';
import { ArtifactError, quoted } from '../core/errors.js';
import { exists, readJson, sha256File, writeJsonAtomic } from '../core/files.js';
import { packageVersion } from '../core/paths.js';

export const MANIFEST_FORMAT = 'zkinfer-artifacts/1';

/** The steps that write into an artifacts folder, each after the ones it reads from. */
export const STAGES = ['quantize', 'compile', 'setup', 'export-verifier'] as const;
export type StageName = (typeof STAGES)[number];

/** Paths (relative to the artifacts folder) of the files each step writes. */
export const FILES = {
  qmodel: 'qmodel.json',
  circom: 'circuit/model.circom',
  r1cs: 'circuit/model.r1cs',
  wasm: 'circuit/model.wasm',
  directWitness: 'circuit/model.witness.bin',
  /** The direct path's first witness generator (the model; see circuits/witness.ts), which folders compiled before model.witness.bin still hold. */
  directWitnessV1: 'circuit/model.witness.json',
  sym: 'circuit/model.sym',
  zkey: 'keys/model.zkey',
  vk: 'keys/verification_key.json',
  verifierSol: 'contracts/Groth16Verifier.sol',
  verifierJson: 'contracts/Groth16Verifier.json',
} as const;

/** Which compiler made a folder's R1CS and witness generator (the compile stage's settings.backend; absent: circom). */
export type CompileBackend = 'circom' | 'direct';

/** The witness generator each backend writes: circom's WebAssembly program, or the direct path's description. */
export function witnessGeneratorFile(backend: CompileBackend): string {
  return backend === 'direct' ? FILES.directWitness : FILES.wasm;
}

/** The backend a manifest's compile stage records; ARTIFACT_INVALID for one this version does not know. */
export function compiledBackend(dir: string, manifest: Manifest): CompileBackend {
  const backend = manifest.stages.compile?.settings.backend ?? 'circom';
  if (backend !== 'circom' && backend !== 'direct') {
    throw new ArtifactError('ARTIFACT_INVALID', `${manifestPath(dir)}: stages.compile.settings.backend must be 'circom' or 'direct', found ${quoted(backend)}: run \`zkinfer compile ${dir}\` again`, manifestPath(dir));
  }
  return backend;
}

/** The path of the folder's witness generator, as its compile stage recorded it. */
export function witnessGeneratorPath(dir: string, manifest: Manifest): string {
  const backend = compiledBackend(dir, manifest);
  if (backend === 'direct' && manifest.stages.compile?.outputs[FILES.directWitnessV1] !== undefined) return path.join(dir, FILES.directWitnessV1);
  return path.join(dir, witnessGeneratorFile(backend));
}

export interface StageRecord {
  at: string;
  tool: string;
  /** Files read (relative path → sha256); each must be some upstream stage's output. */
  inputs: Record<string, string>;
  /** Files written (relative path → sha256). */
  outputs: Record<string, string>;
  settings: Record<string, unknown>;
  info: Record<string, unknown>;
}

export interface DeploymentRecord {
  chainId: string;
  rpc: string;
  /** The verifier contract's address. */
  address: string;
  txHash: string;
  /** Hash of the verifier contract JSON that was deployed. */
  verifier: string;
  /** The InferenceRegistry the model is registered in, and its id there. */
  registry?: string;
  modelId?: string;
  at: string;
}

/** The latest deployment on a chain that matches, if any. */
export function latestDeployment(manifest: Manifest, matches: (d: DeploymentRecord) => boolean): DeploymentRecord | undefined {
  return [...manifest.deployments].reverse().find(matches);
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  model: { name: string; source: string; sourceHash: string };
  stages: Partial<Record<StageName, StageRecord>>;
  deployments: DeploymentRecord[];
}

const NEXT_COMMAND: Record<StageName, string> = {
  quantize: 'zkinfer quantize MODEL --out DIR',
  compile: 'zkinfer compile DIR',
  setup: 'zkinfer setup DIR',
  'export-verifier': 'zkinfer export-verifier DIR',
};

export function manifestPath(dir: string): string {
  return path.join(dir, 'manifest.json');
}

function commandFor(stage: StageName, dir: string): string {
  return NEXT_COMMAND[stage].replace('DIR', dir);
}

function checkManifest(value: unknown, file: string): Manifest {
  const m = value as Manifest;
  const fail = (what: string): never => {
    throw new ArtifactError('ARTIFACT_INVALID', `${file}: ${what}`, file);
  };
  if (typeof m !== 'object' || m === null) fail('not a manifest object');
  if (m.format !== MANIFEST_FORMAT) fail(`format must be '${MANIFEST_FORMAT}', found ${quoted(m.format)}`);
  if (typeof m.model?.name !== 'string' || typeof m.model.sourceHash !== 'string') fail('model must name its source');
  if (typeof m.stages !== 'object' || m.stages === null || Array.isArray(m.stages)) fail('stages must be an object');
  for (const [name, record] of Object.entries(m.stages)) {
    if (!(STAGES as readonly string[]).includes(name)) fail(`unknown stage '${name}'`);
    for (const key of ['inputs', 'outputs'] as const) {
      const files = record?.[key];
      if (typeof files !== 'object' || files === null) fail(`stages.${name}.${key} must be an object`);
      for (const [rel, hash] of Object.entries(files)) {
        if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(`stages.${name}.${key}['${rel}'] must be a sha256`);
        if (path.isAbsolute(rel) || rel.split('/').includes('..')) fail(`stages.${name}.${key}: '${rel}' must stay inside the folder`);
      }
    }
  }
  for (const [name, record] of Object.entries(m.stages)) {
    if (typeof record.at !== 'string' || typeof record.tool !== 'string') fail(`stages.${name} must say when and with what it ran (at, tool)`);
    for (const key of ['settings', 'info'] as const) {
      if (typeof record[key] !== 'object' || record[key] === null || Array.isArray(record[key])) fail(`stages.${name}.${key} must be an object`);
    }
  }
  if (!Array.isArray(m.deployments)) fail('deployments must be an array');
  m.deployments.forEach((d, i) => {
    const fields = ['chainId', 'rpc', 'address', 'txHash', 'verifier', 'at'] as const;
    if (typeof d !== 'object' || d === null || fields.some((f) => typeof d[f] !== 'string')) fail(`deployments[${i}] must have ${fields.join(', ')} as strings`);
  });
  return m;
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = manifestPath(dir);
  if (!(await exists(file))) {
    throw new ArtifactError('ARTIFACT_MISSING', `${dir} is not a zkinfer artifacts folder (no manifest.json): start with \`zkinfer quantize MODEL --out ${dir}\``, file);
  }
  return checkManifest(await readJson(file, 'manifest'), file);
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeJsonAtomic(manifestPath(dir), manifest);
}

/** The stage that wrote a file, per the manifest. */
function producerOf(manifest: Manifest, rel: string): StageName | undefined {
  return STAGES.find((s) => manifest.stages[s]?.outputs[rel] !== undefined);
}

/**
 * Check that `stage` has run, that its outputs are on disk unchanged, and that everything it was
 * made from is still current (recursively upstream). Returns its record.
 */
export async function requireStage(dir: string, manifest: Manifest, stage: StageName, seen = new Set<StageName>()): Promise<StageRecord> {
  const record = manifest.stages[stage];
  if (!record) {
    throw new ArtifactError('ARTIFACT_MISSING', `${dir} has no ${stage} output yet: run \`${commandFor(stage, dir)}\``, dir);
  }
  if (seen.has(stage)) return record;
  seen.add(stage);
  for (const [rel, hash] of Object.entries(record.outputs)) {
    const file = path.join(dir, rel);
    if (!(await exists(file))) {
      throw new ArtifactError('ARTIFACT_MISSING', `${file} is missing: run \`${commandFor(stage, dir)}\` again`, file);
    }
    if ((await sha256File(file)) !== hash) {
      throw new ArtifactError('ARTIFACT_STALE', `${file} has changed since \`zkinfer ${stage}\` wrote it: run \`${commandFor(stage, dir)}\` again`, file);
    }
  }
  for (const [rel, hash] of Object.entries(record.inputs)) {
    const producer = producerOf(manifest, rel);
    if (!producer) continue; // an input from outside the folder (a model file, a ptau): recorded, not owned
    const upstream = await requireStage(dir, manifest, producer, seen);
    if (upstream.outputs[rel] !== hash) {
      throw new ArtifactError(
        'ARTIFACT_STALE',
        `the ${stage} output was made from an older ${rel} (rewritten by \`zkinfer ${producer}\` since): run \`${commandFor(stage, dir)}\` again`,
        path.join(dir, rel),
      );
    }
  }
  return record;
}

/** Whether a stage's outputs are current, for `inspect`: 'missing', 'stale' (with why) or 'ok'. */
export async function stageStatus(dir: string, manifest: Manifest, stage: StageName): Promise<{ status: 'ok' | 'stale' | 'missing'; reason?: string }> {
  if (!manifest.stages[stage]) return { status: 'missing' };
  try {
    await requireStage(dir, manifest, stage);
    return { status: 'ok' };
  } catch (error) {
    if (error instanceof ArtifactError) return { status: 'stale', reason: error.message };
    throw error;
  }
}

/** Hash the files a stage read and wrote, and record them (with its settings) in the manifest. */
export async function recordStage(
  dir: string,
  manifest: Manifest,
  stage: StageName,
  files: { inputs: string[]; outputs: string[] },
  settings: Record<string, unknown>,
  info: Record<string, unknown> = {},
): Promise<StageRecord> {
  const hashes = async (rels: string[]) => Object.fromEntries(await Promise.all(rels.map(async (rel) => [rel, await sha256File(path.join(dir, rel))] as const)));
  const record: StageRecord = {
    at: new Date().toISOString(),
    tool: `zkinfer@${packageVersion()}`,
    inputs: await hashes(files.inputs),
    outputs: await hashes(files.outputs),
    settings,
    info,
  };
  manifest.stages[stage] = record;
  await writeManifest(dir, manifest);
  return record;
}
