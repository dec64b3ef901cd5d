/** What the browser tests share (test/e2e/web*.test.ts): Chromium, a zoo model's artifacts, and waiting on the page. */
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { compileStep, quantizeStep, setupStep } from '../../index.js';

/** Debian's Chromium (test/system-packages.mjs provisions it), without the background traffic it can spare. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...args] });
}

/** The zoo model `name` quantized, compiled and set up in `parent`/`folder`. */
export async function zooArtifacts(name: string, parent: string, folder: string, backend?: 'circom' | 'direct'): Promise<string> {
  const dir = path.join(parent, folder);
  await quantizeStep({ model: `zoo/${name}`, out: dir });
  await compileStep(dir, backend ? { backend } : {});
  await setupStep(dir);
  return dir;
}

/** Until the page can prove, or says it cannot. */
export async function waitForProver(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => !(document.getElementById('prove') as HTMLButtonElement).disabled || document.getElementById('status')!.className === 'bad', null, { timeout });
}

/** Until the page shows its verdict on the proof, or a failure. */
export async function waitForVerdict(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(() => document.getElementById('verified')!.textContent !== '–' || document.getElementById('stage')!.className === 'bad', null, { timeout });
}
