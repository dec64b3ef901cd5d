/**
 * With --params hashed, the expected public signals of every proof carry the Poseidon commitment
 * of all the weights; it is hashed once per model (circuits/signals.ts's modelParamsCommitment),
 * not once per proof. Held to the uncached hash: the cached value is the one a fresh hash gives,
 * it is reused (the hash runs once per model and plan), and another model gets its own.
 */
import { describe, expect, it, vi } from 'vitest';
import * as commitment from '../../circuits/commitment.js';
import { planCircuit } from '../../circuits/plan.js';
import { expectedPublicSignals } from '../../circuits/signals.js';
import { parseVisibility } from '../../circuits/visibility.js';
import { quantizeInput } from '../../model/input.js';
import type { QModel } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { DENSE_CASES } from '../helpers/model-cases.js';
import { randomInputs, seededRng } from '../helpers/random.js';

vi.mock('../../circuits/commitment.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../circuits/commitment.js')>();
  return { ...original, paramsCommitment: vi.fn(original.paramsCommitment) };
});

const hashed = parseVisibility({ params: 'hashed' });
const original = await vi.importActual<typeof import('../../circuits/commitment.js')>('../../circuits/commitment.js');
const hashes = vi.mocked(commitment.paramsCommitment);

function caseModel(index: number): QModel {
  const c = DENSE_CASES[index]!;
  return quantizeModel(c.float(), c.options).model;
}

/** The expected signals of a few inputs of `model`, and the params commitment's place in them. */
function signalsOf(model: QModel, plan = planCircuit(model, hashed)) {
  const size = model.input.shape.reduce((a, b) => a * b, 1);
  const inputs = randomInputs(seededRng(size), 3, size).map((values) => quantizeInput(values, model.input, 'input'));
  expect(plan.params?.hashed, 'a params-hashed plan hashes the weights and biases').toBeGreaterThan(0);
  return inputs.map((quantized, k) => expectedPublicSignals(model, plan, quantized, BigInt(k + 1)));
}

describe('the params commitment in the expected public signals', () => {
  it('is hashed once per model, and the cached value is the fresh hash', () => {
    const model = caseModel(0);
    const plan = planCircuit(model, hashed);
    hashes.mockClear();
    const runs = [...signalsOf(model, plan), ...signalsOf(model, plan)];
    expect(hashes).toHaveBeenCalledTimes(1);
    const fresh = original.paramsCommitment(plan.params!, model).toString();
    // The commitment is one of the public signals; every proof's expected signals carry the fresh hash.
    for (const signals of runs) expect(signals).toContain(fresh);
    expect(runs.filter((signals) => signals.includes(fresh))).toHaveLength(runs.length);
  });

  it('gives another model its own commitment, and a copy of a model an entry of its own', () => {
    const [first, second] = [caseModel(0), caseModel(1)];
    const [planA, planB] = [planCircuit(first, hashed), planCircuit(second, hashed)];
    signalsOf(first, planA);
    hashes.mockClear();
    const theirs = signalsOf(second, planB);
    expect(hashes).toHaveBeenCalledTimes(1);
    const [a, b] = [original.paramsCommitment(planA.params!, first), original.paramsCommitment(planB.params!, second)].map(String);
    expect(a).not.toBe(b);
    for (const signals of theirs) expect(signals).toContain(b);
    for (const signals of theirs) expect(signals).not.toContain(a);
    // A copy of the first model is another object: it is hashed again (to the same value), never handed another's.
    const copy = structuredClone(first);
    hashes.mockClear();
    for (const signals of signalsOf(copy)) expect(signals).toContain(a);
    expect(hashes).toHaveBeenCalledTimes(1);
  });
});
