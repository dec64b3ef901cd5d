/**
 * `zkinfer audit` as users run it: a compiled folder is sound (exit 0, counts per template); a
 * circuit from a buggy emitter (the logits assigned with `<--`, never constrained) is reported
 * with the template, the signal and the attack, and exits 1; bad arguments exit 2 and missing
 * artifacts 4, without a stack trace.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileCircom } from '../../circuits/compile.js';
import { CIRCUIT_INCLUDES } from '../../circuits/emit/index.js';
import { sha256File } from '../../core/files.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { zkinfer } from '../helpers/node-script.js';

let dir: string;

beforeAll(async () => {
  const model = await writeTinyModel();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-audit-'));
  for (const args of [['quantize', model, '--out', dir], ['compile', dir]]) {
    const run = await zkinfer(...args);
    expect(run.code, run.stderr).toBe(0);
  }
});

describe('zkinfer audit', () => {
  it('finds the compiled circuit sound, with counts per template', async () => {
    const run = await zkinfer('audit', dir, '--random', '1');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^sound: tiny_mlp .* 4 honest witnesses/);
    expect(run.stdout).toMatch(/attacks: \d+ tried, \d+ refused by a constraint, \d+ the same field elements written otherwise, \d+ accepted with every public output unchanged, 0 accepted with a changed output/);
    for (const template of ['Requantize', 'ArgMax', 'RangeCheck', 'PoseidonChain']) expect(run.stdout).toContain(template);
    const json = JSON.parse((await zkinfer('audit', dir, '--random', '0', '--json')).stdout);
    expect(json).toMatchObject({ ok: true, model: 'tiny_mlp', findings: [] });
    expect(json.attacks.bits.rejected).toBeGreaterThan(0);
  });

  it('reports logits an emitter left unconstrained, naming template, signal and attack (exit 1)', async () => {
    const broken = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-audit-broken-'));
    await fs.cp(dir, broken, { recursive: true });
    // A buggy emitter's .circom compiled by circom: the folder is circom's (the default compile is the direct path's).
    const circom = await zkinfer('compile', broken, '--backend', 'circom');
    expect(circom.code, circom.stderr).toBe(0);
    const source = await fs.readFile(path.join(broken, 'circuit', 'model.circom'), 'utf8');
    const buggy = source.replace(/(op\d+_out\[j\]) <== ([^;]*pairwiseSum[^;]*);/, '$1 <-- $2;');
    expect(buggy).not.toBe(source);
    await compileCircom(buggy, path.join(broken, 'circuit'), { includes: CIRCUIT_INCLUDES });
    // Record the buggy circuit as the compile step's output, as a buggy zkinfer would have.
    const manifestFile = path.join(broken, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    for (const file of Object.keys(manifest.stages.compile.outputs)) manifest.stages.compile.outputs[file] = await sha256File(path.join(broken, file));
    await fs.writeFile(manifestFile, JSON.stringify(manifest));

    const run = await zkinfer('audit', broken, '--random', '0');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^UNSOUND: tiny_mlp/);
    expect(run.stdout).toMatch(/accepted: template Model, signal logits\[\d\], attack: \+1 .*\n.*changes .*logits\[\d\]/);
    const json = JSON.parse((await zkinfer('audit', broken, '--random', '0', '--json')).stdout);
    expect(json.ok).toBe(false);
    expect(json.findings[0]).toMatchObject({ kind: expect.stringMatching(/accepted|unconstrained/), template: 'Model', signal: expect.stringMatching(/^logits\[\d\]$/) });
  });

  it('refuses bad arguments (exit 2) and a folder without a compiled circuit (exit 4), without a stack trace', async () => {
    const usage = await zkinfer('audit', dir, '--random', 'many');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--random must be an integer/);
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-audit-empty-'));
    const missing = await zkinfer('audit', empty);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/manifest/);
    expect(missing.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
