/**
 * The browser bundle (web/bundle.ts, issue 21): esbuild bundles web/ with no Node module in it,
 * and the prover's own modules (randomness, key parsing, the prover, the witness generator,
 * input quantization) bundle for the browser alone, which they did not while core/field.ts took
 * its randomness from node:crypto and prover/groth16.ts started worker_threads itself. A Node
 * module reached from browser code fails the build, naming the file that imports it.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_ENTRIES, WEB_STATIC, bundleWeb, nodeModulesStayOut } from '../../web/bundle.js';

const root = path.resolve(import.meta.dirname, '..', '..');
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-web-bundle-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Bundle one source file for the browser with the guard; resolves to esbuild's errors' texts (none: it bundled). */
async function bundleErrors(entry: string): Promise<string[]> {
  try {
    await build({ absWorkingDir: root, entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent', plugins: [nodeModulesStayOut] });
    return [];
  } catch (error) {
    return (error as { errors: { text: string }[] }).errors.map((e) => e.text);
  }
}

describe('the browser bundle', () => {
  it('bundles the library, its worker and thread, and the page, with no Node module in them', async () => {
    const out = path.join(tmp, 'web');
    await bundleWeb(root, out);
    const assets = await fs.readdir(path.join(out, 'assets'));
    for (const name of Object.keys(WEB_ENTRIES)) expect(assets).toContain(`${name}.js`);
    for (const name of WEB_STATIC) await fs.access(path.join(out, name));
    for (const name of assets.filter((n) => n.endsWith('.js'))) {
      const code = await fs.readFile(path.join(out, 'assets', name), 'utf8');
      expect(code, name).not.toMatch(/from\s*["']node:|import\(\s*["']node:|require\(\s*["']node:|from\s*["'](fs|path|os|crypto|worker_threads|child_process)["']/);
    }
  });

  it.each(['core/field.ts', 'core/binfile.ts', 'prover/groth16.ts', 'prover/threads/thread.ts', 'circuits/circom-witness.ts', 'model/ir.ts', 'prover/groth16-verifier.ts'])(
    '%s bundles for the browser on its own',
    async (entry) => {
      expect(await bundleErrors(entry)).toEqual([]);
    },
  );

  it('refuses a Node module reached from browser code, naming the file that imports it', async () => {
    const errors = await bundleErrors('prover/threads/node.ts');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/the Node module 'node:[a-z_/]+' would be bundled for the browser \(imported by .*prover\/threads\/node\.ts\)/);
  });
});
