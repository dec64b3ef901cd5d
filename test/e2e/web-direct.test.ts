/**
 * The browser page for a circuit compiled with `--backend direct`: the export ships its witness
 * program (model.witness.bin) in place of circom's model.wasm, and the page proves with it on
 * one thread; the proof verifies with snarkjs in Node and shows the reference's label for the
 * input. web.test.ts has the page's other checks, on the default compile (the direct path's too,
 * since `--backend auto` chooses it for every model it builds).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCircuit } from '../../pipeline/artifacts.js';
import { FILES, readManifest } from '../../pipeline/manifest.js';
import { runReference } from '../../model/reference.js';
import { serveWeb } from '../../pipeline/web.js';
import { withBn128 } from '../../prover/curve.js';
import type { Groth16Proof } from '../../prover/groth16.js';
import { launchChromium, waitForProver, waitForVerdict, zooArtifacts } from '../helpers/web-page.js';

let tmp: string;
let dir: string;
let browser: Browser;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-web-direct-'));
  dir = await zooArtifacts('mlp_196_25_10', tmp, 'mlp', 'direct');
  browser = await launchChromium([]);
});

afterAll(async () => {
  await browser?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('the page for a directly compiled circuit', () => {
  it('ships the witness program and proves with it in the browser; snarkjs verifies, and the label is the reference\'s', async () => {
    const server = await serveWeb(dir, { maxThreads: 1 });
    try {
      const manifest = await readManifest(dir);
      expect(manifest.stages.compile!.settings.backend).toBe('direct');
      expect(server.site.manifest.files.circuit.path).toBe(FILES.directWitness);
      const circuit = await readCircuit(dir, manifest);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(server.url);
      await waitForProver(page);
      expect(await page.getAttribute('#status', 'class'), (await page.textContent('#status')) ?? '').not.toBe('bad');
      const sample = server.site.manifest.samples[0];
      const quantized = sample ? sample.values.map((v) => Math.round(v / circuit.model.input.scale)) : Array.from({ length: 196 }, (_, i) => (i * 37) % 200);
      await page.evaluate((input) => (window as unknown as { zkinfer: { setInput(v: number[]): void } }).zkinfer.setInput(input), quantized.map((q) => q * circuit.model.input.scale));
      await page.click('#prove');
      await waitForVerdict(page);
      expect(await page.getAttribute('#stage', 'class'), (await page.textContent('#stage')) ?? '').not.toBe('bad');
      const shown = JSON.parse((await page.textContent('#proof'))!) as { proof: Groth16Proof; publicSignals: string[] };
      expect(await page.textContent('#verified')).toBe('valid proof');
      expect(errors).toEqual([]);
      await page.close();
      const vk = JSON.parse(await fs.readFile(path.join(dir, FILES.vk), 'utf8'));
      expect(await withBn128(() => snarkjs.groth16.verify(vk, shown.publicSignals, shown.proof))).toBe(true);
      expect(Number(shown.publicSignals[circuit.layout.label!])).toBe(runReference(circuit.model, quantized).label);
    } finally {
      await server.close();
    }
  });
});
