/**
 * The audit catches real bugs: deliberately unsound templates (test/fixtures/circuits/unsound/)
 * are reported with the template, the signal and the attack that breaks them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.js';
import { auditCircuit } from '../../circuits/audit/index.js';
import { readR1cs } from '../../circuits/r1cs.js';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { auditSource, describeFindings } from '../helpers/audit.js';
import { compileSource } from '../helpers/circuits.js';

const fixture = (name: string) => fs.readFile(path.join(packageRoot(), 'test', 'fixtures', 'circuits', 'unsound', name), 'utf8');

describe('the audit on deliberately unsound templates', () => {
  it('reports a remainder range-checked in one bit too many: quotient - 1, remainder + 2^shift', async () => {
    const report = await auditSource(await fixture('loose-remainder.circom'), [{ x: 1000 }, { x: 37 }]);
    expect(report.ok).toBe(false);
    // q - 1 makes the remainder r + 16, which the 5-bit check accepts.
    expect(report.findings, describeFindings(report)).toContainEqual(
      expect.objectContaining({ kind: 'accepted', template: 'LooseRequantize', signal: 'q', attack: '+p-1 (that is, -1)', outputs: [expect.objectContaining({ name: 'q' })] }),
    );
  });

  it('reports a ReLU whose sign is an unchecked hint', async () => {
    const report = await auditSource(await fixture('hinted-relu.circom'), [{ x: 1000 }, { x: 5 }], { includes: [] });
    expect(report.ok).toBe(false);
    expect(report.findings, describeFindings(report)).toContainEqual(
      expect.objectContaining({ kind: 'accepted', template: 'HintedRelu', signal: 'positive', outputs: [{ name: 'out', honest: '1000', tampered: '0' }] }),
    );
  });

  it('reports an output that no constraint mentions', async () => {
    const report = await auditSource(await fixture('free-output.circom'), [{ x: 3 }], { includes: [] });
    expect(report.ok).toBe(false);
    const found = report.findings.map((f) => [f.kind, f.template, f.signal]);
    expect(found).toEqual(expect.arrayContaining([['unconstrained', 'FreeDouble', 'twice'], ['untied-output', 'FreeDouble', 'twice'], ['accepted', 'FreeDouble', 'twice']]));
    // y = x * x is tied to the input: nothing is reported about it.
    expect(report.findings.filter((f) => f.signal === 'y')).toEqual([]);
  });
});

describe('the audit on broken honest witnesses', () => {
  it('reports a witness that does not satisfy the circuit instead of attacking it', async () => {
    const source = await fixture('hinted-relu.circom');
    const { files } = await compileSource(source, []);
    const r1cs = await readR1cs(files.r1cs);
    const honest = await (await loadWitnessCalculator(files.wasm)).calculate({ x: 5 });
    const broken = [...honest];
    broken[1] = honest[1]! + 1n; // out = 6 for x = 5
    const circuit = { r1cs, sym: await fs.readFile(files.sym, 'utf8'), sources: [source] };
    const report = auditCircuit(circuit, { witnesses: [{ name: 'broken', witness: broken }, { name: 'short', witness: honest.slice(1) }] });
    expect(report.ok).toBe(false);
    expect(report.witnesses).toEqual([]);
    expect(report.findings.map((f) => [f.kind, f.witness])).toEqual([
      ['honest', 'broken'],
      ['honest', 'short'],
    ]);
  });
});
