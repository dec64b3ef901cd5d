/**
 * The soundness audit on every hand-written template with each of its options: no tampered
 * witness that satisfies the constraints changes an output, every planned width is the one
 * decomposed, and each named attack actually ran (and was refused).
 */
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../circuits/audit/index.js';
import type { ComponentFacts } from '../../circuits/audit/attacks.js';
import { type InputPlan, planRequantize } from '../../circuits/plan.js';
import { auditSource, describeFindings } from '../helpers/audit.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { MAXPAIR_CASES, REQUANTIZE_CASES, argMaxCircuit, inputCommitmentCircuit, maxPairCircuit, requantizeCircuit } from '../helpers/template-circuits.js';

/** Every attack of these kinds ran at least once and was refused. */
function expectRefused(report: AuditReport, kinds: string[]): void {
  for (const kind of kinds) {
    const counts = report.attackKinds[kind];
    expect(counts?.total, `attack '${kind}' never ran`).toBeGreaterThan(0);
    expect(counts!.rejected + counts!.identical, `attack '${kind}'`).toBe(counts!.total);
  }
}

function expectSound(report: AuditReport): void {
  expect(report.ok, describeFindings(report)).toBe(true);
  expect(report.findings).toEqual([]);
  for (const family of Object.values(report.attacks)) expect(family.accepted).toBe(0);
}

describe('audit: Requantize in every mode', () => {
  // Constant results (nq = 0) are outputs tied to nothing, as they should be: a model folds them
  // into the next layer. Every other case is attacked.
  const cases = REQUANTIZE_CASES.filter(([lo, hi, shift, activation]) => planRequantize(lo, hi, shift, activation).nq > 0);
  const { source, params } = requantizeCircuit(cases);
  const n = cases.length;
  const facts = new Map<string, ComponentFacts>();
  const widths = new Map<string, number>();
  params.forEach((p, k) => {
    facts.set(`r[${k}]`, { shift: p.shift, signed: p.mode !== 0 });
    if (p.shift + p.nq >= 2) widths.set(`r[${k}]`, p.shift + p.nq);
    if (p.clipNq > 0) {
      facts.set(`r[${k}].clip`, { signed: true });
      widths.set(`r[${k}].clip`, p.clipNq);
    }
  });
  // value = in + 7; inputs at both ends, zero (the sign boundary), the rounding boundaries, random.
  const rng = seededRng(17);
  const column = ([lo, hi, shift]: (typeof cases)[number], row: number) => {
    const half = shift > 0 ? 2 ** (shift - 1) : 0;
    const picks = [lo, hi, Math.min(hi, Math.max(lo, -half)), Math.min(hi, Math.max(lo, half - 1)), randomInt(rng, lo, hi)];
    return picks[row % picks.length]! - 7;
  };
  const inputs = [0, 1, 2, 3, 4].map((row) => ({ in: cases.map((c) => column(c, row)) }));

  it('accepts no tampered witness that changes an output; the remainder cannot absorb 2^shift', async () => {
    const report = await auditSource(source, inputs, { facts, widths });
    expectSound(report);
    expectRefused(report, ['wire +1', 'wire +p-1', 'quotient - 1, remainder + 2^shift', 'quotient + 1, remainder - 2^shift', 'x + p', 'sign flipped', 'negative zero', 'clip flipped', 'range maximum', 'one past the range maximum', 'borrow', 'carry']);
    // Every value inside the templates is determined by a constraint: bits by their decomposition,
    // outputs by their constraint. circom's optimizer may substitute a top bit through the main
    // template's output, which the dataflow then takes as a prover's choice (and attacks as one).
    expect(report.templates.flatMap((t) => (t.determined.hint > 0 && t.group !== '' ? [t.group] : []))).toEqual([]);
    expect(report.templates.find((t) => t.group === 'r')).toMatchObject({ template: 'Requantize', instances: n });
    expect(report.templates.find((t) => t.group === 'r.clip')).toMatchObject({ template: 'ClipMax', instances: params.filter((p) => p.clipNq > 0).length });
    expect(params.filter((p) => p.clipNq > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('reports a decomposition that is not the planned width', async () => {
    const wrong = new Map(widths);
    wrong.set('r[0]', widths.get('r[0]')! + 1);
    const report = await auditSource(source, inputs.slice(0, 1), { facts, widths: wrong });
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'width', template: 'Requantize', component: 'r[0]' })]);
  });
});

describe('audit: MaxPair', () => {
  const cases = MAXPAIR_CASES;
  const { source, pairs } = maxPairCircuit(cases);

  it('cannot take the other operand, on either side of the comparison and at a tie', async () => {
    const inputs = [
      { a: cases.map(([a]) => a[1]), b: cases.map(([, b]) => b[0]) },
      { a: cases.map(([a]) => a[0]), b: cases.map(([, b]) => b[1]) },
      { a: [7, 25, 0, 1], b: [7, 0, 0, 1] },
    ];
    const widths = new Map(pairs.flatMap((p, k) => (p.mode === 2 ? [[`m[${k}]`, p.nq] as const] : [])));
    const facts = new Map([...widths.keys()].map((c) => [c, { signed: true }]));
    const report = await auditSource(source, inputs, { widths, facts });
    expectSound(report);
    expectRefused(report, ['the other operand', 'negative zero', 'x + p', 'range maximum']);
  });
});

describe('audit: ArgMax', () => {
  const n = 5;
  const source = argMaxCircuit(n, 12);

  it('cannot name another index, on ties and non-ties', async () => {
    const inputs = [{ in: [0, 9, 2, 9, 9] }, { in: [5, 4, 3, 2, 1] }, { in: [-2047, 2047, 0, 2047, -2047] }, { in: [7, 7, 7, 7, 7] }];
    const widths = new Map(Array.from({ length: n }, (_, i) => [`gap[${i}]`, 12] as const));
    const report = await auditSource(source, inputs, { widths });
    expectSound(report);
    expectRefused(report, ['argmax: a later tied index', 'argmax: another index', 'hint ±2^k', 'hint negated']);
    // The label (or the choice it is read from) is the prover's hint, held only by the gap checks.
    expect(report.outputs).toEqual([expect.objectContaining({ name: 'label', tied: true })]);
  });
});

describe('audit: InputCommitment', () => {
  const plan: InputPlan = { size: 20, bits: 5, min: -16, perElement: 7, hashed: 4 };
  const source = inputCommitmentCircuit(plan);

  it('refuses every input outside its range, and nothing else changes the commitment', async () => {
    const rng = seededRng(23);
    const inputs = [
      { in: new Array(plan.size).fill(-16), salt: 0 },
      { in: Array.from({ length: plan.size }, () => randomInt(rng, -16, 15)), salt: 99 },
    ];
    // Inputs are wires 2 .. 1 + size (after the one output), the salt last.
    const inputRanges = new Map(Array.from({ length: plan.size }, (_, i) => [2 + i, { min: -16n, max: 15n }] as const));
    const widths = new Map(Array.from({ length: plan.size }, (_, i) => [`pack.range[${i}]`, plan.bits] as const));
    const report = await auditSource(source, inputs, { inputRanges, widths });
    expectSound(report);
    expectRefused(report, ['input one past its maximum', 'input one below its minimum', 'wire +1', 'range maximum']);
    expect(report.attackKinds['input one past its maximum']!.total).toBe(2 * plan.size);
    expect(report.templates.map((t) => t.template)).toEqual(expect.arrayContaining(['InputCommitment', 'RangeCheck', 'Poseidon']));
  });
});
