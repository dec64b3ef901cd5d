/**
 * The soundness audit on table activations: small models with a sigmoid and with a GELU (and a
 * final sigmoid) are sound under every attack, with the table's decompositions at their planned
 * widths; and a TableActivation with its saturation check left out is caught.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AuditReport, auditInputs, auditModelCircuit } from '../../circuits/audit/index.js';
import { modelAuditFacts } from '../../circuits/audit/model.js';
import { emitCircuit } from '../../circuits/emit/index.js';
import { witnessInput } from '../../circuits/signals.js';
import { packageRoot } from '../../core/paths.js';
import type { Activation, FloatModel } from '../../model/float.js';
import type { QModel } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import type { TableFunction } from '../../model/tables.js';
import { auditSource, describeFindings } from '../helpers/audit.js';
import { compileModel } from '../helpers/circuits.js';
import { randomDenseModel, randomInputs, seededRng } from '../helpers/random.js';

/**
 * 10-6-4 with the hidden layer's activation f, and optionally a final one; calibrated on 24 inputs
 * a quarter of the input range wide, so that the worst case lies well beyond the table's domain
 * (saturation with its overflow flag; the audit's all-maximum input saturates).
 */
function tableModel(hidden: TableFunction, final?: Activation): QModel {
  const float: FloatModel = randomDenseModel(seededRng(41), [10, 6, 4]);
  float.layers[0]!.kind === 'dense' && (float.layers[0].activation = { kind: 'table', fn: hidden });
  if (final && float.layers[1]!.kind === 'dense') float.layers[1].activation = final;
  return quantizeModel(float, { calibration: randomInputs(seededRng(43), 24, 10).map((x) => x.map((v) => v / 4)) }).model;
}

function expectSound(report: AuditReport): void {
  expect(report.ok, describeFindings(report)).toBe(true);
  for (const counts of Object.values(report.attacks)) expect(counts.accepted).toBe(0);
  expect(report.templates.reduce((n, t) => n + t.unconstrained, 0)).toBe(0);
  for (const kind of ['quotient - 1, remainder + 2^shift', 'sign flipped', 'hint ±2^k', 'hint zero', 'x + p']) {
    expect(report.attackKinds[kind]?.total, kind).toBeGreaterThan(0);
    expect(report.attackKinds[kind]!.accepted, kind).toBe(0);
  }
  expect(report.templates.find((t) => t.template === 'TableActivation')?.instances).toBeGreaterThan(0);
}

describe('audit: table activations', () => {
  it('a sigmoid MLP, and a final sigmoid proven as the probability: no way to cheat', async () => {
    for (const model of [tableModel({ name: 'sigmoid' }), tableModel({ name: 'tanh' }, { kind: 'table', fn: { name: 'sigmoid' } })]) {
      const circuit = await compileModel(model);
      // The saturation with its overflow flag (a hint) is there to attack.
      expect(circuit.plan.ops.some((o) => o.kind === 'table' && o.elements.some((e) => e.nq > e.k + 1))).toBe(true);
      expectSound(await auditModelCircuit(model, circuit.files, { inputs: auditInputs(model, 1, 5) }));
    }
  });

  it('a GELU MLP: no way to cheat', async () => {
    const model = tableModel({ name: 'gelu' });
    const circuit = await compileModel(model);
    expectSound(await auditModelCircuit(model, circuit.files, { inputs: auditInputs(model, 1, 5) }));
  });

  it('finds a TableActivation whose saturation flag is left unpinned (u * (1 - over) = 0 removed)', async () => {
    // A final sigmoid: the tables' outputs are the public logits, so any changed value is a finding.
    const model = tableModel({ name: 'tanh' }, { kind: 'table', fn: { name: 'sigmoid' } });
    const { source, plan } = emitCircuit(model);
    const template = await fs.readFile(path.join(packageRoot(), 'circuits', 'templates', 'table.circom'), 'utf8');
    const check = '                u * (1 - isOver) === 0;\n';
    expect(template).toContain(check);
    const weakened = source.replace('include "table.circom";\n', template.replace('pragma circom 2.1.0;', '').replace(check, ''));
    expect(weakened).not.toBe(source);
    const inputs = auditInputs(model, 1, 5).map((input, k) => witnessInput(model, plan, input.values, BigInt(k)));
    const { facts, widths } = modelAuditFacts(model, plan, new Map());
    const report = await auditSource(weakened, inputs, { facts, widths, includes: ['zkinfer.circom', 'poseidon.circom', 'poseidon_constants.circom'] });
    expect(report.ok).toBe(false);
    // Setting the inverse hint to 0 clears the flag: the lookup at the out-of-domain code's low bits passes as the result.
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'accepted', template: 'TableActivation', attack: expect.stringMatching(/^zero/) }));
  });
});
