/**
 * `zkinfer bench --web`: the browser prover (web/, issue 21) against Node's in one run. For each
 * model, one prover in Node (prover/groth16.ts, nodePlatform) and the page `zkinfer web` serves in
 * headless Chromium prove the same test image a few times on the same number of threads, both
 * with the key's window multiples precomputed, after three warm-ups; the medians of the proof alone
 * (witness given) are compared. The page's peak memory is its renderer process's VmHWM (the page
 * and its workers run in it), read through the DevTools protocol's process list. Then a fresh page
 * of the first model is timed from opening to its first verified proof, downloads included, as a
 * visitor would see it (no precomputation). Needs playwright-core (a devDependency) and Chromium.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ZkinferError, messageOf } from '../core/errors.js';
import { loadWitnessCalculator } from '../circuits/witness.js';
import { witnessInput } from '../circuits/signals.js';
import { quantizeInput } from '../model/ir.js';
import { compileStep, quantizeStep, setupStep } from '../index.js';
import { zooModelPath } from '../pipeline/demo.js';
import { readCircuit } from '../pipeline/artifacts.js';
import { readManifest, witnessGeneratorPath } from '../pipeline/manifest.js';
import { serveWeb } from '../pipeline/web.js';
import { Groth16Prover } from '../prover/groth16.js';
import { nodePlatform } from '../prover/threads/node.js';
import { currentLoad } from './machine.js';
import { peakRssOf } from './memory.js';
import { median } from './stats.js';
import { DEFAULT_WEB_BENCH } from './defaults.js';

const CHROMIUM = process.env.ZKINFER_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface WebBenchModel {
  model: string;
  threads: number;
  /** Median proof time (witness given) in Node and in the page, ms, and each run. */
  nodeMs: number;
  browserMs: number;
  nodeRuns: number[];
  browserRuns: number[];
  /** browserMs / nodeMs */
  ratio: number;
  /** The page's renderer process's peak resident memory (bytes), where /proc tells it. */
  pagePeakRss?: number;
}

export interface WebFirstProof {
  model: string;
  threads: number;
  /** From opening the page to the first verified proof. */
  fromOpenMs: number;
  downloadBytes: number;
  downloadMs: number;
  loadMs: number;
  witnessMs: number;
  proveMs: number;
}

export interface WebBenchResult {
  load: { start: number; end: number };
  cores: number;
  models: WebBenchModel[];
  firstProof?: WebFirstProof;
}

export interface WebBenchOptions {
  /** Artifacts folder, one subfolder per model (reused when current). */
  out: string;
  models?: readonly string[];
  proofs?: number;
  /** Threads of both provers (default: the page's, navigator.hardwareConcurrency). */
  threads?: number;
  onProgress?: (text: string) => void;
}

export async function runWebBench(options: WebBenchOptions): Promise<WebBenchResult> {
  const { chromium } = await import('playwright-core').catch((error: unknown) => {
    throw new ZkinferError('USAGE', `bench --web drives Chromium with playwright-core, a development dependency: install it (npm install) (${messageOf(error)})`);
  });
  await fs.access(CHROMIUM).catch(() => {
    throw new ZkinferError('USAGE', `bench --web needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set ZKINFER_CHROMIUM)`);
  });
  const say = options.onProgress ?? (() => {});
  const proofs = options.proofs ?? DEFAULT_WEB_BENCH.proofs;
  const warmups = DEFAULT_WEB_BENCH.warmups;
  const loadStart = currentLoad();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const cdp = await browser.newBrowserCDPSession();
    const models: WebBenchModel[] = [];
    let cores = 0;
    for (const model of options.models ?? DEFAULT_WEB_BENCH.models) {
      const dir = await artifactsOf(model, options.out, say);
      const circuit = await readCircuit(dir, await readManifest(dir));
      const server = await serveWeb(dir, { maxThreads: Math.max(options.threads ?? 2, 2) });
      try {
        const sample = server.site.manifest.samples[0];
        if (!sample) throw new ZkinferError('DATA_MISSING', 'bench --web proves a Fashion-MNIST test image: install the data set (dataset-fashion-mnist)');
        const page = await browser.newPage();
        cores = await page.evaluate(() => navigator.hardwareConcurrency);
        const threads = options.threads ?? cores;
        await page.goto(`${server.url}?threads=${threads}&precompute=1`);
        await page.waitForFunction(() => !(document.getElementById('prove') as HTMLButtonElement).disabled || document.getElementById('status')!.className === 'bad', null, { timeout: 600_000 });
        say(`${model}: proving in the page on ${threads} thread(s)`);
        const browserRuns: number[] = [];
        for (let k = 0; k < warmups + proofs; k++) {
          const ms = await page.evaluate(async (values) => {
            const prover = (window as unknown as { zkinfer: { prover(): { prove(v: number[]): Promise<{ proveMs: number }> } } }).zkinfer.prover();
            return (await prover.prove(values)).proveMs;
          }, sample.values);
          if (k >= warmups) browserRuns.push(ms);
        }
        const pagePeakRss = await rendererPeakRss(cdp);
        await page.close();

        say(`${model}: proving in Node on ${threads} thread(s)`);
        const calculator = await loadWitnessCalculator(witnessGeneratorPath(dir, await readManifest(dir)));
        const wtns = await calculator.calculateWtns(witnessInput(circuit.model, circuit.plan, quantizeInput(sample.values, circuit.model.input), 1n));
        const prover = await Groth16Prover.load(new Uint8Array(await fs.readFile(path.join(dir, 'keys', 'model.zkey'))), model, nodePlatform, { threads });
        const nodeRuns: number[] = [];
        try {
          for (let k = 0; k < warmups + proofs; k++) {
            const result = await prover.prove(wtns.slice());
            if (k >= warmups) nodeRuns.push(result.timings.totalMs);
          }
        } finally {
          await prover.close();
        }
        const [nodeMs, browserMs] = [median(nodeRuns), median(browserRuns)];
        models.push({ model, threads, nodeMs, browserMs, nodeRuns, browserRuns, ratio: browserMs / nodeMs, ...(pagePeakRss !== undefined ? { pagePeakRss } : {}) });
      } finally {
        await server.close();
      }
    }
    const firstProof = await timeFirstProof(browser, await artifactsOf(DEFAULT_WEB_BENCH.firstProofModel, options.out, say), say);
    return { load: { start: loadStart, end: currentLoad() }, cores, models, firstProof };
  } finally {
    await browser.close();
  }
}

/** A fresh visitor (empty cache): open the page, prove the first test image, wait for the page's verdict. */
async function timeFirstProof(browser: import('playwright-core').Browser, dir: string, say: (text: string) => void): Promise<WebFirstProof> {
  const server = await serveWeb(dir);
  const context = await browser.newContext();
  try {
    say('the first proof from opening the page');
    const page = await context.newPage();
    const opened = Date.now();
    await page.goto(server.url);
    await page.waitForFunction(() => !(document.getElementById('prove') as HTMLButtonElement).disabled || document.getElementById('status')!.className === 'bad', null, { timeout: 600_000 });
    await page.click('#prove');
    await page.waitForFunction(() => document.getElementById('verified')!.textContent !== '–' || document.getElementById('stage')!.className === 'bad', null, { timeout: 600_000 });
    const fromOpenMs = Date.now() - opened;
    if ((await page.textContent('#verified')) !== 'valid proof') throw new ZkinferError('CHECK_FAILED', `the page's first proof did not verify: ${await page.textContent('#stage')}`);
    const timings = (await page.textContent('#timings')) ?? '';
    const loaded = await page.evaluate(() => {
      const prover = (window as unknown as { zkinfer: { prover(): { loaded: { downloadBytes: number; downloadMs: number; loadMs: number }; threads: number } } }).zkinfer.prover();
      return { ...prover.loaded, threads: prover.threads };
    });
    const [, witnessMs, proveMs] = /witness (\d+) ms, proof (\d+) ms/.exec(timings) ?? [];
    return {
      model: server.site.manifest.model,
      threads: loaded.threads,
      fromOpenMs,
      downloadBytes: loaded.downloadBytes,
      downloadMs: loaded.downloadMs,
      loadMs: loaded.loadMs,
      witnessMs: Number(witnessMs),
      proveMs: Number(proveMs),
    };
  } finally {
    await context.close();
    await server.close();
  }
}

/** The largest peak RSS among the browser's renderer processes (the page and its workers run in one). */
async function rendererPeakRss(cdp: import('playwright-core').CDPSession): Promise<number | undefined> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  const peaks = await Promise.all(processInfo.filter((p) => p.type === 'renderer').map((p) => peakRssOf(p.id)));
  const known = peaks.filter((p): p is number => p !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

/** The model's artifacts folder under `out`, made (quantize, compile, setup) unless already current. */
async function artifactsOf(model: string, out: string, say: (text: string) => void): Promise<string> {
  const dir = path.join(out, model);
  try {
    const { openArtifacts } = await import('../pipeline/artifacts.js');
    await openArtifacts(dir, ['quantize', 'compile', 'setup']);
    return dir;
  } catch {
    say(`${model}: quantize, compile, setup`);
    await quantizeStep({ model: zooModelPath(model), out: dir });
    await compileStep(dir);
    await setupStep(dir);
    return dir;
  }
}
