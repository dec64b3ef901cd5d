/**
 * Recording a proof from the page (issue 21) through the model's InferenceRegistry on `hardhat
 * node` (127.0.0.1): the page says clearly when the model has no registry and when there is no
 * wallet, records with an RPC URL and a development key, and with an injected EIP-1193 wallet
 * (a provider object that forwards to the node, whose accounts are unlocked), and refuses to
 * record one inference twice. Its circuit is compiled with circom (the other page tests prove
 * directly compiled circuits, the default), so the page runs circom's witness program too.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployStep, exportVerifierStep } from '../../pipeline/contracts.js';
import { serveWeb } from '../../pipeline/web.js';
import { DEV_KEY, freePort, startHardhatNode } from '../helpers/hardhat-node.js';
import { launchChromium, waitForProver, zooArtifacts } from '../helpers/web-page.js';

let tmp: string;
let dir: string;
let rpc: string;
let node: ChildProcess;
let browser: Browser;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-web-record-'));
  const port = await freePort();
  rpc = `http://127.0.0.1:${port}`;
  [node] = await Promise.all([
    startHardhatNode(port),
    (async () => {
      dir = await zooArtifacts('mlp_196_25_10', tmp, 'mlp', 'circom');
      await exportVerifierStep(dir);
    })(),
  ]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  node?.kill('SIGTERM');
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** Open the page, prove test image `sample`, click Record; resolves with the page's answer. */
async function proveAndRecord(page: Page, url: string, sample: number, fields?: { rpc: string; key: string }): Promise<string> {
  await page.goto(url);
  await waitForProver(page);
  await page.click(`#samples button[data-sample="${sample}"]`);
  await page.click('#prove');
  await page.waitForFunction(() => !(document.getElementById('record') as HTMLButtonElement).disabled, null, { timeout: 120_000 });
  return record(page, fields);
}

async function record(page: Page, fields?: { rpc: string; key: string }): Promise<string> {
  if (fields) {
    await page.fill('#rpc', fields.rpc);
    await page.fill('#key', fields.key);
  }
  await page.evaluate(() => (document.getElementById('record-status')!.textContent = ''));
  await page.click('#record');
  await page.waitForFunction(() => !['', 'Recording…'].includes(document.getElementById('record-status')!.textContent!), null, { timeout: 60_000 });
  return (await page.textContent('#record-status'))!;
}

it('says when the model has no registry, when there is no wallet, and records with an RPC URL and a key, or an injected wallet, once per inference', async () => {
  const before = await serveWeb(dir, { maxThreads: 1 });
  try {
    const page = await browser.newPage();
    expect(await proveAndRecord(page, before.url, 0)).toMatch(/This model has no InferenceRegistry deployment in its artifacts: deploy and register it \(zkinfer deploy DIR/);
    await page.close();
  } finally {
    await before.close();
  }

  await deployStep(dir, { rpc, privateKey: DEV_KEY });
  const server = await serveWeb(dir, { maxThreads: 1 });
  try {
    expect(server.site.manifest.registry).toMatchObject({ chainId: 31337, modelId: '0' });
    const page = await browser.newPage();
    expect(await proveAndRecord(page, server.url, 0)).toMatch(/^No wallet found: this browser has no injected wallet \(EIP-1193, window\.ethereum\)/);
    expect(await record(page, { rpc, key: DEV_KEY })).toMatch(/^Recorded in block \d+ \(transaction 0x[0-9a-f]{64}\)\.$/);
    expect(await record(page)).toMatch(/^Already recorded \(inference 0x[0-9a-f]{64}, by 0x[0-9a-fA-F]{40}\)\.$/);
    await page.close();

    // An injected wallet: EIP-1193's request() forwarded to the node, which signs for its unlocked accounts.
    const wallet = await browser.newPage();
    await wallet.addInitScript((url) => {
      let id = 0;
      (window as unknown as { ethereum: unknown }).ethereum = {
        async request({ method, params }: { method: string; params?: unknown[] }) {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: method === 'eth_requestAccounts' ? 'eth_accounts' : method, params: params ?? [] }) });
          const answer = (await response.json()) as { result?: unknown; error?: { message: string; code: number; data?: unknown } };
          if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
          return answer.result;
        },
      };
    }, rpc);
    expect(await proveAndRecord(wallet, server.url, 1)).toMatch(/^Recorded in block \d+ \(transaction 0x[0-9a-f]{64}\)\.$/);
    await wallet.close();
  } finally {
    await server.close();
  }
});
