/**
 * Table activations (model/tables.ts, circuits/templates/table.circom): for every function, the
 * circuit equals the reference interpreter on EVERY input of its test circuit, and so on every code
 * of the table's domain (sigmoid and reciprocal through each way the template can be planned: saturating with two extra
 * bits or one, the whole table, a sub-table, a constant; the others through the saturating plan); and it costs what the cost model says.
 */
import { describe, expect, it } from 'vitest';
import { decodePublicSignals } from '../../circuits/layout.js';
import { totalCost } from '../../circuits/plan.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { witnessInput } from '../../circuits/signals.js';
import { QMODEL_FORMAT, type QModel, type TableOp } from '../../model/ir.js';
import { runReference } from '../../model/reference.js';
import { type TableFunction, buildTable } from '../../model/tables.js';
import { compileModel } from '../helpers/circuits.js';

const BITS = 8;
/** Inputs of 11 signed bits: x in [-1024, 1023]. */
const INPUT_BITS = 11;
/**
 * One value per shift; with x in [-1024, 1023] the codes q span: shift 2, [-256, 256] (the domain
 * and beyond: two extra bits, saturated); 3, [-128, 128] (one extra bit); 4, [-64, 64] (the whole
 * table, no saturation); 5, [-32, 32] (a 7-bit sub-table); 8, [-4, 4]; 12, {0} (a constant).
 */
const SHIFTS = [2, 3, 4, 5, 8, 12];
/**
 * Every plan shape is checked on two functions; the others, whose circuits differ only in the
 * table's constants, on shift 2 alone, which meets every code of the domain and both saturated sides.
 */
const EVERY_PLAN: ReadonlySet<string> = new Set(['sigmoid', 'reciprocal']);
const shiftsOf = (fn: TableFunction) => (EVERY_PLAN.has(fn.name) ? SHIFTS : SHIFTS.slice(0, 1));
/** Copies of those values per witness, each given another input: 2048 / COPIES witnesses cover every input. */
const COPIES = 64;

/** Each function at scales where its table is far from trivial. */
const FUNCTIONS: [TableFunction, number, number][] = [
  [{ name: 'sigmoid' }, 8 / 128, 1 / 255],
  [{ name: 'tanh' }, 4 / 128, 1 / 127],
  [{ name: 'gelu' }, 6 / 128, 6 / 128],
  [{ name: 'geluTanh' }, 6 / 128, 6 / 128],
  [{ name: 'silu' }, 6 / 128, 6 / 128],
  [{ name: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, 4 / 128, 1 / 255],
  [{ name: 'hardSwish' }, 6 / 128, 6 / 128],
  [{ name: 'elu', alpha: 1 }, 4 / 128, 4 / 128],
  [{ name: 'softplus' }, 6 / 128, 6 / 128],
  [{ name: 'exp' }, 8 / 128, 1 / 256],
  [{ name: 'reciprocal' }, 1 / 16, 1 / 256],
];

function tableModel(fn: TableFunction, inScale: number, outScale: number): QModel {
  const shifts = shiftsOf(fn);
  const op: TableOp = { kind: 'table', name: fn.name, fn, shift: Array.from({ length: COPIES }, () => shifts).flat(), bits: BITS, inScale, outScale, table: buildTable(fn, BITS, inScale, outScale) };
  return {
    format: QMODEL_FORMAT,
    name: `table ${fn.name}`,
    input: { shape: [shifts.length * COPIES], bits: INPUT_BITS, signed: true, scale: 1 },
    ops: [op],
    quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 },
  };
}

describe('table activations: circuit = reference on every input', () => {
  for (const [fn, inScale, outScale] of FUNCTIONS) {
    const shifts = shiftsOf(fn);
    it(`${fn.name}: all ${2 ** INPUT_BITS} inputs, through ${shifts.length > 1 ? 'every plan' : 'the saturating plan'}; the cost model is exact`, async () => {
      const model = tableModel(fn, inScale, outScale);
      const circuit = await compileModel(model);
      const plans = (circuit.plan.ops[0] as Extract<(typeof circuit.plan.ops)[number], { kind: 'table' }>).elements;
      // A constant result costs nothing in a model (the next layer takes the constant); here it is
      // a public output of its own, held by one linear constraint.
      expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan) + plans.filter((p) => p.nq === 0).length);
      // The plans the shifts are there for: saturating (two extra bits, one), the whole table, a sub-table, smaller, constant.
      expect(plans.slice(0, shifts.length).map((p) => [p.nq, p.k, p.clamp])).toEqual([[10, 8, 1], [9, 8, 1], [8, 8, 0], [7, 7, 0], [4, 4, 0], [0, 0, 0]].slice(0, shifts.length));
      const seen = new Set<number>();
      for (let first = -(2 ** (INPUT_BITS - 1)); first < 2 ** (INPUT_BITS - 1); first += COPIES) {
        const xs = Array.from({ length: COPIES }, (_, c) => first + c);
        const input = xs.flatMap((x) => shifts.map(() => x));
        const reference = runReference(model, input);
        const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
        expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
        const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn));
        expect(outputs.logits, `inputs ${first}..${first + COPIES - 1}`).toEqual(reference.logits.map(BigInt));
        for (const x of xs) seen.add(Math.floor((x + 2) / 4));
      }
      // shift 2 met every code of the domain, and beyond it on both sides.
      for (let q = -(2 ** (BITS - 1)); q < 2 ** (BITS - 1); q++) expect(seen.has(q)).toBe(true);
      expect(seen.has(-(2 ** (BITS - 1)) - 1) && seen.has(2 ** (BITS - 1))).toBe(true);
    });
  }
});
