/**
 * The hand-written templates one by one: outputs equal the reference semantics on every boundary
 * and on random values, inputs outside the planned range are refused, exact constraint counts.
 * (That no tampered witness passes is audit-templates.test.ts's subject, on the same circuits.)
 */
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readSignals } from '../../circuits/audit/symbols.js';
import { inputCommitment } from '../../circuits/commitment.js';
import { type InputPlan, maxPairCost, poseidonChainCost, requantizeCost } from '../../circuits/plan.js';
import { type R1cs, firstViolatedConstraint, readR1cs } from '../../circuits/r1cs.js';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { fromFieldSigned } from '../../core/field.js';
import { activate, rescaleValue } from '../../model/bounds.js';
import { compileSource } from '../helpers/circuits.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { MAXPAIR_CASES, REQUANTIZE_CASES, argMaxCircuit, inputCommitmentCircuit, maxPairCircuit, requantizeCircuit } from '../helpers/template-circuits.js';
import { maxOf } from '../../core/numbers.js';

async function compile(source: string) {
  const { files } = await compileSource(source);
  return { r1cs: await readR1cs(files.r1cs), witness: await loadWitnessCalculator(files.wasm) };
}

const signed = (values: bigint[]) => values.map((v) => Number(fromFieldSigned(v)));

/** Boundaries of [lo, hi] and of the rounding steps, then random values: every one in range. */
function valuesIn(lo: number, hi: number, shift: number, rng: () => number): number[] {
  const step = 2 ** shift;
  const edges = [lo, hi, lo + 1, hi - 1, 0, -1, 1, step / 2, step / 2 - 1, -step / 2, -step / 2 - 1, step, -step];
  return [...edges.filter((v) => Number.isInteger(v) && v >= lo && v <= hi), ...Array.from({ length: 20 }, () => randomInt(rng, lo, hi))];
}

describe('Requantize', () => {
  const cases = REQUANTIZE_CASES;
  const { source, params } = requantizeCircuit(cases);
  const n = cases.length;
  // value = -7 + 3 * in - 2 * (in - 7) = in + 7: the dot product shifts each input by 7.
  const expected = (value: number, k: number) => activate(rescaleValue(value, cases[k][2]), cases[k][3], 0);

  it('equals the reference semantics on every boundary and random values, for every mode', async () => {
    const circuit = await compile(source);
    // A constant result costs nothing inside a model; here it is a public output, and circom
    // must keep one `out = constant` constraint for each.
    const constants = params.filter((p) => p.nq === 0).length;
    expect(constants).toBe(3);
    expect(circuit.r1cs.constraints.length).toBe(params.reduce((s, p) => s + requantizeCost(p), 0) + constants);
    const rng = seededRng(11);
    const columns = cases.map(([lo, hi, shift]) => valuesIn(lo, hi, shift, rng));
    const rows = maxOf(columns.map((c) => c.length));
    for (let row = 0; row < rows; row++) {
      const values = columns.map((c) => c[row % c.length]);
      const witness = await circuit.witness.calculate({ in: values.map((v) => v - 7) });
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      expect(signed(witness.slice(1, 1 + n))).toEqual(values.map(expected));
    }
  });

  it("writes the value's fan-in only in C, where the proving key stores no coefficients", async () => {
    // snarkjs's key holds A's and B's coefficients; each x[i] term of value (here the inputs)
    // written there would be stored and evaluated by the prover, for every requantized value.
    const { files } = await compileSource(source);
    const r1cs = await readR1cs(files.r1cs);
    const signals = readSignals(await fs.readFile(files.sym, 'utf8'));
    // Inputs whose value is decomposed (circom drops those of the constant results).
    const inputs = new Map(cases.flatMap((_, k) => (params[k].nq > 0 ? [[signals.get(`in[${k}]`) ?? -1, k] as const] : [])));
    expect([...inputs.keys()].filter((w) => w < 0)).toEqual([]);
    const inAOrB = r1cs.constraints.flatMap(([a, b], c) => [...a.keys(), ...b.keys()].filter((w) => inputs.has(w)).map((w) => `constraint ${c}: in[${inputs.get(w)}]`));
    expect(inAOrB).toEqual([]);
    // Each is still read, in C.
    const inC = new Set(r1cs.constraints.flatMap(([, , cc]) => [...cc.keys()].filter((w) => inputs.has(w))));
    expect(inC.size).toBe(inputs.size);
  });

  it('checks each bit as b * b = b: one coefficient in A and one in B, the constant in neither', async () => {
    const { r1cs } = await compile(source);
    // Booleanity checks: constraints on one wire (besides the constant) that is in both A and B.
    const booleanity = r1cs.constraints.filter(([a, b, c]) => {
      const wires = new Set([a, b, c].flatMap((lc) => [...lc.keys()].filter((w) => w !== 0)));
      return wires.size === 1 && [...wires].every((w) => a.has(w) && b.has(w));
    });
    // 169 bits are signals; circom substitutes the top bit of the four linear outputs through them.
    expect(booleanity.length).toBe(params.reduce((sum, p) => sum + (p.nq > 0 ? p.shift + p.nq : 0) + (p.clipNq > 0 ? p.clipNq - 1 : 0), 0) - 4);
    for (const [a, b, c] of booleanity) expect([a.size, b.size, c.size]).toEqual([1, 1, 1]);
  });

  it('refuses a value beyond the decomposition range', async () => {
    const circuit = await compile(source);
    const inRange = cases.map(([lo]) => lo - 7);
    // Case 0 decomposes shift + nq bits: value + rounding + offset * 2^shift must stay below 2^(shift+nq).
    const p = params[0];
    const tooBig = 2 ** (p.shift + p.nq) - 2 ** (p.shift - 1) - p.offset * 2 ** p.shift;
    await expect(circuit.witness.calculate({ in: [tooBig - 7, ...inRange.slice(1)] })).rejects.toThrow(/rejects/);
    const largest = await circuit.witness.calculate({ in: [tooBig - 8, ...inRange.slice(1)] });
    expect(firstViolatedConstraint(circuit.r1cs, largest)).toBe(-1);
  });
});

describe('MaxPair', () => {
  const cases = MAXPAIR_CASES;
  const { source, pairs } = maxPairCircuit(cases);

  it('gives max(a, b) for every pair in range, comparing only where it must', async () => {
    expect(pairs.map((p) => p.mode)).toEqual([2, 1, 0, 2]);
    const circuit = await compile(source);
    // The two pairs that need no comparison still pin their output to a public input: one constraint each.
    expect(circuit.r1cs.constraints.length).toBe(pairs.reduce((s, p) => s + maxPairCost(p), 0) + 2);
    const rng = seededRng(3);
    for (let row = 0; row < 30; row++) {
      const a = cases.map(([[lo, hi]]) => (row < 2 ? [lo, hi][row] : randomInt(rng, lo, hi)));
      const b = cases.map(([, [lo, hi]]) => (row < 2 ? [hi, lo][row] : randomInt(rng, lo, hi)));
      const witness = await circuit.witness.calculate({ a, b });
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      expect(signed(witness.slice(1, 1 + cases.length))).toEqual(a.map((v, k) => Math.max(v, b[k])));
    }
  });
});

describe('ArgMax', () => {
  const n = 5;
  const diffBits = 12;
  const source = argMaxCircuit(n, diffBits);
  const firstMax = (v: number[]) => v.indexOf(maxOf(v));

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
  });
});

describe('InputCommitment', () => {
  const plan: InputPlan = { size: 70, bits: 5, min: -16, perElement: 49, hashed: 3 };
  const source = inputCommitmentCircuit(plan);

  it('range-checks every input and commits as the off-circuit Poseidon chain does', async () => {
    const circuit = await compile(source);
    expect(circuit.r1cs.constraints.length).toBe(plan.size * plan.bits + poseidonChainCost(plan.hashed));
    const rng = seededRng(9);
    for (const input of [new Array(70).fill(-16), new Array(70).fill(15), Array.from({ length: 70 }, () => randomInt(rng, -16, 15))]) {
      const witness = await circuit.witness.calculate({ in: input, salt: 12345 });
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      expect(witness[1]).toBe(inputCommitment(plan, input, 12345n));
    }
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

describe('pairwiseSum', () => {
  // out[k - 1] = x[0] * sum(i < k: (i + 2) * x[i]) for every k up to 9: even and odd lengths, and
  // trees with a carried odd term at several levels. `sum` is the tree or a left-to-right loop.
  const circuit = (sum: (k: number) => string) => `pragma circom 2.1.0;
include "zkinfer.circom";
template T() {
    signal input x[9];
    signal output out[9];
${Array.from({ length: 9 }, (_, i) => i + 1)
  .map((k) => `    var terms${k}[${k}];\n    for (var i = 0; i < ${k}; i++) {\n        terms${k}[i] = (i + 2) * x[i];\n    }\n    out[${k - 1}] <== x[0] * ${sum(k)};`)
  .join('\n')}
}
component main = T();
`;
  const tree = circuit((k) => `pairwiseSum(${k}, terms${k})`);
  const leftToRight = circuit((k) => `(${Array.from({ length: k }, (_, i) => `terms${k}[${i}]`).join(' + ')})`);
  const constraints = (r1cs: R1cs) => r1cs.constraints.map((c) => c.map((lc) => [...lc.entries()].sort(([a], [b]) => a - b)));

  it('sums every term, whatever the length', async () => {
    const { r1cs, witness } = await compile(tree);
    const x = [3, -5, 7, 11, -13, 17, 19, -23, 29];
    const w = await witness.calculate({ x });
    expect(firstViolatedConstraint(r1cs, w)).toBe(-1);
    const expected = x.map((_, k) => x[0]! * x.slice(0, k + 1).reduce((s, v, i) => s + (i + 2) * v, 0));
    expect(signed(w.slice(1, 10))).toEqual(expected);
  });

  it('builds the same constraint system as a left-to-right sum', async () => {
    const [a, b] = await Promise.all([compile(tree), compile(leftToRight)]);
    expect(a.r1cs.nWires).toBe(b.r1cs.nWires);
    expect(constraints(a.r1cs)).toEqual(constraints(b.r1cs));
  });
});

