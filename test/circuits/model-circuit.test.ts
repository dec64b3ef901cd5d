/**
 * Whole quantized models as circuits, dense and convolutional with every layer kind and option:
 * witness outputs equal the reference interpreter bit for bit on edge-case and random inputs,
 * every witness satisfies the R1CS, and every layer costs exactly what the cost model says. (The
 * same models are attacked by the soundness audit in audit-models.test.ts.)
 */
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { attributeConstraints } from '../../circuits/attribution.js';
import { inputCommitment } from '../../circuits/commitment.js';
import { decodePublicSignals } from '../../circuits/layout.js';
import { inputCost, opCost, outputCost, paramsCost, recipientCost, totalCost } from '../../circuits/plan.js';
import { expectedPublicSignals, witnessInput } from '../../circuits/signals.js';
import { type Visibility, bindsRecipient } from '../../circuits/visibility.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { FIELD_MODULUS } from '../../core/field.js';
import type { FloatModel } from '../../model/float.js';
import { inputRange, inputSize, logitsOpIndex, type QModel, type QOpKind } from '../../model/ir.js';
import { type QuantizeOptions, quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { compileModel, type TestCircuit } from '../helpers/circuits.js';
import { emitCircuit } from '../../circuits/emit/index.js';
import { planCircuit } from '../../circuits/plan.js';
import { auditInputs, auditModelCircuit } from '../../circuits/audit/index.js';
import { describeFindings } from '../helpers/audit.js';
import { CONV_CASES, DENSE_CASES, GRAPH_CASES } from '../helpers/model-cases.js';
import { randomDenseModel, randomImageModel, randomInputs, randomInt, seededRng, type Rng } from '../helpers/random.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { saveModel } from '../helpers/fixtures.js';
import { TFJS_LAYER_CASES } from '../helpers/tfjs-layer-cases.js';

/** Edge cases first (all minimum, all maximum, alternating), then random integers in range. */
function testInputs(model: QModel, rng: Rng, randomCount: number): number[][] {
  const n = inputSize(model.input);
  const { min, max } = inputRange(model.input);
  return [
    new Array(n).fill(min),
    new Array(n).fill(max),
    Array.from({ length: n }, (_, i) => (i % 2 ? max : min)),
    ...Array.from({ length: randomCount }, () => Array.from({ length: n }, () => randomInt(rng, min, max))),
  ];
}

async function expectCircuitMatchesReference(circuit: TestCircuit, model: QModel, inputs: number[][]): Promise<void> {
  const { nPubOut, nPubIn } = circuit.r1cs;
  // recipient public: an address with its top and bottom bits set.
  const recipient = bindsRecipient(circuit.plan.visibility) ? (1n << 159n) + 12345n : undefined;
  for (const input of inputs) {
    const reference = runReference(model, input);
    const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 7n, recipient));
    expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
    const publicSignals = witness.slice(1, 1 + nPubOut + nPubIn);
    expect(publicSignals.map(String)).toEqual(expectedPublicSignals(model, circuit.plan, input, 7n, recipient));
    const outputs = decodePublicSignals(circuit.layout, publicSignals);
    if (circuit.layout.logits) expect(outputs.logits).toEqual(reference.logits.map(BigInt));
    if (circuit.layout.label !== undefined) expect(outputs.label).toBe(reference.label);
    if (circuit.layout.inputCommitment !== undefined) expect(outputs.inputCommitment).toBe(inputCommitment(circuit.plan.input, input, 7n));
    if (circuit.layout.input) expect(outputs.input).toEqual(input.map(BigInt));
    expect(outputs.recipient).toBe(recipient);
  }
}

async function expectExactCosts(circuit: TestCircuit, model: QModel): Promise<void> {
  expect(circuit.r1cs.prime).toBe(FIELD_MODULUS);
  expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
  const owners = { opCount: model.ops.length, logitsOp: logitsOpIndex(model), labelOp: model.ops.length - 1 };
  const parts = attributeConstraints(circuit.r1cs, await fs.readFile(circuit.files.sym, 'utf8'), owners);
  expect(parts).toEqual({
    input: inputCost(circuit.plan.input),
    params: paramsCost(circuit.plan.params),
    output: outputCost(circuit.plan),
    recipient: recipientCost(circuit.plan),
    ops: circuit.plan.ops.map(opCost),
    other: 0,
  });
}

async function checkModel(float: FloatModel, options: QuantizeOptions, rng: Rng, randomCount = 8, visibility?: Visibility): Promise<QModel> {
  const { model } = quantizeModel(float, options);
  const circuit = await compileModel(model, visibility);
  await expectCircuitMatchesReference(circuit, model, testInputs(model, rng, randomCount));
  await expectExactCosts(circuit, model);
  if (visibility) {
    // The modes' own parts (commitments, private weights and their products) under the soundness audit.
    const report = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: auditInputs(model, 1, 3) });
    expect(report.ok, describeFindings(report)).toBe(true);
  }
  return model;
}

describe('dense models as circuits', () => {
  for (const c of DENSE_CASES) {
    it(c.name, async () => {
      await checkModel(c.float(), c.options, seededRng(c.seed), 12);
    });
  }
});

describe('convolutional models as circuits', () => {
  for (const c of CONV_CASES) {
    it(c.name, async () => {
      const model = await checkModel(c.float(), c.options, seededRng(c.seed));
      if (c.ops) expect(model.ops.map((o) => o.kind)).toEqual(c.ops);
    });
  }
});

describe('graph models as circuits', () => {
  for (const c of GRAPH_CASES) {
    it(c.name, async () => {
      const model = await checkModel(c.float(), c.options, seededRng(c.seed));
      if (c.ops) expect(model.ops.map((o) => o.kind)).toEqual(c.ops);
    });
  }
});

describe('TF.js 1-D and preprocessing layers as circuits', () => {
  // Conv1D, its pools and global pools as [1, W, C] images; a Normalization that stays a layer (one term per element).
  for (const c of TFJS_LAYER_CASES.filter((c) => c.name.startsWith('Conv1D valid with strides') || c.name.startsWith('Normalization per position'))) {
    it(c.name, async () => {
      const loaded = await loadTfjsModel(await saveModel(c.build, 31));
      loaded.dispose();
      const size = loaded.float.inputShape.reduce((a, b) => a * b, 1);
      const rng = seededRng(size);
      const calibration = Array.from({ length: 16 }, () => Array.from({ length: size }, () => c.inputRange[0] + (c.inputRange[1] - c.inputRange[0]) * rng()));
      await checkModel(loaded.float, { calibration, inputRange: c.inputRange }, rng, 4);
    });
  }
});

describe('every op kind repeated in one model', () => {
  // A new op kind fails to type-check here until some test model uses it (twice where it can).
  // softmax and norm are not in these cases: they have circuit tests of their own over every row of small codes (softmax.test.ts, norm.test.ts);
  // nor are matmul and transpose, which attention.test.ts tests alone and in a self-attention block.
  const least = { dense: 2, conv2d: 2, avgPool: 2, maxPool: 2, pad: 2, rescale: 2, table: 2, softmax: 0, norm: 0, argmax: 1, add: 1, concat: 1, mul: 1, matmul: 0, transpose: 0 } satisfies Record<QOpKind, number>;
  it('one of the convolutional cases above holds every op kind at least twice (argmax, which ends a model, once)', () => {
    const counts = [...CONV_CASES, ...GRAPH_CASES].map((c) => {
      const { model } = quantizeModel(c.float(), c.options);
      return Object.fromEntries(Object.keys(least).map((kind) => [kind, model.ops.filter((o) => o.kind === kind).length]));
    });
    const chain = { ...least, add: 0, concat: 0, mul: 0 };
    expect(counts.some((count) => Object.entries(chain).every(([kind, n]) => count[kind] >= n)), JSON.stringify(counts)).toBe(true);
    // The graph ops, each twice across the graph cases.
    for (const kind of ['add', 'concat', 'mul']) expect(counts.reduce((sum, count) => sum + count[kind], 0), kind).toBeGreaterThanOrEqual(2);
  });
});

describe('visibility modes', () => {
  const dense = () => randomDenseModel(seededRng(7), [12, 6, 4]);
  const options = { calibration: randomInputs(seededRng(8), 16, 12) };
  const modes: Visibility[] = [
    { input: 'public', output: 'public', params: 'fixed' },
    { input: 'private', output: 'private', params: 'fixed' },
    { input: 'hashed', output: 'hashed', params: 'fixed' },
    { input: 'public', output: 'hashed', params: 'hashed' },
    { input: 'hashed', output: 'private', params: 'hashed' },
    { input: 'private', output: 'public', params: 'hashed' },
    // The recipient after the input's values (public inputs in declaration order), and alone.
    { input: 'public', output: 'public', params: 'fixed', recipient: 'public' },
    { input: 'hashed', output: 'hashed', params: 'hashed', recipient: 'public' },
  ];
  for (const visibility of modes) {
    it(`dense: input ${visibility.input}, output ${visibility.output}, params ${visibility.params}${visibility.recipient ? `, recipient ${visibility.recipient}` : ''}`, async () => {
      await checkModel(dense(), options, seededRng(9), 4, visibility);
    });
  }

  it('params hashed on a convolutional model with padding: one product per weight and valid input', async () => {
    const rng = seededRng(110);
    const float = randomImageModel(rng, [5, 5, 1], [
      { conv: { filters: 2, kernel: [3, 3], padding: 'same' } },
      { pool: { op: 'avg' } },
      { flatten: true },
      { dense: { units: 3, activation: { kind: 'softmax' } } },
    ]);
    await checkModel(float, { calibration: randomInputs(seededRng(111), 16, 25) }, rng, 4, { input: 'hashed', output: 'public', params: 'hashed' });
  });

  it('params hashed on a graph: layers reading the input again are bounded by what they read', async () => {
    // The concat case: its second conv reads the model's input, not the op before it.
    const c = GRAPH_CASES.find((g) => g.name.startsWith('concat of channels'))!;
    await checkModel(c.float(), c.options, seededRng(c.seed), 2, { input: 'private', output: 'public', params: 'hashed' });
  });

  it('params hashed: one circuit serves other weights of the architecture, and commits to them', async () => {
    const visibility: Visibility = { input: 'hashed', output: 'public', params: 'hashed' };
    const { model } = quantizeModel(dense(), options);
    const circuit = await compileModel(model, visibility);
    const rng = seededRng(12);
    const limit = 2 ** (model.quantization.weightBits - 1) - 1;
    const other: QModel = {
      ...model,
      ops: model.ops.map((op) =>
        op.kind === 'dense' ? { ...op, weights: op.weights.map((row) => row.map(() => randomInt(rng, -limit, limit))), bias: op.bias.map((b) => -b) } : op,
      ),
    };
    expect(emitCircuit(other, visibility).source).toBe(circuit.source);
    const input = testInputs(model, rng, 1).at(-1)!;
    const witness = await circuit.witness.calculate(witnessInput(other, circuit.plan, input, 3n));
    expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
    const signals = witness.slice(1, 1 + circuit.r1cs.nPubOut).map(String);
    expect(signals).toEqual(expectedPublicSignals(other, planCircuit(other, visibility), input, 3n));
    expect(signals[circuit.layout.paramsCommitment!]).not.toBe(expectedPublicSignals(model, circuit.plan, input, 3n)[circuit.layout.paramsCommitment!]);
  });

  it('refuses --output private for a model without a classification', () => {
    const { model } = quantizeModel(dense(), options);
    const regression = { ...model, ops: model.ops.slice(0, -1) };
    expect(() => emitCircuit(regression, { input: 'hashed', output: 'private', params: 'fixed' })).toThrow(/--output private publishes only the predicted class/);
  });
});
