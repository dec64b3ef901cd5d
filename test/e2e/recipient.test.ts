/**
 * Recipient-bound proofs (`zkinfer compile --recipient public`): the front-running fix. A proof
 * names the address a contract may pay as a public signal the circuit constrains, so a copy of a
 * pending claim with that signal changed to the copier's address does not verify. Also: prove
 * takes the recipient from the input or --recipient and refuses it missing, extra or malformed;
 * verify shows it and checks it.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as snarkjs from 'snarkjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../core/files.js';
import { readCircuit } from '../../pipeline/artifacts.js';
import { compileStep } from '../../pipeline/compile.js';
import { FILES, readManifest } from '../../pipeline/manifest.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import type { VerificationKey } from '../../prover/verify.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { runCli, type ScriptResult } from '../helpers/node-script.js';

/** EIP-55's own examples: one checksummed, one all lowercase. */
const A = '0x52908400098527886E0F7030069857D2E4169EE7';
const B = '0xde709f2102306220921060314715629080e2fb77';

let tmp: string;
let bound: string;
let plain: string;
let values: number[];

const inputFile = async (name: string, document: Record<string, unknown>) => {
  const file = path.join(tmp, name);
  await fs.writeFile(file, JSON.stringify({ input: values, ...document }));
  return file;
};

async function zkinfer(...args: string[]): Promise<ScriptResult> {
  const result = await runCli(args, { timeoutMs: 300_000 });
  expect(result.timedOut).toBe(false);
  return result;
}

beforeAll(async () => {
  const model = await writeTinyModel(undefined, 41);
  values = (JSON.parse(await fs.readFile(path.join(model, 'input.json'), 'utf8')) as { input: number[] }).input;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-recipient-'));
  const quantized = path.join(tmp, 'quantized');
  await quantizeStep({ model, out: quantized });
  bound = path.join(tmp, 'bound');
  plain = path.join(tmp, 'plain');
  for (const [dir, visibility] of [[bound, { recipient: 'public' as const }], [plain, {}]] as const) {
    await fs.cp(quantized, dir, { recursive: true });
    await compileStep(dir, { visibility });
    await setupStep(dir);
  }
});

describe('a circuit compiled with --recipient public', () => {
  it('records the setting in the manifest and shows the recipient as the last public signal', async () => {
    const manifest = await readManifest(bound);
    expect(manifest.stages.compile?.settings.visibility).toEqual({ input: 'hashed', output: 'public', params: 'fixed', recipient: 'public' });
    const { layout } = await readCircuit(bound, manifest);
    expect(layout.names.at(-1)).toBe('recipient');
    expect(layout.recipient).toBe(layout.names.length - 1);
    // The default is unchanged: no recipient, nothing recorded.
    const { layout: plainLayout } = await readCircuit(plain, await readManifest(plain));
    expect(plainLayout.recipient).toBeUndefined();
    expect(plainLayout.names).toEqual(layout.names.slice(0, -1));
  });

  it('a proof bound to one address does not verify for another (snarkjs verifier, zkinfer verify)', async () => {
    const proved = await proveStep(bound, { input: await inputFile('for-a.json', { recipient: A }), out: path.join(tmp, 'a.json') });
    const { layout } = await readCircuit(bound, await readManifest(bound));
    const signals = proved.bundle.publicSignals;
    expect(signals[layout.recipient!]).toBe(BigInt(A).toString());
    expect(proved.bundle.outputs.recipient).toBe(A.toLowerCase());

    // A front-runner copies the claim and puts their own address in the public signals.
    const vk = (await readJson(path.join(bound, FILES.vk), 'verification key')) as VerificationKey;
    expect(await snarkjs.groth16.verify(vk, signals, proved.bundle.proof)).toBe(true);
    const stolen = signals.map((s, i) => (i === layout.recipient ? BigInt(B).toString() : s));
    expect(await snarkjs.groth16.verify(vk, stolen, proved.bundle.proof)).toBe(false);
    await fs.writeFile(path.join(tmp, 'stolen.json'), JSON.stringify({ ...proved.bundle, publicSignals: stolen }));
    expect(await verifyStep(bound, { proof: path.join(tmp, 'stolen.json') })).toMatchObject({ valid: false, proofValid: false });

    // zkinfer verify --recipient checks whom the proof names; the input file's recipient counts too.
    expect(await verifyStep(bound, { proof: proved.file, recipient: A.toLowerCase() })).toMatchObject({ valid: true, recipientMatches: true });
    expect(await verifyStep(bound, { proof: proved.file, recipient: B })).toMatchObject({ valid: false, proofValid: true, recipientMatches: false });
    expect(await verifyStep(bound, { proof: proved.file, input: path.join(tmp, 'for-a.json') })).toMatchObject({ valid: true, inputMatches: true, outputsMatch: true, recipientMatches: true });
    expect(await verifyStep(bound, { proof: proved.file, input: await inputFile('for-b.json', { recipient: B }) })).toMatchObject({ valid: false, recipientMatches: false });
    // Without a recipient to check, the proof verifies and the recipient is shown.
    expect(await verifyStep(bound, { proof: proved.file })).toMatchObject({ valid: true, outputs: { recipient: A.toLowerCase() } });
  });

  it('takes the recipient from --recipient too, and refuses one that contradicts the input’s', async () => {
    const plainInput = await inputFile('plain.json', {});
    const proved = await proveStep(bound, { input: plainInput, recipient: B, out: path.join(tmp, 'b.json') });
    expect(proved.bundle.outputs.recipient).toBe(B);
    await expect(proveStep(bound, { input: await inputFile('a-again.json', { recipient: A }), recipient: B })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/--recipient 0xde70.* is not the recipient that .*a-again\.json names/),
    });
  });

  it('refuses to prove without a recipient, or with one that is no checksummed 20-byte address, writing nothing', async () => {
    const out = path.join(tmp, 'never.json');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /missing\.json: this circuit binds each proof to a recipient/],
      [{ recipient: A.slice(0, 40) }, /recipient must be an Ethereum address, "0x" and 40 hex digits/],
      [{ recipient: `${A}00` }, /recipient must be an Ethereum address/],
      [{ recipient: A.slice(2) }, /recipient must be an Ethereum address/],
      [{ recipient: BigInt(A).toString() }, /recipient must be an Ethereum address/],
      [{ recipient: 42 }, /recipient must be an Ethereum address/],
      [{ recipient: `0x${'g'.repeat(40)}` }, /recipient must be an Ethereum address/],
      [{ recipient: A.replace('E7', 'e7') }, /recipient: 0x5290.* has a wrong checksum/],
    ];
    for (const [k, [document, message]] of cases.entries()) {
      const file = await inputFile(k === 0 ? 'missing.json' : `bad-${k}.json`, document);
      await expect(proveStep(bound, { input: file, out }), JSON.stringify(document)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(message) });
    }
    await expect(proveStep(bound, { input: await inputFile('plain2.json', {}), recipient: '0x1234', out })).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^--recipient must be an Ethereum address/) });
    await expect(fs.stat(out)).rejects.toThrow();
  });
});

describe('a circuit compiled without a recipient', () => {
  it('refuses a recipient at prove and verify time rather than ignore it', async () => {
    await expect(proveStep(plain, { input: await inputFile('plain-a.json', { recipient: A }) })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringMatching(/plain-a\.json: this circuit takes no recipient/),
    });
    await expect(proveStep(plain, { input: await inputFile('plain3.json', {}), recipient: A })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const proved = await proveStep(plain, { input: path.join(tmp, 'plain3.json'), out: path.join(tmp, 'plain-proof.json') });
    expect(proved.bundle.outputs.recipient).toBeUndefined();
    await expect(verifyStep(plain, { proof: proved.file, recipient: A })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/binds its proofs to no recipient/) });
  });
});

describe('the CLI', () => {
  it('prove --recipient, verify --recipient, and the exit codes of a missing or wrong recipient', async () => {
    const input = await inputFile('cli.json', {});
    const proof = path.join(tmp, 'cli-proof.json');
    const missing = await zkinfer('prove', bound, '--input', input, '--out', proof);
    expect(missing.code, missing.stderr).toBe(3);
    expect(missing.stderr).toMatch(/^error: .*cli\.json: this circuit binds each proof to a recipient/);

    const proved = await zkinfer('prove', bound, '--input', input, '--recipient', A, '--out', proof);
    expect(proved.code, proved.stderr).toBe(0);
    expect(proved.stdout).toContain(`recipient: ${A.toLowerCase()}`);
    const verified = await zkinfer('verify', bound, '--proof', proof, '--recipient', A);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/recipient: the proof is bound to 0x5290/);
    const other = await zkinfer('verify', bound, '--proof', proof, '--recipient', B);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/INVALID[\s\S]*recipient: the proof is NOT bound to 0xde70/);
  });

  it('inspect shows the setting and its one constraint; compile refuses an unknown --recipient mode', async () => {
    const inspected = await zkinfer('inspect', bound, '--json');
    expect(inspected.code, inspected.stderr).toBe(0);
    const report = JSON.parse(inspected.stdout) as { visibility: { recipient?: string }; recipientConstraints?: unknown; publicSignals: string[] };
    expect(report.visibility.recipient).toBe('public');
    expect(report.recipientConstraints).toEqual({ planned: 1, measured: 1 });
    expect(report.publicSignals.at(-1)).toBe('recipient');
    const before = await fs.readFile(path.join(plain, 'manifest.json'), 'utf8');
    const bad = await zkinfer('compile', plain, '--recipient', 'private');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/recipient must be one of none, public, found "private"/);
    expect(await fs.readFile(path.join(plain, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('prove --batch takes each line’s recipient, and fails the lines without one', async () => {
    const batch = path.join(tmp, 'batch.jsonl');
    await fs.writeFile(batch, `${JSON.stringify({ input: values, recipient: A })}\n${JSON.stringify({ input: values })}\n`);
    const run = await zkinfer('prove', bound, '--batch', batch, '--out', path.join(tmp, 'batch-proofs'), '--workers', '1', '--json');
    expect(run.code).toBe(3);
    const summary = JSON.parse(run.stdout) as { proved: number; failures: { line: number; reason: string }[] };
    expect(summary.proved).toBe(1);
    expect(summary.failures).toEqual([expect.objectContaining({ line: 2, reason: expect.stringMatching(/batch\.jsonl:2: this circuit binds each proof to a recipient/) })]);
    const refused = await zkinfer('prove', bound, '--batch', batch, '--recipient', A);
    expect(refused.code).toBe(2);
  });
});
