/**
 * The production setup and the phase-2 ceremony through the CLI, as a ceremony's parties run it:
 * `setup --ptau`, two contributions and a beacon, `ceremony verify` accepting the transcript and
 * rejecting a tampered key; keys made from another ptau are not reused; development keys and
 * misnamed public ceremony files are refused with reasons.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileStep } from '../../pipeline/compile.js';
import { readManifest } from '../../pipeline/manifest.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import { ensureDevPtau } from '../../prover/setup/ptau.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { runCli, type ScriptResult } from '../helpers/node-script.js';

let modelDir: string;
let dir: string;
let ptau: string;

async function zkinfer(...args: string[]): Promise<ScriptResult> {
  const result = await runCli(args, { timeoutMs: 300_000 });
  expect(result.timedOut).toBe(false);
  return result;
}

async function expectOk(...args: string[]): Promise<string> {
  const result = await zkinfer(...args);
  if (result.code !== 0) throw new Error(`zkinfer ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

beforeAll(async () => {
  modelDir = await writeTinyModel(undefined, 5);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-ceremony-'));
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

  it('refuses a file named like a public ceremony file whose hash is not the published one', async () => {
    const named = path.join(path.dirname(ptau), 'powersOfTau28_hez_final_10.ptau');
    await fs.copyFile(ptau, named);
    const refused = await zkinfer('setup', dir, '--ptau', named);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/named like the public ceremony file powersOfTau28_hez_final_10\.ptau, but its blake2b-512 hash is not the published one/);
  });
});
