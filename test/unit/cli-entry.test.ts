/**
 * Which file runs a command line (cli/entry.ts): the prove bundle only for `prove`, and only while
 * its record matches the files in dist/ (a stale, tampered or missing bundle falls back to
 * dist/cli/main.js). On a made-up dist/ folder: the real one is test/e2e/cli-imports.test.ts's.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLE_FILE, BUNDLE_RECORD, bundleFingerprint, entryPoint, freshBundle, verbOf } from '../../cli/entry.js';

describe('the CLI entry point', () => {
  let dist: string;
  const inputs = ['cli/main.js', 'prover/msm.js'];
  const main = () => pathToFileURL(path.join(dist, 'cli', 'main.js')).href;
  const bundle = () => pathToFileURL(path.join(dist, BUNDLE_FILE)).href;

  beforeEach(async () => {
    dist = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-entry-'));
    for (const [file, text] of [...inputs.map((input) => [input, `// ${input}\n`]), [BUNDLE_FILE, '// the bundle\n']] as const) {
      await fs.mkdir(path.dirname(path.join(dist, file)), { recursive: true });
      await fs.writeFile(path.join(dist, file), text);
    }
    await fs.writeFile(path.join(dist, BUNDLE_RECORD), JSON.stringify({ inputs, fingerprint: bundleFingerprint(dist, inputs) }));
  });
  afterEach(async () => fs.rm(dist, { recursive: true, force: true }));

  it('names the verb: the first word that is not a flag', () => {
    expect(verbOf(['--quiet', 'prove', 'dir', '--input', 'x.json'])).toBe('prove');
    expect(verbOf(['--version'])).toBeUndefined();
    expect(verbOf([])).toBeUndefined();
  });

  it('runs prove from a bundle made of the files there, and everything else from dist/cli/main.js', () => {
    expect(freshBundle(dist)).toBe(path.join(dist, BUNDLE_FILE));
    expect(entryPoint(['prove', 'dir', '--input', 'x.json'], dist)).toBe(bundle());
    expect(entryPoint(['--verbose', 'prove', '--help'], dist)).toBe(bundle());
    for (const args of [['verify', 'dir'], ['--version'], ['--help'], [], ['dir', 'prove']]) expect(entryPoint(args, dist), args.join(' ')).toBe(main());
  });

  it('falls back to dist/cli/main.js when an input changed (tsc ran alone)', async () => {
    await fs.appendFile(path.join(dist, 'prover', 'msm.js'), '// recompiled\n');
    expect(freshBundle(dist)).toBeUndefined();
    expect(entryPoint(['prove', 'dir'], dist)).toBe(main());
  });

  it('falls back when the bundle itself changed, or an input, the bundle or its record is missing', async () => {
    await fs.appendFile(path.join(dist, BUNDLE_FILE), '// edited\n');
    expect(entryPoint(['prove', 'dir'], dist)).toBe(main());
    for (const file of ['prover/msm.js', BUNDLE_FILE, BUNDLE_RECORD]) {
      await fs.writeFile(path.join(dist, BUNDLE_RECORD), JSON.stringify({ inputs, fingerprint: bundleFingerprint(dist, inputs) }));
      expect(entryPoint(['prove', 'dir'], dist)).toBe(bundle());
      await fs.rm(path.join(dist, file));
      expect(entryPoint(['prove', 'dir'], dist), `without ${file}`).toBe(main());
      await fs.writeFile(path.join(dist, file), file === BUNDLE_FILE ? '// the bundle\n' : `// ${file}\n`);
    }
  });

  it('falls back on a record that lists no inputs or is not JSON', async () => {
    await fs.writeFile(path.join(dist, BUNDLE_RECORD), JSON.stringify({ inputs: [], fingerprint: bundleFingerprint(dist, []) }));
    expect(entryPoint(['prove', 'dir'], dist)).toBe(main());
    await fs.writeFile(path.join(dist, BUNDLE_RECORD), '{ not json');
    expect(entryPoint(['prove', 'dir'], dist)).toBe(main());
  });
});
