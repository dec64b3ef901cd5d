/**
 * Proving in the browser (issue 21), in Debian's Chromium driven by playwright-core: the page
 * `zkinfer web` serves proves an input of mlp_196_25_10 on several threads when cross-origin
 * isolated and on one when not, the proofs verify with snarkjs in Node, every request the page
 * makes (through a recording proxy, workers included) is a GET of the site's own files that
 * carries no encoding of the input, and proofs of one input from one Node thread, two Node
 * threads and the browser all verify and all differ (fresh blinding each time).
 */
import * as fs from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { witnessInput } from '../../circuits/signals.js';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { inputRange } from '../../model/ir.js';
import { runReference } from '../../model/reference.js';
import { readCircuit } from '../../pipeline/artifacts.js';
import { readManifest, witnessGeneratorPath } from '../../pipeline/manifest.js';
import { serveWeb, type WebServer } from '../../pipeline/web.js';
import { withBn128 } from '../../prover/curve.js';
import { type Groth16Proof, Groth16Prover } from '../../prover/groth16.js';
import { nodePlatform } from '../../prover/threads/node.js';
import type { VerificationKey } from '../../prover/verify.js';
import { type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js';
import { launchChromium, waitForProver, waitForVerdict, zooArtifacts } from '../helpers/web-page.js';

let tmp: string;
let dir: string;
let vk: VerificationKey;
let browser: Browser;
let proxy: RecordingProxy;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-web-test-'));
  dir = await zooArtifacts('mlp_196_25_10', tmp, 'mlp');
  vk = JSON.parse(await fs.readFile(path.join(dir, 'keys', 'verification_key.json'), 'utf8'));
  proxy = await startRecordingProxy();
  // Every request, loopback included, goes through the recording proxy.
  browser = await launchChromium([`--proxy-server=http://127.0.0.1:${proxy.port}`, '--proxy-bypass-list=<-loopback>']);
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** Open the page and wait until it can prove; fails with the page's own message if it cannot. */
async function openPage(server: WebServer): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  await waitForProver(page);
  expect(await page.getAttribute('#status', 'class'), await page.textContent('#status') ?? '').not.toBe('bad');
  expect(errors).toEqual([]);
  return page;
}

/** Click Prove and wait for the page's verdict; returns the proof the page shows. */
async function proveInPage(page: Page): Promise<{ proof: Groth16Proof; publicSignals: string[]; timings: string; verdict: string }> {
  await page.click('#prove');
  await waitForVerdict(page);
  expect(await page.getAttribute('#stage', 'class'), await page.textContent('#stage') ?? '').not.toBe('bad');
  const shown = JSON.parse((await page.textContent('#proof'))!) as { proof: Groth16Proof; publicSignals: string[] };
  return { ...shown, timings: (await page.textContent('#timings'))!, verdict: (await page.textContent('#verified'))! };
}

const snarkjsVerifies = (proof: Groth16Proof, signals: string[]) => withBn128(() => snarkjs.groth16.verify(vk, signals, proof));

describe('the page zkinfer web serves, for mlp_196_25_10', () => {
  it('proves a test image on two threads when cross-origin isolated; snarkjs verifies the proof, and the page sends nothing but GETs of its own files, none carrying the input', async () => {
    const server = await serveWeb(dir, { maxThreads: 2 });
    try {
      const circuit = await readCircuit(dir, await readManifest(dir));
      const { min, max } = inputRange(circuit.model.input);
      // A distinctive input: every quantized value different from its neighbours, none zero.
      const quantized = Array.from({ length: 196 }, (_, i) => min + 1 + ((i * 97 + 13) % (max - min)));
      const values = quantized.map((q) => q * circuit.model.input.scale);
      proxy.requests.length = 0;
      const page = await openPage(server);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.evaluate((input) => (window as unknown as { zkinfer: { setInput(v: number[]): void } }).zkinfer.setInput(input), values);
      const shown = await proveInPage(page);
      expect(shown.verdict).toBe('valid proof');
      expect(shown.timings).toMatch(/on 2 threads/);
      expect(await snarkjsVerifies(shown.proof, shown.publicSignals)).toBe(true);
      // The proof is of this input: its label is the reference's.
      const label = circuit.layout.label!;
      expect(Number(shown.publicSignals[label])).toBe(runReference(circuit.model, quantized).label);
      await page.close();

      const requests = proxy.requests;
      expect(requests.length).toBeGreaterThan(5);
      const files = new Set([...(await listFiles(server.site.out))]);
      // HTTPS tunnels (Chromium's own background requests to Google's hosts) are refused at the
      // CONNECT line, so nothing but a host name passes: checked against the encodings below.
      // Chromium 156 also POSTs to its update service over plain HTTP despite
      // --disable-component-update: those are the browser's, not the page's; they too are checked
      // against the encodings below.
      const chromiumService = (url: string) => /(^|\.)(googleapis\.com|google\.com|gvt1\.com)$/.test(new URL(url).hostname);
      for (const request of requests.filter((r) => r.method !== 'CONNECT' && !chromiumService(r.url))) {
        expect(request.method, request.url).toBe('GET');
        expect(request.body.byteLength, request.url).toBe(0);
        expect(request.url.startsWith(server.url), request.url).toBe(true);
        expect(files.has(new URL(request.url).pathname.replace(/^\//, '') || 'index.html'), request.url).toBe(true);
      }
      // The workers' and threads' fetches went through the proxy too.
      const paths = requests.map((r) => new URL(r.url).pathname);
      for (const expected of ['/assets/prover-worker.js', '/assets/prover-thread.js', '/artifacts/web.json', '/artifacts/keys/model.zkey', '/artifacts/prover/thread-1.wasm']) expect(paths).toContain(expected);
      const encodings = [
        quantized.join(','),
        quantized.slice(0, 12).join(','),
        quantized.slice(0, 12).join(', '),
        values.slice(0, 6).map(String).join(','),
        ...values.slice(0, 4).map(String),
        Buffer.from(Uint8Array.from(quantized.slice(0, 16))).toString('latin1'),
        Buffer.from(Uint8Array.from(quantized.slice(0, 16))).toString('base64').slice(0, 20),
        Buffer.from(Uint8Array.from(quantized.slice(0, 16))).toString('hex'),
      ];
      const carries = (request: (typeof requests)[number]) => {
        const sent = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body.toString('latin1')}`;
        return encodings.filter((encoding) => sent.includes(encoding));
      };
      for (const request of requests) expect(carries(request), request.url).toEqual([]);
      // The check can fail: a page that did send the input would be caught.
      const before = requests.length;
      const canary = await browser.newPage();
      await canary.goto(`${server.url}artifacts/web.json`);
      await canary.evaluate((body) => fetch('/leak', { method: 'POST', body }).catch(() => undefined), quantized.join(','));
      await canary.close();
      expect(requests.slice(before).some((request) => carries(request).length > 0)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('proves on one thread when the page is not cross-origin isolated', async () => {
    const server = await serveWeb(dir, { isolate: false, maxThreads: 2 });
    try {
      const page = await openPage(server);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await page.textContent('#status')).toMatch(/proofs on 1 thread \(this page is not cross-origin isolated/);
      const shown = await proveInPage(page);
      expect(shown.verdict).toBe('valid proof');
      expect(shown.timings).toMatch(/on 1 thread$/);
      expect(await snarkjsVerifies(shown.proof, shown.publicSignals)).toBe(true);
      await page.close();
      // The server answers GET and HEAD of the exported files only.
      const status = (method: string, rawPath: string) =>
        new Promise<number>((resolve, reject) => {
          const request = httpRequest(`${server.url.replace(/\/$/, '')}${rawPath}`, { method }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          });
          request.on('error', reject);
          request.setHeader('Host', new URL(server.url).host);
          request.path = rawPath;
          request.end();
        });
      expect(await status('GET', '/artifacts/web.json')).toBe(200);
      expect(await status('GET', '/../../../../etc/passwd')).toBe(404);
      expect(await status('GET', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd')).toBe(404);
      expect(await status('GET', `/..%2f..%2f..%2f${path.basename(tmp)}/mlp/keys/model.zkey`)).toBe(404);
      expect(await status('POST', '/artifacts/web.json')).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('refuses a file that is not the one web.json lists, naming it', async () => {
    const server = await serveWeb(dir, { maxThreads: 1 });
    try {
      const zkey = path.join(server.site.out, 'artifacts', 'keys', 'model.zkey');
      const bytes = await fs.readFile(zkey);
      bytes[bytes.length - 100] ^= 1;
      await fs.writeFile(zkey, bytes);
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => document.getElementById('status')!.className === 'bad', null, { timeout: 60_000 });
      expect(await page.textContent('#status')).toBe('Could not load the prover: keys/model.zkey: its SHA-256 is not the one web.json lists (changed after the export?)');
      await page.close();
    } finally {
      await server.close();
    }
  });

  it('makes proofs of one input that differ from one Node thread, two Node threads and the browser, each fresh, and all verify', async () => {
    const server = await serveWeb(dir, { maxThreads: 2 });
    try {
      const circuit = await readCircuit(dir, await readManifest(dir));
      const manifest = server.site.manifest;
      const sample = manifest.samples[0]!;
      const salt = 123456789n;
      const quantized = sample.values.map((v) => Math.round(v / circuit.model.input.scale));
      // Node: the same witness on one thread and on two.
      const calculator = await loadWitnessCalculator(witnessGeneratorPath(dir, await readManifest(dir)));
      const wtns = await calculator.calculateWtns(witnessInput(circuit.model, circuit.plan, quantized, salt));
      const zkey = new Uint8Array(await fs.readFile(path.join(dir, 'keys', 'model.zkey')));
      const proofs: { from: string; proof: Groth16Proof; publicSignals: string[] }[] = [];
      for (const threads of [1, 2]) {
        const prover = await Groth16Prover.load(zkey, 'model.zkey', nodePlatform, { threads });
        try {
          for (let k = 0; k < 2; k++) proofs.push({ from: `node ${threads} thread(s) #${k}`, ...(await prover.prove(wtns.slice())) });
        } finally {
          await prover.close();
        }
      }
      // The browser, twice, with the same salt: the same public signals.
      const page = await openPage(server);
      for (let k = 0; k < 2; k++) {
        const proved = await page.evaluate(
          async ({ values, salt }) => {
            const prover = (window as unknown as { zkinfer: { prover(): { prove(v: number[], o: { salt: bigint }): Promise<{ proof: unknown; publicSignals: string[] }> } } }).zkinfer.prover();
            const { proof, publicSignals } = await prover.prove(values, { salt: BigInt(salt) });
            return { proof, publicSignals };
          },
          { values: sample.values, salt: salt.toString() },
        );
        proofs.push({ from: `browser #${k}`, proof: proved.proof as Groth16Proof, publicSignals: proved.publicSignals });
      }
      await page.close();
      for (const p of proofs) {
        expect(p.publicSignals, p.from).toEqual(proofs[0]!.publicSignals);
        expect(await snarkjsVerifies(p.proof, p.publicSignals), p.from).toBe(true);
      }
      const encoded = new Set(proofs.map((p) => JSON.stringify([p.proof.pi_a, p.proof.pi_b, p.proof.pi_c])));
      expect(encoded.size).toBe(proofs.length);
    } finally {
      await server.close();
    }
  });
});

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out;
}
