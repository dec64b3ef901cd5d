/**
 * Softmax in the circuit (model/softmax.ts, circuits/templates/table.circom Softmax): the circuit's
 * probabilities equal the reference on every pair of 6-bit logits, through each way the exp table
 * is planned (saturating beyond the table, a sub-table, a shift that rounds); its cost is the cost
 * model's; and a witness whose division or maximum hint is tampered with satisfies no R1CS.
 */
import { describe, expect, it } from 'vitest';
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
