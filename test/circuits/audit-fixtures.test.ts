/**
 * The audit catches real bugs: deliberately unsound templates (test/fixtures/circuits/unsound/)
 * are reported with the template, the signal and the attack that breaks them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.js';
import { auditSource, describeFindings } from '../helpers/audit.js';

const fixture = (name: string) => fs.readFile(path.join(packageRoot(), 'test', 'fixtures', 'circuits', 'unsound', name), 'utf8');

describe('the audit on deliberately unsound templates', () => {
  it('reports a remainder range-checked in one bit too many: quotient - 1, remainder + 2^shift', async () => {
    const report = await auditSource(await fixture('loose-remainder.circom'), [{ x: 1000 }, { x: 37 }]);
    console.log(describeFindings(report));
    expect(report.ok).toBe(false);
  });

  it('reports a ReLU whose sign is an unchecked hint', async () => {
    const report = await auditSource(await fixture('hinted-relu.circom'), [{ x: 1000 }, { x: 5 }], { includes: [] });
    console.log(describeFindings(report));
    expect(report.ok).toBe(false);
  });

  it('reports an output that no constraint mentions', async () => {
    const report = await auditSource(await fixture('free-output.circom'), [{ x: 3 }], { includes: [] });
    console.log(describeFindings(report));
    expect(report.ok).toBe(false);
  });
});
