/**
 * The hand-written templates one by one: outputs equal the reference semantics on every boundary
 * and on random values, inputs outside the planned range are refused, exact constraint counts,
 * and no wire can be changed alone without breaking a constraint.
 */
import { describe, expect, it } from 'vitest';
import { inputCommitment } from '../../circuits/commitment.js';
import { type InputPlan, type RequantizeParams, planRequantize, poseidonChainCost, requantizeCost } from '../../circuits/plan.js';
import { firstViolatedConstraint, readR1cs } from '../../circuits/r1cs.js';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { fromFieldSigned } from '../../core/field.js';
import { rescaleValue } from '../../model/bounds.js';
import { compileSource } from '../helpers/circuits.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { unconstrainedWires } from '../helpers/tamper.js';

async function compile(source: string) {
  const { files } = await compileSource(source);
  return { r1cs: await readR1cs(files.r1cs), witness: await loadWitnessCalculator(files.wasm) };
}

describe('Requantize', () => {
  // [lo, hi, shift, relu]: positive, negative and mixed ranges; shift 0; ranges whose q is constant.
  const cases: [number, number, number, boolean][] = [
    [-1000, 1000, 3, true],
    [-1000, 1000, 3, false],
    [-5, 700, 0, true],
    [-300, -1, 2, true], // always 0 after relu: constant, no constraints
    [16, 300, 4, true], // never negative: relu is the identity
    [-129, 126, 1, false],
    [-40, 39, 6, false], // q in {-1, 0, 1}
    [-7, 7, 4, false], // q is always 0: constant
    [-(2 ** 40), 2 ** 40, 20, true],
  ];
  const params: RequantizeParams[] = cases.map(([lo, hi, shift, relu]) => planRequantize(lo, hi, shift, relu));
  const n = cases.length;
  const table = (key: keyof RequantizeParams) => `[${params.map((p) => p[key]).join(',')}]`;
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
template T() {
    signal input in[${n}];
    signal output out[${n}];
    var shift[${n}] = ${table('shift')}; var nq[${n}] = ${table('nq')}; var offset[${n}] = ${table('offset')}; var relu[${n}] = ${table('relu')};
    component r[${n}];
    for (var j = 0; j < ${n}; j++) { r[j] = Requantize(shift[j], nq[j], offset[j], relu[j]); r[j].in <== in[j]; out[j] <== r[j].out; }
}
component main = T();
`;
  const expected = (x: number, k: number) => {
    const q = rescaleValue(x, cases[k][2]);
    return cases[k][3] ? Math.max(0, q) : q;
  };

  it('equals the reference on every boundary and random values in range', async () => {
    const circuit = await compile(source);
    // A constant result costs nothing inside a model; here it is a public output, and circom must
    // keep one `out = constant` constraint for each such output.
    const constantOutputs = params.filter((p) => p.nq === 0).length;
    expect(constantOutputs).toBe(2);
    expect(circuit.r1cs.constraints.length).toBe(params.reduce((s, p) => s + requantizeCost(p), 0) + constantOutputs);
    const rng = seededRng(11);
    const columns = cases.map(([lo, hi, shift]) => {
      const step = 2 ** shift;
      const around = [lo, hi, 0, -1, 1, step / 2, step / 2 - 1, -step / 2, -step / 2 - 1, step, -step].filter((v) => Number.isInteger(v) && v >= lo && v <= hi);
      return [...around, ...Array.from({ length: 20 }, () => randomInt(rng, lo, hi))];
    });
    const rows = Math.max(...columns.map((c) => c.length));
    for (let row = 0; row < rows; row++) {
      const input = columns.map((c) => c[row % c.length]);
      const witness = await circuit.witness.calculate({ in: input });
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      expect(witness.slice(1, 1 + n).map((v) => Number(fromFieldSigned(v)))).toEqual(input.map(expected));
      if (row < 3) expect(unconstrainedWires(circuit.r1cs, witness)).toEqual([]);
    }
  });

  it('refuses a value beyond the decomposition range', async () => {
    const circuit = await compile(source);
    const inRange = cases.map(([lo]) => lo);
    // Case 0 decomposes shift + nq bits: its value + rounding + offset * 2^shift must stay below 2^(shift+nq).
    const p = params[0];
    const tooBig = 2 ** (p.shift + p.nq) - 2 ** (p.shift - 1) - p.offset * 2 ** p.shift;
    await expect(circuit.witness.calculate({ in: [tooBig, ...inRange.slice(1)] })).rejects.toThrow(/rejects/);
    await expect(circuit.witness.calculate({ in: [tooBig - 1, ...inRange.slice(1)] })).resolves.toBeDefined();
  });
});

describe('ArgMax', () => {
  const n = 5;
  const diffBits = 12;
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
component main = ArgMax(${n}, ${diffBits});
`;
  const firstMax = (v: number[]) => v.indexOf(Math.max(...v));

  it('finds the first maximum, ties and negatives included', async () => {
    const circuit = await compile(source);
    expect(circuit.r1cs.constraints.length).toBe(n * (diffBits + 2));
    const rng = seededRng(5);
    const inputs = [
      [1, 2, 3, 4, 5],
      [5, 4, 3, 2, 1],
      [-3, -1, -1, -2, -9],
      [7, 7, 7, 7, 7],
      [0, 9, 2, 9, 9],
      [-2047, 2047, 0, 2047, -2047],
      ...Array.from({ length: 30 }, () => Array.from({ length: n }, () => randomInt(rng, -6, 6))),
    ];
    for (const input of inputs) {
      const witness = await circuit.witness.calculate({ in: input });
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      expect(Number(witness[1])).toBe(firstMax(input));
    }
    const witness = await circuit.witness.calculate({ in: [0, 9, 2, 9, 9] });
    expect(unconstrainedWires(circuit.r1cs, witness)).toEqual([]);
  });
});

describe('InputCommitment', () => {
  const plan: InputPlan = { size: 70, bits: 5, min: -16, perElement: 49, hashed: 3 };
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
component main = InputCommitment(${plan.size}, ${plan.bits}, ${plan.min}, ${plan.perElement});
`;

  it('range-checks every input and commits as the off-circuit Poseidon chain does', async () => {
    const circuit = await compile(source);
    expect(circuit.r1cs.constraints.length).toBe(plan.size * plan.bits + poseidonChainCost(plan.hashed));
    const rng = seededRng(9);
    for (const input of [new Array(70).fill(-16), new Array(70).fill(15), Array.from({ length: 70 }, () => randomInt(rng, -16, 15))]) {
      const witness = await circuit.witness.calculate({ in: input, salt: 12345 });
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      expect(witness[1]).toBe(inputCommitment(plan, input, 12345n));
    }
    const honest = await circuit.witness.calculate({ in: new Array(70).fill(3), salt: 1 });
    expect(unconstrainedWires(circuit.r1cs, honest)).toEqual([]);
  });

  it('refuses inputs outside [min, min + 2^bits)', async () => {
    const circuit = await compile(source);
    for (const bad of [-17, 16]) {
      const input = new Array(70).fill(0);
      input[33] = bad;
      await expect(circuit.witness.calculate({ in: input, salt: 0 })).rejects.toThrow(/rejects/);
    }
  });

  it('commits to different values for inputs that differ in one place, and for different salts', () => {
    const a = new Array(70).fill(0);
    const b = [...a];
    b[69] = 1;
    expect(inputCommitment(plan, a)).not.toBe(inputCommitment(plan, b));
    expect(inputCommitment(plan, a, 1n)).not.toBe(inputCommitment(plan, a, 2n));
  });
});
