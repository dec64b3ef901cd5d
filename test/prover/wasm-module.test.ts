/**
 * The prover's WebAssembly module comes from dist/ (written by `npm run build`) or is built in the
 * process, never from the user's cache: a valid but altered module put there is not used.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProverModule, proverModule, shippedModuleFile } from '../../prover/wasm-module.js';
import { distModule, runNodeScript } from '../helpers/node-script.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-module-'));
});
afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));

const exportsOf = (module: WebAssembly.Module) => WebAssembly.Module.exports(module).map((e) => e.name);

/** The real module with one export renamed (zq_mul → zq_muX): still valid, and visibly not the real one. */
function alteredModule(): Buffer {
  const bytes = Buffer.from(buildProverModule());
  const at = bytes.indexOf(Buffer.from('\u0006zq_mul')); // an export's name: its length, then its bytes
  bytes[at + 6] = 'X'.charCodeAt(0);
  expect(exportsOf(new WebAssembly.Module(bytes))).toContain('zq_muX');
  return bytes;
}

/** In a separate process on dist/ with `cache` as the cache folder: the module's exports, and the file it would ship under. */
async function moduleInProcess(cache: string): Promise<{ exports: string[]; shipped: string; shippedIsBuilt: boolean }> {
  const source = `
    import { readFileSync } from 'node:fs';
    const m = await import(${JSON.stringify(distModule('prover/wasm-module.js'))});
    const exports = WebAssembly.Module.exports(m.proverModule()).map((e) => e.name);
    const shipped = m.shippedModuleFile();
    const shippedIsBuilt = Buffer.compare(readFileSync(shipped), Buffer.from(m.buildProverModule())) === 0;
    console.log(JSON.stringify({ exports, shipped, shippedIsBuilt }));`;
  const result = await runNodeScript(source, { env: { ZKINFER_CACHE_DIR: cache } });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('the prover module', () => {
  it('is shipped in dist/ by the build, exactly as built from this code', async () => {
    const { exports, shipped, shippedIsBuilt } = await moduleInProcess(path.join(tmp, 'unused'));
    expect(path.dirname(shipped)).toBe(path.dirname(new URL(distModule('prover/wasm-module.js')).pathname));
    expect(shippedIsBuilt).toBe(true);
    expect(exports).toEqual(expect.arrayContaining(['zq_mul', 'g1m_zkBatchAddAffine', 'g2m_zkBatchDoubleAffine', 'zr_zkFftFromReversed', 'zr_zkBuildABC', 'g1m_add']));
  });

  it('is never taken from the cache folder: an altered module where the cache used to be is not used, nor anything written there', async () => {
    const cache = path.join(tmp, 'poisoned');
    await fs.mkdir(cache);
    // Where zkinfer cached it until now: the cache folder, under the same fingerprint of the code.
    const { shipped } = await moduleInProcess(path.join(tmp, 'unused'));
    const poisoned = path.join(cache, path.basename(shipped));
    await fs.writeFile(poisoned, alteredModule());
    const { exports } = await moduleInProcess(cache);
    expect(exports).toContain('zq_mul');
    expect(exports).not.toContain('zq_muX');
    expect(await fs.readdir(cache)).toEqual([path.basename(poisoned)]);
    expect(await fs.readFile(poisoned)).toEqual(alteredModule());
  });

  it('from source (no dist/ module beside the code) is built in the process, not read from the cache folder', async () => {
    const cache = path.join(tmp, 'source');
    await fs.mkdir(cache);
    await fs.writeFile(path.join(cache, path.basename(shippedModuleFile())), alteredModule());
    const before = process.env.ZKINFER_CACHE_DIR;
    process.env.ZKINFER_CACHE_DIR = cache;
    try {
      expect(exportsOf(proverModule())).toEqual(exportsOf(new WebAssembly.Module(buildProverModule())));
    } finally {
      if (before === undefined) delete process.env.ZKINFER_CACHE_DIR;
      else process.env.ZKINFER_CACHE_DIR = before;
    }
  });
});
