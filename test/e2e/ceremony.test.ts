/**
 * The production setup and the phase-2 ceremony through the CLI, as a ceremony's parties run it:
 * `setup --ptau`, two contributions and a beacon, `ceremony verify` accepting the transcript and
 * rejecting a tampered key; keys made from another ptau are not reused; development keys and
 * misnamed public ceremony files are refused with reasons. A key without a phase-2 contribution
 * (δ = γ: anyone can forge proofs) is INVALID for `ceremony verify` and refused by `deploy`.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as snarkjs from 'snarkjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileStep } from '../../pipeline/compile.js';
import { FILES, readManifest } from '../../pipeline/manifest.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { recordSetup, type SetupSettings, setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import { withBn128 } from '../../prover/curve.js';
import { ensureDevPtau } from '../../prover/setup/ptau.js';
import type { Groth16Proof } from '../../prover/groth16.js';
import { type VerificationKey, verifyGroth16 } from '../../prover/verify.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { zkinfer } from '../helpers/node-script.js';

let modelDir: string;
let work: string;
let dir: string;
let ptau: string;

async function expectOk(...args: string[]): Promise<string> {
  const result = await zkinfer(...args);
  if (result.code !== 0) throw new Error(`zkinfer ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

beforeAll(async () => {
  modelDir = await writeTinyModel(undefined, 5);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-ceremony-'));
  dir = path.join(work, 'artifacts');
  await quantizeStep({ model: modelDir, out: dir });
  await compileStep(dir);
  // A phase-1 file of the ceremony's own, away from the cache (whose files may be regenerated).
  ptau = path.join(work, 'phase1.ptau');
  await fs.copyFile((await ensureDevPtau(10)).path, ptau);
});

describe('zkinfer ceremony', () => {
  it('refuses development keys, saying a ceremony needs a powers of tau', async () => {
    const setup = await setupStep(dir);
    expect(setup).toMatchObject({ mode: 'development', reused: false, security: expect.stringMatching(/^development: single-party/) });
    for (const args of [
      ['contribute', dir, '--name', 'mallory'],
      ['verify', dir],
    ]) {
      const refused = await zkinfer('ceremony', ...args);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/development keys, made without a powers of tau.*zkinfer setup .* --ptau FILE/);
    }
  });

  it('sets up from a ptau, takes two contributions and a beacon, and verifies the transcript', async () => {
    const setup = JSON.parse(await expectOk('setup', dir, '--ptau', ptau, '--json'));
    expect(setup).toMatchObject({ mode: 'ptau', reused: false, contributions: [{ name: 'zkinfer setup', type: 'contribution' }] });
    expect(setup.security).toMatch(/^production: .*not a recognised public ceremony file.*1 contribution$/);

    const alice = JSON.parse(await expectOk('ceremony', 'contribute', dir, '--name', 'alice', '--json'));
    expect(alice.added).toMatchObject({ name: 'alice', type: 'contribution', hash: expect.stringMatching(/^[0-9a-f]{128}$/) });
    expect(await expectOk('ceremony', 'contribute', dir, '--name', 'bob', '--entropy', 'dice: 3 1 6 6 2')).toMatch(/added contribution #3 "bob"/);
    const beacon = JSON.parse(await expectOk('ceremony', 'beacon', dir, '--hash', 'f00dfacecafe0123456789abcdef', '--iterations', '10', '--json'));
    expect(beacon.contributions.map((c: { name: string; type: string }) => `${c.type}:${c.name}`)).toEqual([
      'contribution:zkinfer setup',
      'contribution:alice',
      'contribution:bob',
      'beacon:final beacon',
    ]);

    const verified = await zkinfer('ceremony', 'verify', dir);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^valid\n/);
    expect(verified.stdout).toMatch(/as recorded/);
    for (const c of beacon.contributions) expect(verified.stdout).toContain(c.hash);

    const record = (await readManifest(dir)).stages.setup!;
    expect(record.info.contributions).toEqual(beacon.contributions);
    expect(record.settings).toMatchObject({ mode: 'ptau', ptau: { file: ptau, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), power: 10 } });
    // The final keys prove and verify.
    const { file } = await proveStep(dir, { input: path.join(modelDir, 'input.json') });
    expect((await verifyStep(dir, { proof: file })).valid).toBe(true);
  });

  it('rejects a tampered key (exit 1) and a beacon that is not hexadecimal (exit 2)', async () => {
    const zkey = path.join(dir, 'keys', 'model.zkey');
    const original = await fs.readFile(zkey);
    const bytes = Buffer.from(original);
    // Swap the first two points of the C section (8): still well-formed, no longer the circuit's.
    let at = 12;
    for (let i = 0; i < bytes.readUInt32LE(8); i++) {
      const size = Number(bytes.readBigUInt64LE(at + 4));
      if (bytes.readUInt32LE(at) === 8) {
        const first = Buffer.from(bytes.subarray(at + 12, at + 76));
        bytes.copy(bytes, at + 12, at + 76, at + 140);
        first.copy(bytes, at + 76);
      }
      at += 12 + size;
    }
    await fs.writeFile(zkey, bytes);
    try {
      const verdict = await zkinfer('ceremony', 'verify', dir);
      expect(verdict.code).toBe(1);
      expect(verdict.stdout).toMatch(/^INVALID\n {2}\S/);
      expect(verdict.stdout).toMatch(/not the ones the manifest records/);
    } finally {
      await fs.writeFile(zkey, original);
    }
    const badBeacon = await zkinfer('ceremony', 'beacon', dir, '--hash', 'not-hex');
    expect(badBeacon.code).toBe(2);
    expect(badBeacon.stderr).toMatch(/hexadecimal/);
  });

  it('keeps keys made from the same ptau, and makes new ones for another ptau', async () => {
    expect(await expectOk('setup', dir, '--ptau', ptau)).toMatch(/kept them/);
    expect((await readManifest(dir)).stages.setup!.info.contributions).toHaveLength(4);
    // A plain `setup` keeps production keys, and development ones replace them only when forced.
    expect(JSON.parse(await expectOk('setup', dir, '--json'))).toMatchObject({ mode: 'ptau', reused: true });
    const dev = await zkinfer('setup', dir, '--dev');
    expect(dev.code).toBe(2);
    expect(dev.stderr).toMatch(/has production keys \(from .*phase1\.ptau.*\): replacing them with development keys needs --force/);
    expect((await readManifest(dir)).stages.setup!.info.contributions).toHaveLength(4);
    // Same name, other content: identified by hash, so not silently skipped.
    const other = path.join(path.dirname(ptau), 'other', 'phase1.ptau');
    await fs.mkdir(path.dirname(other));
    await fs.writeFile(other, Buffer.concat([await fs.readFile(ptau), Buffer.from('another file')]));
    const setup = JSON.parse(await expectOk('setup', dir, '--ptau', other, '--json'));
    expect(setup).toMatchObject({ mode: 'ptau', reused: false });
    expect(setup.contributions).toHaveLength(1);
    expect((await readManifest(dir)).stages.setup!.settings).toMatchObject({ ptau: { file: other } });
  });

  it('calls a key without a phase-2 contribution INVALID and deploys it only when told to, until someone contributes', async () => {
    const own = path.join(work, 'uncontributed');
    await fs.cp(dir, own, { recursive: true });
    await setupStep(own, { ptau, force: true });
    // The key straight from the powers of tau (snarkjs zkey new: δ = γ = the G2 generator), with a
    // manifest that records it, as a ceremony's coordinator could hand it over.
    const zkey = path.join(own, FILES.zkey);
    await withBn128(() => snarkjs.zKey.newZKey(path.join(own, FILES.r1cs), ptau, zkey));
    const vk = (await withBn128(() => snarkjs.zKey.exportVerificationKey(zkey))) as VerificationKey;
    await fs.writeFile(path.join(own, FILES.vk), JSON.stringify(vk, null, 2) + '\n');
    const manifest = await readManifest(own);
    const record = await recordSetup(own, manifest, manifest.stages.setup!.settings as unknown as SetupSettings, { circuitHash: '' });
    expect(record.info.contributions).toEqual([]);
    expect(record.info.security).toMatch(/^production, not ready: needs at least one contribution/);

    // The attack: with δ = γ, A = α, B = β, C = −(IC₀ + Σ xᵢ·ICᵢ) verifies for any public signals.
    const anySignals = Array.from({ length: vk.nPublic }, (_, i) => String(1000 + i));
    expect(await verifyGroth16(vk, anySignals, await forgeProof(vk, anySignals))).toBe(true);

    const verdict = await zkinfer('ceremony', 'verify', own);
    expect(verdict.code).toBe(1);
    expect(verdict.stdout).toMatch(/^INVALID\n {2}\S*model\.zkey has no phase-2 contribution: its δ is the G2 generator \(δ = γ\), so anyone can forge a proof of any public signals/);
    await expectOk('export-verifier', own);
    const refused = await zkinfer('deploy', own);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/refusing to deploy: .*has no phase-2 contribution.*zkinfer ceremony contribute .*--allow-uncontributed-key/);
    const forced = await zkinfer('deploy', own, '--allow-uncontributed-key');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: deployed anyway \(--allow-uncontributed-key\): .*no phase-2 contribution/);

    // One contribution: verify and deploy pass, and the forgery no longer verifies.
    await expectOk('ceremony', 'contribute', own, '--name', 'carol');
    expect((await readManifest(own)).stages.setup!.info.security).toMatch(/^production: .*1 contribution$/);
    const verified = await zkinfer('ceremony', 'verify', own);
    expect(verified.code, verified.stdout).toBe(0);
    await expectOk('export-verifier', own);
    const deployed = await zkinfer('deploy', own);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).not.toMatch(/warning/);
    const contributed = JSON.parse(await fs.readFile(path.join(own, FILES.vk), 'utf8')) as VerificationKey;
    expect(await verifyGroth16(contributed, anySignals, await forgeProof(contributed, anySignals))).toBe(false);
  });

  it('refuses a file named like a public ceremony file whose hash is not the published one', async () => {
    const named = path.join(path.dirname(ptau), 'powersOfTau28_hez_final_10.ptau');
    await fs.copyFile(ptau, named);
    const refused = await zkinfer('setup', dir, '--ptau', named);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/named like the public ceremony file powersOfTau28_hez_final_10\.ptau, but its blake2b-512 hash is not the published one/);
  });
});

/** The forgery a key with δ = γ admits: A = α₁, B = β₂, C = −(IC₀ + Σ xᵢ·ICᵢ), so e(A,B) = e(α,β)·e(IC(x),γ)·e(C,δ). */
function forgeProof(vk: VerificationKey, publicSignals: string[]): Promise<Groth16Proof> {
  return withBn128(async (curve) => {
    const { G1, Fr } = curve as unknown as { G1: Group; Fr: { e(value: bigint): Uint8Array } };
    const point = (xyz: unknown) => G1.fromObject((xyz as string[]).map(BigInt));
    let ic = point(vk.IC[0]);
    publicSignals.forEach((x, i) => (ic = G1.add(ic, G1.timesFr(point(vk.IC[i + 1]), Fr.e(BigInt(x))))));
    const c = G1.toObject(G1.toAffine(G1.neg(ic))).map(String);
    return { pi_a: vk.vk_alpha_1, pi_b: vk.vk_beta_2, pi_c: c, protocol: 'groth16', curve: 'bn128' } as unknown as Groth16Proof;
  });
}

interface Group {
  fromObject(xyz: bigint[]): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  timesFr(point: Uint8Array, scalar: Uint8Array): Uint8Array;
  neg(point: Uint8Array): Uint8Array;
  toAffine(point: Uint8Array): Uint8Array;
  toObject(point: Uint8Array): bigint[];
}
