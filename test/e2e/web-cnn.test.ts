/**
 * The browser page proves cnn_14_5_11_80_10 (issue 21): a convolutional model's test image proven
 * in Chromium on two threads, its proof verified with snarkjs in Node and its label the
 * reference's. Apart from web.test.ts so that its compile (a few minutes) runs only when asked.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { quantizeInput } from '../../model/ir.js';
import { runReference } from '../../model/reference.js';
import { readCircuit } from '../../pipeline/artifacts.js';
import { readManifest } from '../../pipeline/manifest.js';
import { serveWeb } from '../../pipeline/web.js';
import { withBn128 } from '../../prover/curve.js';
import type { Groth16Proof } from '../../prover/groth16.js';
import { launchChromium, waitForProver, waitForVerdict, zooArtifacts } from '../helpers/web-page.js';

let tmp: string;
let dir: string;
let browser: Browser;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-web-cnn-'));
  dir = await zooArtifacts('cnn_14_5_11_80_10', tmp, 'cnn');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

it('proves a test image of cnn_14_5_11_80_10 in the page on two threads; snarkjs verifies it and its label is the reference\'s', async () => {
  const server = await serveWeb(dir, { maxThreads: 2 });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}?threads=2`);
    await waitForProver(page, 120_000);
    const sample = server.site.manifest.samples[1]!;
    await page.evaluate((input) => (window as unknown as { zkinfer: { setInput(v: number[]): void } }).zkinfer.setInput(input), sample.values);
    await page.click('#prove');
    await waitForVerdict(page, 300_000);
    expect(await page.textContent('#verified'), (await page.textContent('#stage')) ?? '').toBe('valid proof');
    expect(await page.textContent('#timings')).toMatch(/on 2 threads/);
    const { proof, publicSignals } = JSON.parse((await page.textContent('#proof'))!) as { proof: Groth16Proof; publicSignals: string[] };
    const vk = JSON.parse(await fs.readFile(path.join(dir, 'keys', 'verification_key.json'), 'utf8'));
    expect(await withBn128(() => snarkjs.groth16.verify(vk, publicSignals, proof))).toBe(true);
    const circuit = await readCircuit(dir, await readManifest(dir));
    expect(Number(publicSignals[circuit.layout.label!])).toBe(runReference(circuit.model, quantizeInput(sample.values, circuit.model.input)).label);
    await page.close();
  } finally {
    await server.close();
  }
});
