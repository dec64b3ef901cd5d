/**
 * The soundness audit on every hand-written template with each of its options: no tampered
 * witness that satisfies the constraints changes an output, every planned width is the one
 * decomposed, and each named attack actually ran (and was refused).
 */
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../circuits/audit/index.js';
import type { ComponentFacts } from '../../circuits/audit/attacks.js';
import { type InputPlan, type RequantizeParams, planMaxChain, planRequantize } from '../../circuits/plan.js';
import type { RescaleActivation } from '../../model/ir.js';
import { auditSource, describeFindings } from '../helpers/audit.js';
import { randomInt, seededRng } from '../helpers/random.js';

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
  const relu: RescaleActivation = { kind: 'relu' };
  const linear: RescaleActivation = { kind: 'linear' };
  const clip = (max: number): RescaleActivation => ({ kind: 'relu', max: [max] });
  const leaky: RescaleActivation = { kind: 'leaky', numerator: 77, bits: 8 };
  const cases: [number, number, number, RescaleActivation][] = [
    [-1000, 1000, 3, relu],
    [-1000, 1000, 3, linear],
    [-5, 700, 0, relu],
    [16, 300, 4, relu],
    [-129, 126, 1, linear],
    [-40, 39, 6, linear],
    [-(2 ** 40), 2 ** 40, 20, relu],
    [-1000, 1000, 3, clip(60)],
    [16, 1000, 2, clip(50)],
    [-1000, 1000, 3, leaky],
    [10, 500, 1, leaky],
  ];
  const params: RequantizeParams[] = cases.map(([lo, hi, shift, activation]) => planRequantize(lo, hi, shift, activation));
  const n = cases.length;
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
template T() {
    signal input in[${n}];
    signal output out[${n}];
    component r[${n}];
${params
  .map((p, k) => {
    const a = cases[k]![3];
    const [num, bits] = a.kind === 'leaky' ? [a.numerator, a.bits] : [0, 0];
    return `    r[${k}] = Requantize(2, [3, -2], -7, ${p.shift}, ${p.nq}, ${p.offset}, ${p.mode}, ${num}, ${bits}, ${p.clipNq}, ${p.clipMax});
    r[${k}].x[0] <== in[${k}];
    r[${k}].x[1] <== in[${k}] - 7;
    out[${k}] <== r[${k}].out;`;
  })
  .join('\n')}
}
component main = T();
`;
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
    expect(report.templates.find((t) => t.group === 'r.clip')).toMatchObject({ template: 'ClipMax', instances: 2 });
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
  const cases: [[number, number], [number, number]][] = [
    [[-100, 100], [-50, 70]],
    [[20, 30], [-5, 19]],
    [[-9, 0], [0, 4]],
    [[0, 1], [0, 1]],
  ];
  const pairs = cases.map(([a, b]) => planMaxChain([{ lo: b[0], hi: b[1] }, { lo: a[0], hi: a[1] }])[0]!);
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
template T() {
    signal input a[${cases.length}];
    signal input b[${cases.length}];
    signal output out[${cases.length}];
    component m[${cases.length}];
${pairs.map((p, k) => `    m[${k}] = MaxPair(${p.nq}, ${p.mode});\n    m[${k}].a <== a[${k}];\n    m[${k}].b <== b[${k}];\n    out[${k}] <== m[${k}].out;`).join('\n')}
}
component main {public [a, b]} = T();
`;

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
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
component main = ArgMax(${n}, 12);
`;

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
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
component main = InputCommitment(${plan.size}, ${plan.bits}, ${plan.min}, ${plan.perElement});
`;

  it('refuses every input outside its range, and nothing else changes the commitment', async () => {
    const rng = seededRng(23);
    const inputs = [
      { in: new Array(plan.size).fill(-16), salt: 0 },
      { in: Array.from({ length: plan.size }, () => randomInt(rng, -16, 15)), salt: 99 },
    ];
    // Inputs are wires 2 .. 1 + size (after the one output), the salt last.
    const inputRanges = new Map(Array.from({ length: plan.size }, (_, i) => [2 + i, { min: -16n, max: 15n }] as const));
    const widths = new Map(Array.from({ length: plan.size }, (_, i) => [`range[${i}]`, plan.bits] as const));
    const report = await auditSource(source, inputs, { inputRanges, widths });
    expectSound(report);
    expectRefused(report, ['input one past its maximum', 'input one below its minimum', 'wire +1', 'range maximum']);
    expect(report.attackKinds['input one past its maximum']!.total).toBe(2 * plan.size);
    expect(report.templates.map((t) => t.template)).toEqual(expect.arrayContaining(['InputCommitment', 'RangeCheck', 'Poseidon']));
  });
});
