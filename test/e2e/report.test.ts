/**
 * The fidelity report end to end: quantize with labelled calibration and held-out data, write the
 * HTML page with `zkinfer report`, and render it in headless Chromium (Debian's, through
 * playwright-core): the page loads with no errors and its charts hold the measured points.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';
import { randomInputs, writeTinyModel } from '../helpers/fixtures.js';
import { runCli } from '../helpers/node-script.js';

const CHROMIUM = '/usr/bin/chromium';

it('writes a self-contained page whose charts render in Chromium', async () => {
  const model = await writeTinyModel();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-report-'));
  const data = path.join(dir, 'data.json');
  const inputs = randomInputs(5, 80, 16);
  await fs.writeFile(data, JSON.stringify({ inputs, labels: inputs.map((x) => (x[0] > 0.5 ? 1 : 2)) }));
  const quantized = await runCli(['quantize', model, '--out', dir, '--calibrate', data, '--holdout', data, '--json'], { timeoutMs: 120_000 });
  expect(quantized.code, quantized.stderr).toBe(0);
  const q = JSON.parse(quantized.stdout);
  expect(q.holdout.fidelity.samples).toBe(80);
  expect(q.layers.map((l: { kind: string }) => l.kind)).toEqual(['dense', 'rescale', 'dense', 'argmax']);
  expect(q.overflow.maxValueBits).toBeLessThan(52);

  const page = path.join(dir, 'fidelity.html');
  const report = await runCli(['report', dir, '--out', page, '--bits', '3-7', '--json'], { timeoutMs: 120_000 });
  expect(report.code, report.stderr).toBe(0);
  const measured = JSON.parse(report.stdout);
  expect(measured.sweep.map((p: { bits: number }) => p.bits)).toEqual([3, 4, 5, 6, 7]);
  const html = await fs.readFile(page, 'utf8');
  expect(html).not.toMatch(/<script|src="http|href="http/); // self-contained, nothing fetched

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    tab.on('pageerror', (e) => problems.push(e.message));
    await tab.goto(`file://${page}`);
    expect(await tab.title()).toBe('zkinfer fidelity report: tiny_mlp');
    expect(await tab.locator('svg.chart').count()).toBe(3);
    // One point per swept width on each series; one pair of bars per layer.
    const points = await tab.locator('#constraints-vs-bits circle').count();
    expect(points).toBe(5);
    expect(await tab.locator('#accuracy-vs-bits polyline.series').count()).toBe(3); // quantized, agreement, float
    expect(await tab.locator('#error-per-layer rect.bar.worst').count()).toBe(measured.fidelity.layers.length);
    const box = await tab.locator('#constraints-vs-bits').boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(problems).toEqual([]);
    const shot = await tab.screenshot({ fullPage: true });
    expect(shot.length).toBeGreaterThan(10_000);
  } finally {
    await browser.close();
  }
});
