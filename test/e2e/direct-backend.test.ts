/**
 * `zkinfer compile --backend direct` through the pipeline: the folder records its backend and
 * holds the direct witness generator instead of circom's WebAssembly; setup, a one-shot proof, a
 * pool's proof, verify, audit and inspect all take it, and its proofs show what circom's folder's
 * show. A mismatched or tampered witness generator, or a backend the manifest cannot name, is
 * refused with an artifact error.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../circuits/direct/build.js';
import { DIRECT_WITNESS_FORMAT, DIRECT_WITNESS_FORMAT_V1, encodeDirectWitnessGenerator, parseDirectWitnessGenerator } from '../../circuits/direct/witness.js';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { readQModel } from '../../pipeline/artifacts.js';
import { auditStep } from '../../pipeline/audit.js';
import { compileStep } from '../../pipeline/compile.js';
import { inspectStep } from '../../pipeline/inspect.js';
import { FILES, readManifest } from '../../pipeline/manifest.js';
import { proveStep } from '../../pipeline/prove.js';
import { createProver } from '../../pipeline/prover.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import { exists } from '../../core/files.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { GRAPH_CASES } from '../helpers/model-cases.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { zkinfer } from '../helpers/node-script.js';

let tmp: string;
let model: string;
let direct: string;
let circom: string;

beforeAll(async () => {
  model = await writeTinyModel(undefined, 41);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-direct-backend-'));
  const quantized = path.join(tmp, 'quantized');
  await quantizeStep({ model, out: quantized });
  [direct, circom] = [path.join(tmp, 'direct'), path.join(tmp, 'circom')];
  for (const dir of [direct, circom]) await fs.cp(quantized, dir, { recursive: true });
}, 120_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.rm(model, { recursive: true, force: true });
});

describe('compile --backend direct', () => {
  it('compiles, sets up, proves (one-shot and on a pool), verifies, audits and inspects like circom\'s folder', async () => {
    const run = await zkinfer('compile', direct, '--backend', 'direct');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/direct CPU/);
    const [ours, theirs] = [await compileStep(direct, { backend: 'direct' }), await compileStep(circom, { backend: 'circom' })];
    expect([ours.backend, theirs.backend]).toEqual(['direct', 'circom']);
    expect([ours.constraints, ours.wires, ours.publicSignals]).toEqual([theirs.constraints, theirs.wires, theirs.publicSignals]);
    expect(ours.layers.map((l) => l.measured)).toEqual(theirs.layers.map((l) => l.measured));
    const manifest = await readManifest(direct);
    expect(manifest.stages.compile!.settings.backend).toBe('direct');
    expect(Object.keys(manifest.stages.compile!.outputs).sort()).toEqual([FILES.circom, FILES.r1cs, FILES.sym, FILES.directWitness].sort());
    expect(await exists(path.join(direct, FILES.wasm))).toBe(false);
    const program = await fs.readFile(path.join(direct, FILES.directWitness));
    expect(program.subarray(0, 4).toString('latin1')).toBe('zkwp');
    expect(program.toString('latin1')).toContain(`"format":"${DIRECT_WITNESS_FORMAT}"`);

    for (const dir of [direct, circom]) await setupStep(dir);
    const input = path.join(model, 'input.json');
    const [proved, reference] = [await proveStep(direct, { input }), await proveStep(circom, { input })];
    expect(proved.bundle.publicSignals).toEqual(reference.bundle.publicSignals);
    expect((await verifyStep(direct, { proof: proved.file, input })).valid).toBe(true);

    const prover = await createProver(direct, { size: 1 });
    try {
      const pooled = await prover.prove(input);
      expect(pooled.publicSignals).toEqual(reference.bundle.publicSignals);
    } finally {
      await prover.close();
    }

    const audit = await auditStep(direct, { random: 1 });
    expect(audit).toMatchObject({ ok: true, findings: [] });
    expect((await inspectStep(direct)).backend).toBe('direct');
  }, 600_000);

  it('auto compiles every model directly, graphs and table activations included', async () => {
    expect(chooseBackend(await readQModel(circom))).toBe('direct');
    const table = GRAPH_CASES.find((c) => c.ops?.includes('table'))!;
    expect(chooseBackend(quantizeModel(table.float(), table.options).model)).toBe('direct');
    const bad = await zkinfer('compile', circom, '--backend', 'gcc');
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/--backend must be one of auto, circom, direct/);
  }, 120_000);

  it('refuses a witness generator that does not belong to the circuit, and a backend the manifest cannot name', async () => {
    const file = path.join(direct, FILES.directWitness);
    const bytes = await fs.readFile(file);
    const generator = parseDirectWitnessGenerator(bytes, file);
    const broken = path.join(tmp, 'broken.witness.bin');
    await fs.writeFile(broken, encodeDirectWitnessGenerator({ ...generator, wires: generator.wires + 1 }));
    await expect(loadWitnessCalculator(broken)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/its program computes \d+ wires, its header says \d+/) });
    await fs.writeFile(broken, Buffer.from(bytes.toString('latin1').replace(DIRECT_WITNESS_FORMAT, 'zkinfer-direct-witness/9'), 'latin1'));
    await expect(loadWitnessCalculator(broken)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/format must be 'zkinfer-direct-witness\/2', found "zkinfer-direct-witness\/9"/) });
    await fs.writeFile(broken, bytes.subarray(0, bytes.length - 64));
    await expect(loadWitnessCalculator(broken)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/run past the file's end: the file is cut short/) });
    await fs.writeFile(broken, 'not json');
    await expect(loadWitnessCalculator(broken)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/not valid JSON/) });

    // The first format (model.witness.json: the model; folders compiled before the program): the program is recorded when it loads, the same witness.
    const qmodel = await readQModel(direct);
    const legacy = { format: DIRECT_WITNESS_FORMAT_V1, visibility: generator.visibility, wires: generator.wires, constraints: generator.constraints, model: qmodel };
    const legacyFile = path.join(tmp, 'model.witness.json');
    await fs.writeFile(legacyFile, JSON.stringify(legacy));
    const input = { in: new Array(qmodel.input.shape.reduce((a, b) => a * b, 1)).fill(1), salt: 5n };
    expect(await (await loadWitnessCalculator(legacyFile)).calculate(input)).toEqual(await (await loadWitnessCalculator(file)).calculate(input));
    await fs.writeFile(legacyFile, JSON.stringify({ ...legacy, wires: generator.wires + 1 }));
    await expect(loadWitnessCalculator(legacyFile)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/makes \d+ wires and \d+ constraints, its file says/) });
    await fs.writeFile(legacyFile, JSON.stringify({ ...legacy, format: 'something/9' }));
    await expect(loadWitnessCalculator(legacyFile)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/format must be 'zkinfer-direct-witness\/1'/) });

    // circom's program in the direct folder's place: the manifest's hash refuses it.
    const tampered = path.join(tmp, 'tampered');
    await fs.cp(direct, tampered, { recursive: true });
    await fs.copyFile(path.join(circom, FILES.wasm), path.join(tampered, FILES.directWitness));
    const stale = await zkinfer('prove', tampered, '--input', path.join(model, 'input.json'));
    expect(stale.code, stale.stderr).toBe(4);
    expect(stale.stderr).toMatch(/model\.witness\.bin has changed since `zkinfer compile`/);

    const unknown = path.join(tmp, 'unknown');
    await fs.cp(direct, unknown, { recursive: true });
    const manifestFile = path.join(unknown, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    manifest.stages.compile.settings.backend = 'gcc';
    await fs.writeFile(manifestFile, JSON.stringify(manifest));
    const refused = await zkinfer('prove', unknown, '--input', path.join(model, 'input.json'));
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/settings\.backend must be 'circom' or 'direct', found "gcc"/);
  }, 300_000);
});
