/**
 * The prover's WebAssembly module is cached on disk between processes: a missing or damaged file
 * is rebuilt, and a cache that cannot be written does not stop the prover.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedProverModule } from '../../prover/wasm-module.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-module-'));
});
afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));

const exportsOf = (module: WebAssembly.Module) => WebAssembly.Module.exports(module).map((e) => e.name);

describe('cachedProverModule', () => {
  it('builds the module once, writes it whole, and reads it back the next time', async () => {
    const file = path.join(tmp, 'new', 'module.wasm');
    const first = cachedProverModule(file);
    expect(exportsOf(first)).toEqual(expect.arrayContaining(['zq_mul', 'g1m_zkBatchAddAffine', 'g2m_zkBatchDoubleAffine', 'zr_zkFft', 'g1m_add']));
    const bytes = await fs.readFile(file);
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect((await fs.readdir(path.dirname(file))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // Read back: the same exports, and the file is not written again.
    const written = (await fs.stat(file)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exportsOf(cachedProverModule(file))).toEqual(exportsOf(first));
    expect((await fs.stat(file)).mtimeMs).toBe(written);
    expect(await fs.readFile(file)).toEqual(bytes);
  });

  it('rebuilds a damaged file and replaces it', async () => {
    const file = path.join(tmp, 'damaged.wasm');
    await fs.writeFile(file, Buffer.from('\0asm truncated'));
    expect(exportsOf(cachedProverModule(file))).toContain('zq_mul');
    expect(WebAssembly.validate(await fs.readFile(file))).toBe(true);
  });

  it('still gives the module when the cache cannot be written', async () => {
    const blocker = path.join(tmp, 'a-file');
    await fs.writeFile(blocker, 'not a folder');
    const file = path.join(blocker, 'module.wasm');
    expect(exportsOf(cachedProverModule(file))).toContain('zq_mul');
    await expect(fs.stat(file)).rejects.toThrow();
  });
});
