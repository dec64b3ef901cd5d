/**
 * The comparison of the direct R1CS path (circuits/direct) with circom that
 * test/circuits/direct*.test.ts run: the constraint system, the wires circom keeps, and the
 * witness, on edge-case and random inputs.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { buildDirectR1cs } from '../../circuits/direct/build.js';
import { compareR1cs, symbolNames } from '../../circuits/direct/compare.js';
import type { Chooser } from '../../circuits/direct/system.js';
import { decodePublicSignals, publicSignalLayout } from '../../circuits/layout.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { readSignals } from '../../circuits/audit/symbols.js';
import { witnessInput } from '../../circuits/signals.js';
import type { Visibility } from '../../circuits/visibility.js';
import { FIELD_MODULUS } from '../../core/field.js';
import { QMODEL_FORMAT, inputRange, inputSize, type QModel } from '../../model/ir.js';
import { runReference } from '../../model/reference.js';
import { readQModel } from '../../pipeline/artifacts.js';
import { zooModelPath } from '../../pipeline/demo.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { compileModel, type TestCircuit } from './circuits.js';
import { randomInt, seededRng } from './random.js';

export const RECIPIENT = (1n << 159n) + 12345n;

/** All minimum, all maximum, then `random` seeded random inputs. */
export function inputsFor(model: QModel, seed: number, random = 3): number[][] {
  const rng = seededRng(seed);
  const n = inputSize(model.input);
  const { min, max } = inputRange(model.input);
  return [new Array(n).fill(min), new Array(n).fill(max), ...Array.from({ length: random }, () => Array.from({ length: n }, () => randomInt(rng, min, max)))];
}

export async function circomNames(circuit: TestCircuit): Promise<string[]> {
  return symbolNames(await fs.readFile(circuit.files.sym, 'utf8'));
}

/** Eliminate the wires circom eliminated (those its .sym does not keep). */
function circomsChoice(kept: ReadonlySet<string>): Chooser {
  return (candidates, system) => candidates.find((w) => !kept.has(system.nameOf(w)));
}

/** The public outputs a witness shows (logits, probabilities, label) equal model/reference.ts's for the input. */
export function expectReferenceOutputs(model: QModel, visibility: Visibility, witness: readonly bigint[], nPublic: number, input: number[]): void {
  const decoded = decodePublicSignals(publicSignalLayout(model, visibility), witness.slice(1, 1 + nPublic));
  const reference = runReference(model, input);
  if (decoded.logits) expect(decoded.logits).toEqual(reference.logits.map(BigInt));
  if (decoded.probabilities) expect(decoded.probabilities).toEqual(reference.probabilities!.map(BigInt));
  if (decoded.label !== undefined) expect(decoded.label).toBe(reference.label);
}

export async function expectSameAsCircom(model: QModel, visibility: Visibility, seed: number, random = 3, extraInputs: number[][] = []): Promise<void> {
  const circuit = await compileModel(model, visibility);
  const names = await circomNames(circuit);
  const theirs = { names, constraints: circuit.r1cs.constraints };
  // The system itself, with the wires circom chose to eliminate: the same constraints.
  const withCircomsChoice = buildDirectR1cs(model, visibility, {}, { choose: circomsChoice(new Set(names)) });
  expect(compareR1cs(withCircomsChoice, theirs)).toBeUndefined();
  // The direct path's own choice of which wires to eliminate is circom's, but inside Poseidon's
  // linear clusters (the partial rounds' MixS), where circom keeps another wire of the same
  // cluster: there the two are the same linear system with other wires eliminated (shown equal
  // above with circom's choice), as many wires and constraints.
  const direct = buildDirectR1cs(model, visibility);
  const kept = (list: readonly (string | undefined)[]) => list.filter((n): n is string => n !== undefined && !n.includes('.pEx.')).sort();
  expect(kept(direct.names)).toEqual(kept(names));
  expect([direct.names.length, direct.constraints.length]).toEqual([names.filter((n) => n !== undefined).length, circuit.r1cs.constraints.length]);
  if (!names.some((n) => n?.includes('.pEx.'))) expect(compareR1cs(direct, theirs)).toBeUndefined();
  expect([direct.nPubOut, direct.nPubIn, direct.nPrvIn]).toEqual([circuit.r1cs.nPubOut, circuit.r1cs.nPubIn, circuit.r1cs.nPrvIn]);
  // The audit counts a decomposition's bits by name: the direct .sym names every bit circom's does, kept or eliminated.
  const bits = (names: Iterable<string | undefined>) => [...names].filter((n): n is string => n !== undefined && /\.(?:bits\[\d+\]|b0)$/.test(n)).sort();
  expect(bits([...direct.names, ...(direct.removed ?? [])])).toEqual(bits(readSignals(await fs.readFile(circuit.files.sym, 'utf8')).keys()));

  for (const input of [...inputsFor(model, seed, random), ...extraInputs]) {
    const recipient = visibility.recipient === 'public' ? RECIPIENT : undefined;
    const ours = buildDirectR1cs(model, visibility, { input, salt: 7n, ...(recipient !== undefined ? { recipient } : {}) });
    // One value per wire, the constant wire 'one' included.
    expect(ours.witness).toHaveLength(ours.names.length);
    expect(firstViolatedConstraint({ prime: FIELD_MODULUS, constraints: ours.constraints }, ours.witness!)).toBe(-1);
    expectReferenceOutputs(model, visibility, ours.witness!, ours.nPubOut + ours.nPubIn, input);
    const theirsWitness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 7n, recipient));
    const byName = new Map(names.map((name, w) => [name, theirsWitness[w]]));
    // Every wire circom keeps has its value; the others (other wires of Poseidon's clusters) are satisfied above.
    const mismatch = ours.names.findIndex((name, w) => byName.get(name) !== ours.witness![w] && (byName.has(name) || !name.includes('.pEx.')));
    expect(mismatch >= 0 ? `${ours.names[mismatch]}: direct ${ours.witness![mismatch]}, circom ${byName.get(ours.names[mismatch])}` : 'all equal').toBe('all equal');
  }
}

/** A zoo model, quantized as `zkinfer quantize` does. */
export async function zooModel(name: string): Promise<QModel> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `zkinfer-direct-${name}-`));
  try {
    await quantizeStep({ model: zooModelPath(name), out: dir });
    return await readQModel(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Template options the quantized test models never reach: a relu clip that acts (ClipMax), a
 * max-pool pair whose first value always wins (MaxPair mode 1), beside a pair that compares and
 * requantizations that are linear or clip-free.
 */
export const CLIP_AND_PAIRS: QModel = {
  format: QMODEL_FORMAT,
  name: 'clip and max pairs',
  input: { shape: [2, 2, 1], bits: 4, signed: false, scale: 1 },
  quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 },
  ops: [
    // y0 = 2·x0 in [0, 30], y1 = 2·x0 + 40 >= y0 always, y2 = 3·x2 - 20, y3 = 5·x3 - 30
    { kind: 'dense', name: 'd1', inputSize: 4, outputSize: 4, weights: [[2, 0, 0, 0], [2, 0, 0, 0], [0, 0, 3, 0], [0, 0, 0, 5]], bias: [0, 40, -20, -30], scale: [1, 1, 1, 1] },
    // relu, clipped at 50 (never acts on y0, y1) and at 8, 20 (acts on y2, y3)
    { kind: 'rescale', name: 'r1', shift: [1, 1, 0, 0], activation: { kind: 'relu', max: [50, 50, 8, 20] } },
    { kind: 'maxPool', name: 'm1', inShape: [1, 4, 1], outShape: [1, 2, 1], pool: [1, 2], strides: [1, 2], padding: [0, 0, 0, 0] },
    { kind: 'dense', name: 'd2', inputSize: 2, outputSize: 3, weights: [[1, -2], [3, 1], [-1, 1]], bias: [0, -5, 7], scale: [1, 1, 1] },
    { kind: 'argmax', name: 'argmax' },
  ],
};
