/**
 * The soundness audit (circuits/audit) on circuits the direct path builds, as `zkinfer audit` runs
 * it on a directly compiled folder: the .r1cs and .sym written by circuits/direct/write.ts, the
 * witness program, and the emitted .circom naming the templates. Graphs, table activations and an
 * attention block (LayerNorm, matmul, softmax) are sound as circom's builds of them are
 * (test/circuits/attention.test.ts, audit-models.test.ts), and a product whose constraint is
 * dropped from the direct R1CS is found.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditInputs, auditModelCircuit } from '../../circuits/audit/index.js';
import { recordDirectCircuit } from '../../circuits/direct/build.js';
import { writeDirectCircuit, writeDirectWitnessGenerator } from '../../circuits/direct/write.js';
import { emitCircuit } from '../../circuits/emit/index.js';
import type { DirectR1cs } from '../../circuits/direct/system.js';
import type { Visibility } from '../../circuits/visibility.js';
import type { QModel } from '../../model/ir.js';
import { describeFindings } from '../helpers/audit.js';
import { DIRECT_CASES } from '../helpers/direct-cases.js';

/** The direct build's files in a temporary folder, `change` applied to its R1CS first. */
async function auditDirect(model: QModel, visibility: Visibility, change: (r1cs: DirectR1cs) => void = () => {}) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-direct-audit-'));
  try {
    const { r1cs, program } = recordDirectCircuit(model, visibility);
    change(r1cs);
    const { source, plan } = emitCircuit(model, visibility);
    const files = { r1cs: path.join(dir, 'model.r1cs'), sym: path.join(dir, 'model.sym'), circom: path.join(dir, 'model.circom'), witness: path.join(dir, 'model.witness.bin') };
    await fs.writeFile(files.circom, source);
    await writeDirectCircuit(r1cs, files);
    await writeDirectWitnessGenerator(files.witness, model, visibility, r1cs, program);
    return await auditModelCircuit(model, files, { plan, inputs: auditInputs(model, 2, 7) });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const caseNamed = (start: string) => DIRECT_CASES.find((c) => c.name.startsWith(start))!;

describe('the audit on direct builds', () => {
  for (const start of ['residual', 'element-wise product', 'a table activation on a residual sum', 'a quantized self-attention block', 'RMSNorm', 'a softmax of the logits']) {
    it(`${start}: sound, no attack accepted`, async () => {
      const c = caseNamed(start);
      const report = await auditDirect(c.model(), c.visibilities[0]!);
      expect(report.ok, describeFindings(report)).toBe(true);
      for (const counts of Object.values(report.attacks)) expect(counts.accepted).toBe(0);
    }, 600_000);
  }

  it('a matmul product whose constraint is dropped is found', async () => {
    const c = caseNamed('a quantized self-attention block');
    const model = c.model();
    const scores = model.ops.findIndex((op) => op.kind === 'matmul');
    const report = await auditDirect(model, c.visibilities[0]!, (r1cs) => {
      const product = r1cs.names.findIndex((name) => name.startsWith(`op${scores}_prod[`));
      expect(product, 'the first score product is a kept wire').toBeGreaterThan(0);
      const at = r1cs.constraints.findIndex(([, , cc]) => cc.has(product) && cc.size === 1);
      expect(at, 'the product has its own constraint, a·b = product').not.toBe(-1);
      r1cs.constraints.splice(at, 1);
    });
    expect(report.ok).toBe(false);
    expect(report.findings.some((f) => f.component === `op${scores}` || f.signal.startsWith(`op${scores}_prod`)), describeFindings(report)).toBe(true);
  }, 600_000);
});
