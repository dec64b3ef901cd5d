/**
 * Softmax in the circuit (model/softmax.ts, circuits/templates/table.circom Softmax): the circuit's
 * probabilities equal the reference on every pair of 6-bit logits, through each way the exp table
 * is planned (saturating beyond the table, a sub-table, a shift that rounds); its cost is the cost
 * model's; and a witness whose division or maximum hint is tampered with satisfies no R1CS.
 */
import { describe, expect, it } from 'vitest';
import { auditInputs, auditModelCircuit } from '../../circuits/audit/index.js';
import { indexConstraints } from '../../circuits/audit/constraints.js';
import { analyzeDataflow } from '../../circuits/audit/dataflow.js';
import { Workspace } from '../../circuits/audit/propagate.js';
import { readSignals } from '../../circuits/audit/symbols.js';
import { decodePublicSignals } from '../../circuits/layout.js';
import { totalCost } from '../../circuits/plan.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { witnessInput } from '../../circuits/signals.js';
import * as fs from 'node:fs/promises';
import { QMODEL_FORMAT, type QModel } from '../../model/ir.js';
import { runReference } from '../../model/reference.js';
import { planSoftmax } from '../../model/softmax.js';
import { describeFindings } from '../helpers/audit.js';
import { compileModel } from '../helpers/circuits.js';

const PROBABILITIES = { input: 'private', output: 'probabilities', params: 'fixed' } as const;
const INPUT_BITS = 6;
/** Rows of two: 32 rows per witness, 128 witnesses cover every pair of 6-bit logits. */
const ROWS = 32;

/** logits = the input (an identity dense layer), their softmax by rows of rowSize, and the argmax of the logits. */
export function softmaxModel(scale: number, rowSize: number, rows: number): QModel {
  const n = rowSize * rows;
  const { table, ...params } = planSoftmax(rowSize, scale);
  return {
    format: QMODEL_FORMAT,
    name: `softmax at ${scale}`,
    input: { shape: [n], bits: INPUT_BITS, signed: true, scale },
    ops: [
      { kind: 'dense', name: 'logits', inputSize: n, outputSize: n, weights: Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => (i === j ? 1 : 0))), bias: new Array<number>(n).fill(0), scale: new Array<number>(n).fill(scale) },
      { kind: 'softmax', name: 'softmax', inputs: [0], ...params, table },
      { kind: 'argmax', name: 'argmax', inputs: [0] },
    ],
    quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 },
  };
}

/** The plans the scales are there for: [exp bits of q, index bits, saturating, shift]. */
const CASES: [number, string, [number, number, number, number]][] = [
  [1, 'beyond the table: saturated to 0', [7, 5, 1, 0]],
  [1 / 8, 'a sub-table', [7, 7, 0, 0]],
  [1 / 1024, 'a shift of 3 that rounds', [4, 4, 0, 3]],
];

describe('softmax: circuit = reference on every pair of 6-bit logits', () => {
  for (const [scale, what, shape] of CASES) {
    it(`scale ${scale}: ${what}; the cost model is exact`, async () => {
      const model = softmaxModel(scale, 2, ROWS);
      const circuit = await compileModel(model, PROBABILITIES);
      const plan = circuit.plan.ops[1]!;
      if (plan.kind !== 'softmax') throw new Error('no softmax plan');
      expect([plan.exp.nq, plan.exp.k, plan.exp.clamp, plan.exp.shift]).toEqual(shape);
      expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
      const values = Array.from({ length: 2 ** INPUT_BITS }, (_, i) => i - 2 ** (INPUT_BITS - 1));
      const pairs = values.flatMap((a) => values.map((b) => [a, b]));
      for (let at = 0; at < pairs.length; at += ROWS) {
        const input = pairs.slice(at, at + ROWS).flat();
        const reference = runReference(model, input);
        const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
        expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
        const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn));
        expect(outputs.probabilities, `pairs from ${pairs[at]}`).toEqual(reference.probabilities!.map(BigInt));
        expect(outputs.label).toBe(reference.label);
      }
    });
  }
});

describe('softmax: tampered hints satisfy no R1CS', () => {
  // Two rows of three at 1/8: [5, -3, 5] (a tie at the maximum) and [-20, 31, 0].
  const model = softmaxModel(1 / 8, 3, 2);
  const input = [5, -3, 5, -20, 31, 0];

  async function setup() {
    const circuit = await compileModel(model, PROBABILITIES);
    const honest = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
    expect(firstViolatedConstraint(circuit.r1cs, honest)).toBe(-1);
    const signals = readSignals(await fs.readFile(circuit.files.sym, 'utf8'));
    const wire = (name: string) => {
      const w = signals.get(name);
      if (w === undefined || w < 0) throw new Error(`no wire for ${name}`);
      return w;
    };
    const index = indexConstraints(circuit.r1cs);
    const workspace = new Workspace(index, analyzeDataflow(index, honest), honest);
    const p = circuit.r1cs.prime;
    /** Force wires (values mod p), let everything downstream be re-solved as a cheating prover would: the constraints it breaks. */
    const tamper = (forced: [string, bigint][]) => {
      const result = workspace.tamper(new Map(forced.map(([name, v]) => [wire(name), ((v % p) + p) % p])));
      workspace.restore();
      return result.violated;
    };
    return { circuit, honest, wire, tamper, p };
  }

  it('the quotient ±1 with the remainder moved by S, a remainder past S, a remainder wrapped below 0, a field-inverse quotient: all rejected', async () => {
    const { honest, wire, tamper, p } = await setup();
    const reference = runReference(model, input);
    const unit = 2n ** 16n;
    const inverse = (a: bigint) => {
      let [x, y, u, v] = [((a % p) + p) % p, p, 1n, 0n];
      while (x !== 0n) [x, y, u, v] = [y % x, x, v - (y / x) * u, u];
      return ((v % p) + p) % p;
    };
    for (const [r, i] of [[0, 0], [0, 1], [1, 1], [1, 2]] as const) {
      const row = `op1_sm[${r}]`;
      // The quotient is the public probability (circom merges the two signals).
      const quotient = `probabilities[${r * 3 + i}]`;
      const remainder = `${row}.remainder[${i}]`;
      const q = honest[wire(quotient)]!;
      const rem = honest[wire(remainder)]!;
      const exp = honest[wire(`${row}.e[${i}].out`)]!;
      const sum = [0, 1, 2].map((j) => honest[wire(`${row}.e[${j}].out`)]!).reduce((a, b) => a + b, 0n);
      expect(q).toBe(BigInt(reference.probabilities![r * 3 + i]!));
      expect(exp * unit).toBe(q * sum + rem);
      expect(rem >= 0n && rem < sum).toBe(true);
      // quotient + 1, remainder - S: the equation holds, the remainder wraps to p - (S - rem).
      expect(tamper([[quotient, q + 1n], [remainder, rem - sum]]).length, `quotient + 1 at ${row}[${i}]`).toBeGreaterThan(0);
      // quotient - 1, remainder + S: the equation holds, the remainder is at least S.
      expect(tamper([[quotient, q - 1n], [remainder, rem + sum]]).length, `quotient - 1 at ${row}[${i}]`).toBeGreaterThan(0);
      // The remainder one more, the quotient the field's solution of the equation (e 2^16 - rem - 1) / S mod p.
      const fieldQuotient = ((((exp * unit - rem - 1n) % p) + p) % p) * inverse(sum) % p;
      expect(tamper([[quotient, fieldQuotient], [remainder, rem + 1n]]).length, `field quotient at ${row}[${i}]`).toBeGreaterThan(0);
      // Either hint alone off by one: the equation breaks.
      expect(tamper([[remainder, rem + 1n]]).length).toBeGreaterThan(0);
      expect(tamper([[quotient, q + 1n]]).length).toBeGreaterThan(0);
    }
  });

  it('a maximum that is not the maximum: rejected', async () => {
    const { honest, wire, tamper } = await setup();
    // Row 1 [-20, 31, 0]: the prover names index 0 or 2 instead of 1 (circom writes choice[2] as 1 - choice[0] - choice[1]).
    expect(honest[wire('op1_sm[1].choice[1]')]).toBe(1n);
    expect(tamper([['op1_sm[1].choice[0]', 1n], ['op1_sm[1].choice[1]', 0n]]).length, 'max named at 0').toBeGreaterThan(0);
    expect(tamper([['op1_sm[1].choice[0]', 0n], ['op1_sm[1].choice[1]', 0n]]).length, 'max named at 2').toBeGreaterThan(0);
    // Two indices named (count 2, a max of 11): rejected.
    expect(tamper([['op1_sm[1].choice[0]', 1n]]).length).toBeGreaterThan(0);
  });
});

describe('audit: softmax', () => {
  it('every attack of the library audit on two rows of three (ties, saturation, every hint): none accepted', async () => {
    const model = softmaxModel(1 / 8, 3, 2);
    const circuit = await compileModel(model, PROBABILITIES);
    const report = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: [...auditInputs(model, 4, 7), { name: 'a tie', values: [5, -3, 5, -20, 31, 0] }] });
    expect(report.ok, describeFindings(report)).toBe(true);
    for (const counts of Object.values(report.attacks)) expect(counts.accepted).toBe(0);
    for (const kind of ['hint ±2^k', 'hint zero', 'x + p', 'range maximum', 'one past the range maximum', 'quotient + 1, remainder - divisor', 'quotient - 1, remainder + divisor']) {
      expect(report.attackKinds[kind]?.total, kind).toBeGreaterThan(0);
      expect(report.attackKinds[kind]!.accepted, kind).toBe(0);
    }
    expect(report.templates.find((t) => t.template === 'Softmax')?.instances).toBe(2);
    // At least one division per probability (the attack also meets other products whose result holds a hint), on each of the 7 witnesses.
    expect(report.attackKinds['quotient - 1, remainder + divisor']!.total).toBeGreaterThanOrEqual(6 * 7);
  });
});
