/**
 * The direct R1CS path (circuits/direct) against circom: on every test model and template option,
 * the constraint system built from the plan is circom --O2's, up to wire order (wires matched by
 * their .sym names), and its witness equals circom's witness generator's, wire by wire, on
 * edge-case and random inputs, and satisfies it.
 */
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildDirectR1cs } from '../../circuits/direct/build.js';
import { compareR1cs, symWireNames } from '../../circuits/direct/compare.js';
import type { Chooser } from '../../circuits/direct/system.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { witnessInput } from '../../circuits/signals.js';
import type { Visibility } from '../../circuits/visibility.js';
import { FIELD_MODULUS } from '../../core/field.js';
import { inputRange, inputSize, type QModel } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { compileModel, type TestCircuit } from '../helpers/circuits.js';
import { CONV_CASES, DENSE_CASES, type ModelCase } from '../helpers/model-cases.js';
import { randomInt, seededRng } from '../helpers/random.js';

const RECIPIENT = (1n << 159n) + 12345n;

function inputsFor(model: QModel, seed: number): number[][] {
  const rng = seededRng(seed);
  const n = inputSize(model.input);
  const { min, max } = inputRange(model.input);
  return [new Array(n).fill(min), new Array(n).fill(max), ...Array.from({ length: 3 }, () => Array.from({ length: n }, () => randomInt(rng, min, max)))];
}

async function circomNames(circuit: TestCircuit): Promise<string[]> {
  return symWireNames(await fs.readFile(circuit.files.sym, 'utf8'));
}

/** Eliminate the wires circom eliminated (those its .sym does not keep). */
function circomsChoice(kept: ReadonlySet<string>): Chooser {
  return (candidates, system) => candidates.find((w) => !kept.has(system.nameOf(w)));
}

async function expectSameAsCircom(model: QModel, visibility: Visibility, seed: number): Promise<void> {
  const circuit = await compileModel(model, visibility);
  const names = await circomNames(circuit);
  const theirs = { names, constraints: circuit.r1cs.constraints };
  // The system itself, with the wires circom chose to eliminate: the same constraints.
  const kept = new Set(names);
  const withCircomsChoice = buildDirectR1cs(model, visibility, {}, circomsChoice(kept));
  expect(compareR1cs(withCircomsChoice, theirs)).toBeUndefined();
  // The direct path's own choice of which wires to eliminate is circom's.
  const direct = buildDirectR1cs(model, visibility);
  expect(compareR1cs(direct, theirs)).toBeUndefined();
  expect([...direct.names].sort()).toEqual(names.filter((n) => n !== undefined).sort());
  expect([direct.nPubOut, direct.nPubIn, direct.nPrvIn]).toEqual([circuit.r1cs.nPubOut, circuit.r1cs.nPubIn, circuit.r1cs.nPrvIn]);

  for (const input of inputsFor(model, seed)) {
    const recipient = visibility.recipient === 'public' ? RECIPIENT : undefined;
    const ours = buildDirectR1cs(model, visibility, { input, ...(recipient !== undefined ? { recipient } : {}) });
    expect(ours.witness).toBeDefined();
    expect(firstViolatedConstraint({ prime: FIELD_MODULUS, constraints: ours.constraints }, ours.witness!)).toBe(-1);
    const theirsWitness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 7n, recipient));
    const byName = new Map(names.map((name, w) => [name, theirsWitness[w]]));
    const mismatch = ours.names.findIndex((name, w) => byName.get(name) !== ours.witness![w]);
    expect(mismatch >= 0 ? `${ours.names[mismatch]}: direct ${ours.witness![mismatch]}, circom ${byName.get(ours.names[mismatch])}` : 'all equal').toBe('all equal');
  }
}

const quantized = (c: ModelCase) => quantizeModel(c.float(), c.options).model;

const VISIBILITIES: Visibility[] = [
  { input: 'private', output: 'public', params: 'fixed' },
  { input: 'public', output: 'private', params: 'fixed' },
  { input: 'private', output: 'public', params: 'fixed', recipient: 'public' },
];

describe('direct R1CS = circom --O2', () => {
  for (const c of [...DENSE_CASES, ...CONV_CASES]) {
    it(`${c.name} (input private, output public)`, async () => {
      await expectSameAsCircom(quantized(c), VISIBILITIES[0], c.seed);
    }, 600_000);
  }
  for (const visibility of VISIBILITIES.slice(1)) {
    it(`the dense case in ${JSON.stringify(visibility)}`, async () => {
      await expectSameAsCircom(quantized(DENSE_CASES[0]), visibility, 5);
    }, 600_000);
  }
});
