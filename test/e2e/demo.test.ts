/**
 * `zkinfer demo`, exactly as the README tells users to run it, on the model that ships with
 * zkinfer: every check passes, the circuit agrees with the reference, and the figures it prints
 * are within the budgets.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/node-script.js';

it('runs the whole pipeline on the embedded model and passes every check', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-demo-test-'));
  const result = await runCli(['demo', '--out', out, '--json'], { timeoutMs: 900_000 });
  expect(result.timedOut).toBe(false);
  expect(result.code, result.stderr).toBe(0);
  const demo = JSON.parse(result.stdout);
  expect(demo.model).toBe('mlp_196_25_10');
  expect(demo.ok).toBe(true);
  expect(demo.checks.map((c: { ok: boolean }) => c.ok)).toEqual([true, true, true, true, true, true]);
  expect(demo.constraints).toBeLessThanOrEqual(3000);
  expect(demo.predicted.circuit).toBe(demo.predicted.quantized);
  expect(demo.predicted.circuit).toBe(demo.trueLabel); // the shipped input is one the model gets right
  expect(demo.classes).toHaveLength(10);
  for (const c of demo.classes) expect(c.circuit).toBe(c.quantized);
  expect(demo.steps.map((s: { name: string }) => s.name)).toEqual(['quantize', 'compile', 'setup', 'prove', 'verify', 'export-verifier', 'deploy', 'verify-onchain']);
  expect(Number(demo.gas.verify)).toBeGreaterThan(200_000);
  expect(Number(demo.gas.verify)).toBeLessThan(350_000);
  // The human-readable form prints the same table.
  const text = await runCli(['demo', '--out', out], { timeoutMs: 900_000 });
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toMatch(/prediction: float 9 \(Ankle boot\), quantized 9 \(Ankle boot\), circuit 9 \(Ankle boot\)/);
  expect(text.stdout).toMatch(/all checks passed/);
});
