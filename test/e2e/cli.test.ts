/**
 * The zkinfer command end to end on a small model, as users run it: every verb, a proof verified
 * off-chain and on Hardhat's in-process network, tampered proofs refused by both, and bad inputs,
 * stale and tampered artifacts refused with clear errors and the documented exit codes.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { zkinfer } from '../helpers/node-script.js';

let modelDir: string;
let dir: string;
let proof: string;

async function expectOk(...args: string[]): Promise<string> {
  const result = await zkinfer(...args);
  if (result.code !== 0) throw new Error(`zkinfer ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** A copy of the proof file with `edit` applied. */
async function editedProof(name: string, edit: (bundle: any) => void): Promise<string> {
  const bundle = JSON.parse(await fs.readFile(proof, 'utf8'));
  edit(bundle);
  const file = path.join(dir, name);
  await fs.writeFile(file, JSON.stringify(bundle));
  return file;
}

beforeAll(async () => {
  modelDir = await writeTinyModel();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-e2e-'));
  proof = path.join(dir, 'proof.json');
});

describe('zkinfer CLI, step by step', () => {
  it('quantizes, compiles, sets up and proves', async () => {
    expect(await expectOk('quantize', modelDir, '--out', dir)).toMatch(/quantized tiny_mlp.*\n.*8-bit/);
    const compiled = await expectOk('compile', dir, '--json');
    const { constraints, planned, layers, unattributed, cpuMs, ms, estimate } = JSON.parse(compiled);
    expect(constraints).toBe(planned);
    // The default compile is the direct path's (the tiny model is a chain it builds).
    expect(JSON.parse(compiled).backend).toBe('direct');
    // The compiler's CPU time: some, and not more than both cores over the whole compile.
    expect(cpuMs).toBeGreaterThan(0);
    expect(cpuMs).toBeLessThanOrEqual(2 * ms + 100);
    // What circom2's compile is predicted to need, reported either way: a small circuit, far inside its 4 GiB.
    expect(estimate.cpuMs).toBeGreaterThan(0);
    expect(estimate.peakBytes).toBeGreaterThan(0);
    expect(estimate.peakBytes).toBeLessThan(2 ** 30);
    expect(unattributed).toBe(0);
    expect(layers.map((l: { name: string }) => l.name)).toEqual(['dense_1', 'dense_1/rescale', 'dense_2', 'argmax']);
    // The default setup is the development one: seconds, straight from the R1CS, and it says what it is.
    const setup = await zkinfer('setup', dir);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/development keys \(single party\)[\s\S]*verification key sha256 [0-9a-f]{64}/);
    expect(setup.stderr).toMatch(/warning: development setup: single-party/);
    expect(await expectOk('setup', dir)).toMatch(/already has keys for this circuit.*kept them/);
    const proved = await expectOk('prove', dir, '--input', path.join(modelDir, 'input.json'), '--out', proof);
    expect(proved).toMatch(/label: \d \((north|east|south|west)\)/);
    const bundle = JSON.parse(await fs.readFile(proof, 'utf8'));
    expect(bundle.format).toBe('zkinfer-proof/1');
    expect(bundle.publicSignals).toHaveLength(6); // commitment, label, 4 logits
  });

  it('inspects the folder: every layer costs what the cost model says', async () => {
    const report = JSON.parse(await expectOk('inspect', dir, '--json'));
    expect(report.publicSignals).toEqual(['inputCommitment', 'label', 'logits[0]', 'logits[1]', 'logits[2]', 'logits[3]']);
    expect(report.layers.map((l: any) => l.kind)).toEqual(['dense', 'rescale', 'dense', 'argmax']);
    for (const layer of report.layers) expect(layer.measured).toBe(layer.planned);
    expect(report.constraints.measured).toBe(report.constraints.planned);
    expect(Object.values(report.stages).map((s: any) => s.status)).toEqual(['ok', 'ok', 'ok', 'missing']);
    expect(await expectOk('inspect', dir)).toMatch(/rescale .* relu/);
  });

  it('verifies the proof, and checks it against the input it claims', async () => {
    expect(await expectOk('verify', dir, '--proof', proof, '--input', path.join(modelDir, 'input.json'))).toMatch(/^valid\n.*verifies[\s\S]*input: matches/);
    const other = await zkinfer('verify', dir, '--proof', proof, '--input', path.join(modelDir, 'other-input.json'));
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/INVALID[\s\S]*proof: verifies[\s\S]*input: does NOT match/);
  });

  it('answers INVALID (exit 1) for a tampered proof or public signal', async () => {
    const tampered = [
      await editedProof('t1.json', (b) => (b.proof.pi_c[1] = ((BigInt(b.proof.pi_c[1]) + 1n) % BASE_FIELD_MODULUS).toString())),
      await editedProof('t2.json', (b) => (b.publicSignals[1] = String((Number(b.publicSignals[1]) + 1) % 4))),
      await editedProof('t3.json', (b) => (b.publicSignals[5] = (BigInt(b.publicSignals[5]) + 1n).toString())),
    ];
    for (const file of tampered) {
      const result = await zkinfer('verify', dir, '--proof', file);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toMatch(/^INVALID/);
    }
  });

  it('refuses malformed proof files with exit 3 and the field that is wrong', async () => {
    const missing = await zkinfer('verify', dir, '--proof', await editedProof('m1.json', (b) => delete b.proof.pi_a));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/m1\.json.*pi_a/);
    const shape = await zkinfer('verify', dir, '--proof', await editedProof('m2.json', (b) => b.publicSignals.pop()));
    expect(shape.code).toBe(3);
    expect(shape.stderr).toMatch(/publicSignals.*6/);
    const garbage = path.join(dir, 'm3.json');
    await fs.writeFile(garbage, '{"format": "zkinfer-proof/1", ');
    const json = await zkinfer('verify', dir, '--proof', garbage);
    expect(json.code).toBe(3);
    expect(json.stderr).toMatch(/m3\.json is not valid JSON/);
    expect(json.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace without --verbose
  });

  it('exports, deploys and verifies on-chain; a tampered proof is INVALID on-chain', async () => {
    const exported = await expectOk('export-verifier', dir);
    expect(exported).toMatch(/Groth16Verifier\.sol/);
    const codehash = /code hash: (0x[0-9a-f]{64})/.exec(exported)?.[1];
    expect(codehash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await expectOk('deploy', dir)).toMatch(/deployed Groth16Verifier at 0x[0-9a-fA-F]{40} on hardhat \(in-process\).*\d+ gas/);
    const onChain = await expectOk('verify-onchain', dir, '--proof', proof, '--json');
    const { valid, gas, submission } = JSON.parse(onChain);
    expect(valid).toBe(true);
    // The registry read the code hash export-verifier printed from the deployed verifier.
    expect(submission.verifierCodehash).toBe(codehash);
    expect(Number(gas)).toBeGreaterThan(200_000);
    expect(Number(gas)).toBeLessThan(400_000);
    const tampered = await editedProof('t4.json', (b) => (b.proof.pi_a[0] = ((BigInt(b.proof.pi_a[0]) + 1n) % BASE_FIELD_MODULUS).toString()));
    const bad = await zkinfer('verify-onchain', dir, '--proof', tampered);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/INVALID on-chain/);
    const signal = await editedProof('t5.json', (b) => (b.publicSignals[0] = '1'));
    expect((await zkinfer('verify-onchain', dir, '--proof', signal)).code).toBe(1);
  });

  it('refuses inputs outside the model range before any witness, and writes no proof', async () => {
    const input = JSON.parse(await fs.readFile(path.join(modelDir, 'input.json'), 'utf8'));
    input.input[5] = 1.5;
    const file = path.join(dir, 'bad-input.json');
    await fs.writeFile(file, JSON.stringify(input));
    const out = path.join(dir, 'never.json');
    const result = await zkinfer('prove', dir, '--input', file, '--out', out);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/bad-input\.json: input\[5\] = 1\.5 is outside the model's input range \[0, 1\]/);
    await expect(fs.access(out)).rejects.toThrow();
    const short = path.join(dir, 'short-input.json');
    await fs.writeFile(short, JSON.stringify({ input: [0.1, 0.2] }));
    const wrongShape = await zkinfer('prove', dir, '--input', short);
    expect(wrongShape.code).toBe(3);
    expect(wrongShape.stderr).toMatch(/must have 16 entries, found 2/);
  });

  it('refuses stale and tampered artifacts, naming the command that remakes them', async () => {
    // Re-quantizing differently makes the circuit and keys stale.
    await expectOk('quantize', modelDir, '--out', dir, '--weight-bits', '6');
    const stale = await zkinfer('prove', dir, '--input', path.join(modelDir, 'input.json'));
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/older qmodel\.json.*zkinfer compile/);
    const report = JSON.parse(await expectOk('inspect', dir, '--json'));
    expect(report.stages.compile.status).toBe('stale');
    // Quantizing as before gives the same qmodel.json: everything downstream is current again.
    await expectOk('quantize', modelDir, '--out', dir);
    await expectOk('verify', dir, '--proof', proof);
    // A file changed behind zkinfer's back is refused.
    // (The default compile's witness generator is the direct path's witness program.)
    const generator = path.join(dir, 'circuit', 'model.witness.bin');
    const original = await fs.readFile(generator);
    await fs.appendFile(generator, Buffer.from([0]));
    const tampered = await zkinfer('prove', dir, '--input', path.join(modelDir, 'input.json'));
    expect(tampered.code).toBe(4);
    expect(tampered.stderr).toMatch(/model\.witness\.bin has changed since `zkinfer compile` wrote it/);
    await fs.writeFile(generator, original);
  });

  it('refuses a folder that is not an artifacts folder, and unknown verbs', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-empty-'));
    const missing = await zkinfer('compile', empty);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/not a zkinfer artifacts folder.*zkinfer quantize/);
    const noSetup = await zkinfer('export-verifier', empty);
    expect(noSetup.code).toBe(4);
    expect((await zkinfer('frobnicate')).code).toBe(2);
    expect((await zkinfer('quantize', modelDir, '--weight-bits', 'many')).code).toBe(2);
  });
});
