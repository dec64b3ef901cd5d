/**
 * LayerNorm and RMSNorm in the circuit (model/norm.ts, circuits/templates/table.circom Norm): the
 * circuit equals the reference on every row of small codes, costs what the cost model says, and a
 * witness whose reciprocal square root is off by one (or is the field's other solution) satisfies
 * no R1CS; the library audit finds nothing.
 */
import * as fs from 'node:fs/promises';
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
import { QMODEL_FORMAT, type QModel } from '../../model/ir.js';
import { type NormMode, planNorm } from '../../model/norm.js';
import { runReference } from '../../model/reference.js';
import { describeFindings } from '../helpers/audit.js';
import { compileModel } from '../helpers/circuits.js';
import { randomDenseModel, randomInputs, seededRng } from '../helpers/random.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { opCost } from '../../circuits/plan.js';
import type { FloatModel } from '../../model/float.js';

const VISIBILITY = { input: 'private', output: 'public', params: 'fixed' } as const;

/** An identity dense layer (the values as they come from one), then the norm along rows of rowSize. */
function normModel(mode: NormMode, rowSize: number, rows: number, bits: number, epsilon: number): QModel {
  const n = rowSize * rows;
  const scale = 1 / 2 ** (bits - 1);
  return {
    format: QMODEL_FORMAT,
    name: `${mode} norm`,
    input: { shape: [n], bits, signed: true, scale },
    ops: [
      { kind: 'dense', name: 'values', inputSize: n, outputSize: n, weights: Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => (i === j ? 1 : 0))), bias: new Array<number>(n).fill(0), scale: new Array<number>(n).fill(scale) },
      { kind: 'norm', name: 'norm', ...planNorm(mode, rowSize, epsilon, scale, 2 ** (bits - 1)) },
    ],
    quantization: { weightBits: 8, activationBits: bits, ranges: 'weights', calibrationSamples: 0 },
  };
}

/** Every row of rowSize codes of `bits` bits, in order. */
function everyRow(rowSize: number, bits: number): number[][] {
  const codes = Array.from({ length: 2 ** bits }, (_, i) => i - 2 ** (bits - 1));
  let rows: number[][] = [[]];
  for (let k = 0; k < rowSize; k++) rows = rows.flatMap((row) => codes.map((c) => [...row, c]));
  return rows;
}

const CASES: [NormMode, number, number, number, string][] = [
  ['layer', 3, 4, 1e-5, 'LayerNorm, rows of 3 codes of 4 bits, a tiny epsilon (1 unit: constant rows)'],
  ['layer', 2, 5, 0.01, 'LayerNorm, rows of 2 codes of 5 bits, epsilon 0.01'],
  ['rms', 2, 6, 1e-3, 'RMSNorm, rows of 2 codes of 6 bits'],
];
const ROWS = 32;

describe('norms: circuit = reference on every row', () => {
  for (const [mode, rowSize, bits, epsilon, what] of CASES) {
    it(`${what}; the cost model is exact`, async () => {
      const model = normModel(mode, rowSize, ROWS, bits, epsilon);
      const circuit = await compileModel(model, VISIBILITY);
      expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
      const rows = everyRow(rowSize, bits);
      for (let at = 0; at < rows.length; at += ROWS) {
        const chunk = rows.slice(at, at + ROWS);
        while (chunk.length < ROWS) chunk.push(rows[0]!);
        const input = chunk.flat();
        const reference = runReference(model, input);
        const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
        expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
        const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn));
        expect(outputs.logits, `rows from ${chunk[0]}`).toEqual(reference.logits.map(BigInt));
      }
    });
  }
});

describe('a norm of wide values (a sum of squares past 2^53)', () => {
  it('LayerNorm and RMSNorm over rows of 3 values up to ±2^27: circuit = reference, the reference exact; the cost model is exact; the audit finds nothing', async () => {
    // 16-bit inputs times 2^12 (a dense op's weight): codes up to ±2^27, rows whose Σ D² passes 2^53.
    const [bits, gain, rowSize, rows] = [16, 4096, 3, 4];
    const n = rowSize * rows;
    const [lo, hi] = [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
    const inputs = [
      [lo, hi, lo, hi, hi, lo, 5, 5, 5, hi, 0, -1],
      [hi, hi, lo, lo, lo, 0, 1234, -30001, 29999, -7, 7, 0],
    ];
    for (const mode of ['layer', 'rms'] as const) {
      const scale = 1 / 2 ** (bits - 1);
      const model: QModel = {
        format: QMODEL_FORMAT,
        name: `wide ${mode} norm`,
        input: { shape: [n], bits, signed: true, scale },
        ops: [
          { kind: 'dense', name: 'values', inputSize: n, outputSize: n, weights: Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, i) => (i === j ? gain : 0))), bias: new Array<number>(n).fill(0), scale: new Array<number>(n).fill(scale / gain) },
          { kind: 'norm', name: 'norm', ...planNorm(mode, rowSize, 1e-5, scale / gain, gain * 2 ** (bits - 1)) },
        ],
        quantization: { weightBits: 14, activationBits: bits, ranges: 'weights', calibrationSamples: 0 },
      };
      const norm = model.ops[1]!;
      if (norm.kind !== 'norm') throw new Error('the second op is the norm');
      // The reference against bigints throughout, row by row; the first row's Σ D² passes 2^53.
      const exact = (x: number[]) => {
        const values = x.map((v) => BigInt(v * gain));
        const sum = values.reduce((a, b) => a + b, 0n);
        const d = values.map((v) => (mode === 'layer' ? BigInt(rowSize) * v - sum : v));
        const v = d.reduce((a, b) => a + b * b, BigInt(norm.epsilon));
        // The largest r with r² v <= 2^(2K), by bisection.
        let [r, above] = [0n, (1n << BigInt(norm.rsqrtBits)) + 1n];
        while (above - r > 1n) {
          const mid = (r + above) / 2n;
          if (mid * mid * v <= 1n << BigInt(2 * norm.rsqrtBits)) r = mid;
          else above = mid;
        }
        return { v, y: d.map((di) => Number(di * r)) };
      };
      expect(exact(inputs[0]!.slice(0, rowSize)).v).toBeGreaterThan(2n ** 53n);
      const circuit = await compileModel(model, VISIBILITY);
      expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
      for (const input of inputs) {
        const reference = runReference(model, input);
        const expected = Array.from({ length: rows }, (_, r) => exact(input.slice(r * rowSize, (r + 1) * rowSize)).y).flat();
        expect(reference.logits, `${mode}: ${input}`).toEqual(expected);
        const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
        expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
        const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn));
        expect(outputs.logits, `${mode}: ${input}`).toEqual(reference.logits.map(BigInt));
      }
      const report = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: inputs.map((values, k) => ({ name: `wide rows ${k}`, values })) });
      expect(report.ok, describeFindings(report)).toBe(true);
      for (const counts of Object.values(report.attacks)) expect(counts.accepted).toBe(0);
    }
  });
});

describe('norms: a tampered reciprocal square root satisfies no R1CS', () => {
  it('r ± 1, r ± 2^k, the field negation and zero, on LayerNorm and RMSNorm rows (a constant row too): rejected', async () => {
    for (const mode of ['layer', 'rms'] as const) {
      const model = normModel(mode, 3, 2, 6, 1e-5);
      const input = [-30, 7, 31, 5, 5, 5];
      const circuit = await compileModel(model, VISIBILITY);
      const honest = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
      expect(firstViolatedConstraint(circuit.r1cs, honest)).toBe(-1);
      const signals = readSignals(await fs.readFile(circuit.files.sym, 'utf8'));
      const index = indexConstraints(circuit.r1cs);
      const workspace = new Workspace(index, analyzeDataflow(index, honest), honest);
      const p = circuit.r1cs.prime;
      for (const row of [0, 1]) {
        const wire = signals.get(`op1_nm[${row}].r`)!;
        expect(wire).toBeGreaterThan(0);
        const r = honest[wire]!;
        for (const forged of [r + 1n, r - 1n, r + 256n, r - 256n, p - r, 0n]) {
          const tampered = workspace.tamper(new Map([[wire, ((forged % p) + p) % p]]));
          workspace.restore();
          expect(tampered.violated.length, `${mode} row ${row}: r = ${forged} instead of ${r}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('the library audit finds nothing', async () => {
    for (const mode of ['layer', 'rms'] as const) {
      const model = normModel(mode, 3, 2, 6, 1e-5);
      const circuit = await compileModel(model, VISIBILITY);
      const report = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: [...auditInputs(model, 3, 9), { name: 'a constant row', values: [-30, 7, 31, 5, 5, 5] }] });
      expect(report.ok, describeFindings(report)).toBe(true);
      for (const counts of Object.values(report.attacks)) expect(counts.accepted).toBe(0);
      expect(report.templates.find((t) => t.template === 'Norm')?.instances).toBe(2);
    }
  });
});

describe('a quantized LayerNorm and RMSNorm MLP', () => {
  it('10 → 12 → norm → 3: the circuit equals the reference, the audit finds nothing; constraints per normalised value', async () => {
    for (const mode of ['layer', 'rms'] as const) {
      const float: FloatModel = randomDenseModel(seededRng(23), [10, 12, 3]);
      const gamma = Float64Array.from({ length: 12 }, (_, j) => 0.5 + j / 12);
      const beta = Float64Array.from({ length: 12 }, (_, j) => (j - 6) / 10);
      float.layers.splice(1, 0, { kind: 'norm', name: `${mode}_norm`, mode, size: 12, epsilon: 1e-3, gamma, beta });
      const inputs = randomInputs(seededRng(24), 16, 10);
      const { model } = quantizeModel(float, { calibration: inputs });
      expect(model.ops.map((o) => o.kind)).toEqual(['dense', 'rescale', 'norm', 'add', 'rescale', 'dense', 'argmax']);
      const circuit = await compileModel(model, VISIBILITY);
      expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
      for (const x of inputs.slice(0, 4)) {
        const q = x.map((v) => Math.round(v * 255));
        const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, q, 0n));
        expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
        const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn));
        const reference = runReference(model, q);
        expect(outputs.logits).toEqual(reference.logits.map(BigInt));
        expect(outputs.label).toBe(reference.label);
      }
      const norm = circuit.plan.ops[2]!;
      const affine = circuit.plan.ops[4]!;
      console.log(`${mode} norm over 12 values: ${opCost(norm)} constraints (${(opCost(norm) / 12).toFixed(1)} per value, rsqrt to 2^${norm.kind === 'norm' ? norm.rsqrtBits : '?'}), gamma/beta requantization ${opCost(affine)} (${(opCost(affine) / 12).toFixed(1)} per value); the model ${circuit.r1cs.constraints.length}`);
      const report = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: auditInputs(model, 2, 3) });
      expect(report.ok, describeFindings(report)).toBe(true);
    }
  });
});
