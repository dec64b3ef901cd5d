/**
 * Hostile and broken files through the CLI, as users meet them: a clear one-line error naming the
 * file, the documented exit code, no stack trace unless --verbose, and nothing half-written.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../helpers/fixtures.js';
import { type ScriptResult, zkinfer } from '../helpers/node-script.js';

let model: string;
let dir: string;
let tmp: string;

const STACK = /\n\s+at .*:\d+:\d+/;

function expectRefused(run: ScriptResult, code: number, names: string | RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).toMatch(names);
  expect(run.stderr).not.toMatch(STACK);
  expect(run.stderr).not.toMatch(/not an error zkinfer expected/);
  expect(run.stdout).toBe('');
}

beforeAll(async () => {
  model = await writeTinyModel();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bad-input-'));
  dir = path.join(tmp, 'artifacts');
  for (const args of [['quantize', model, '--out', dir], ['compile', dir], ['setup', dir]]) {
    const run = await zkinfer(...args);
    expect(run.code, run.stderr).toBe(0);
  }
});

describe('broken files through the CLI', () => {
  it('a model with truncated weights: exit 3 naming the file, no artifacts folder left behind', async () => {
    const broken = path.join(tmp, 'broken-model');
    await fs.cp(model, broken, { recursive: true });
    const manifest = JSON.parse(await fs.readFile(path.join(broken, 'model.json'), 'utf8'));
    const shard = path.join(broken, manifest.weightsManifest[0].paths[0]);
    await fs.truncate(shard, 10);
    const out = path.join(tmp, 'never');
    const run = await zkinfer('quantize', broken, '--out', out);
    expectRefused(run, 3, /model\.json.*truncated/);
    expect(await fs.readdir(out).catch(() => [])).not.toContain('manifest.json');
    // --verbose shows where it came from.
    const verbose = await zkinfer('--verbose', 'quantize', broken, '--out', out);
    expect(verbose.code).toBe(3);
    expect(verbose.stderr).toMatch(STACK);
  });

  it('a model.json that is not JSON, or holds a megabyte where a name was due: exit 3, short message', async () => {
    const broken = path.join(tmp, 'garbled-model');
    await fs.cp(model, broken, { recursive: true });
    const file = path.join(broken, 'model.json');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.slice(0, text.length >> 1));
    expectRefused(await zkinfer('quantize', broken, '--out', path.join(tmp, 'never')), 3, /model\.json is not valid JSON/);
    const json = JSON.parse(text);
    json.weightsManifest[0].weights[0].dtype = 'x'.repeat(1_000_000);
    await fs.writeFile(file, JSON.stringify(json));
    const huge = await zkinfer('quantize', broken, '--out', path.join(tmp, 'never'));
    expectRefused(huge, 3, /model\.json.*dtype/);
    expect(huge.stderr.length).toBeLessThan(1000);
  });

  it('input files that are truncated, huge or hostile: exit 3 naming the file, no proof written', async () => {
    const out = path.join(tmp, 'proof.json');
    const cases: [string, string, RegExp][] = [
      ['truncated.json', '{"input": [0.1, 0.2', /truncated\.json is not valid JSON/],
      ['nan.json', JSON.stringify({ input: new Array(16).fill('NaN') }), /nan\.json: input\[0\] must be a number/],
      ['infinite.json', `{"input": [${new Array(16).fill('1e999').join(',')}]}`, /infinite\.json: input\[0\] is Infinity/],
      ['short.json', JSON.stringify({ input: [0.5] }), /short\.json: input must have 16 entries, found 1/],
      ['huge.json', JSON.stringify({ input: new Array(1_000_000).fill(0) }), /huge\.json: input must have 16 entries, found 1000000/],
      ['salt.json', JSON.stringify({ input: new Array(16).fill(0), salt: '-5' }), /salt\.json: salt must be a decimal string/],
      ['array.json', '[1, 2, 3]', /array\.json: expected a JSON object with an "input" field/],
    ];
    for (const [name, text, message] of cases) {
      const file = path.join(tmp, name);
      await fs.writeFile(file, text);
      expectRefused(await zkinfer('prove', dir, '--input', file, '--out', out), 3, message);
      expect(await fs.stat(out).catch(() => undefined), name).toBeUndefined();
    }
  });

  it('a manifest that is garbled: exit 4 naming it, for every verb that reads it', async () => {
    const copy = path.join(tmp, 'garbled-artifacts');
    await fs.cp(dir, copy, { recursive: true });
    await fs.writeFile(path.join(copy, 'manifest.json'), '{"format": "zkinfer-artifacts/1", "deployments": [null], "stages": {}, "model": {"name": "x", "sourceHash": "y"}}');
    for (const verb of [['compile', copy], ['audit', copy], ['inspect', copy], ['prove', copy, '--input', path.join(model, 'input.json')]]) {
      expectRefused(await zkinfer(...verb), 4, /manifest\.json: deployments\[0\] must have/);
    }
  });
});
