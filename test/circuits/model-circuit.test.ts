/**
 * Whole quantized models as circuits, dense and convolutional with every layer kind and option:
 * witness outputs equal the reference interpreter bit for bit on edge-case and random inputs,
 * every witness satisfies the R1CS, no wire can change alone, and every layer costs exactly what
 * the cost model says.
 */
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { attributeConstraints } from '../../circuits/attribution.js';
import { inputCommitment } from '../../circuits/commitment.js';
import { decodePublicSignals } from '../../circuits/layout.js';
import { inputCost, opCost, outputCost, paramsCost, totalCost } from '../../circuits/plan.js';
import { expectedPublicSignals, witnessInput } from '../../circuits/signals.js';
import type { Visibility } from '../../circuits/visibility.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { FIELD_MODULUS } from '../../core/field.js';
import type { FloatModel } from '../../model/float.js';
import { inputRange, inputSize, logitsOpIndex, type QModel } from '../../model/ir.js';
import { type QuantizeOptions, quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { compileModel, type TestCircuit } from '../helpers/circuits.js';
import { emitCircuit } from '../../circuits/emit/index.js';
import { planCircuit } from '../../circuits/plan.js';
import { randomDenseModel, randomImageModel, randomInputs, randomInt, seededRng, type Rng } from '../helpers/random.js';
import { unconstrainedWires } from '../helpers/tamper.js';

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
  for (const [k, input] of inputs.entries()) {
    const reference = runReference(model, input);
    const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 7n));
    expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
    const publicSignals = witness.slice(1, 1 + nPubOut + nPubIn);
    expect(publicSignals.map(String)).toEqual(expectedPublicSignals(model, circuit.plan, input, 7n));
    const outputs = decodePublicSignals(circuit.layout, publicSignals);
    if (circuit.layout.logits) expect(outputs.logits).toEqual(reference.logits.map(BigInt));
    if (circuit.layout.label !== undefined) expect(outputs.label).toBe(reference.label);
    if (circuit.layout.inputCommitment !== undefined) expect(outputs.inputCommitment).toBe(inputCommitment(circuit.plan.input, input, 7n));
    if (circuit.layout.input) expect(outputs.input).toEqual(input.map(BigInt));
    if (k === inputs.length - 1) expect(unconstrainedWires(circuit.r1cs, witness)).toEqual([]);
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
    ops: circuit.plan.ops.map(opCost),
    other: 0,
  });
}

async function checkModel(float: FloatModel, options: QuantizeOptions, rng: Rng, randomCount = 8, visibility?: Visibility): Promise<QModel> {
  const { model } = quantizeModel(float, options);
  const circuit = await compileModel(model, visibility);
  await expectCircuitMatchesReference(circuit, model, testInputs(model, rng, randomCount));
  await expectExactCosts(circuit, model);
  return model;
}

describe('dense models as circuits', () => {
  const cases: { name: string; sizes: number[]; options: QuantizeOptions }[] = [
    { name: '12-6-4 unsigned 8-bit input, calibrated', sizes: [12, 6, 4], options: { calibration: randomInputs(seededRng(1), 32, 12) } },
    { name: '10-8-5-3 signed 6-bit input, weight-derived ranges', sizes: [10, 8, 5, 3], options: { inputRange: [-1, 1], inputBits: 6 } },
    { name: '40-3-2 (more inputs than one packed field element)', sizes: [40, 3, 2], options: { calibration: randomInputs(seededRng(2), 16, 40) } },
  ];
  for (const { name, sizes, options } of cases) {
    it(name, async () => {
      const rng = seededRng(sizes.reduce((a, b) => a * 31 + b, 0));
      await checkModel(randomDenseModel(rng, sizes), options, rng, 12);
    });
  }
});

describe('convolutional models as circuits', () => {
  const calibrate = (size: number) => ({ calibration: randomInputs(seededRng(size), 24, size) });

  it('conv valid + relu, average pool, dense', async () => {
    const rng = seededRng(101);
    const float = randomImageModel(rng, [8, 8, 1], [
      { conv: { filters: 3, kernel: [3, 3] } },
      { pool: { op: 'avg' } },
      { flatten: true },
      { dense: { units: 4, activation: { kind: 'softmax' } } },
    ]);
    const model = await checkModel(float, calibrate(64), rng);
    expect(model.ops.map((o) => o.kind)).toEqual(['conv2d', 'rescale', 'avgPool', 'dense', 'argmax']);
  });

  it('non-square kernel, same padding, strides 2, relu6, max pool with same padding', async () => {
    const rng = seededRng(102);
    const float = randomImageModel(rng, [7, 7, 2], [
      { conv: { filters: 2, kernel: [3, 2], strides: [2, 2], padding: 'same', activation: { kind: 'relu', max: 6 } } },
      { pool: { op: 'max', size: [2, 2], padding: 'same' } },
      { flatten: true },
      { dense: { units: 3, activation: { kind: 'softmax' } } },
    ]);
    await checkModel(float, { ...calibrate(98), activationBits: 6 }, rng);
  });

  it('depthwise convolution with leaky relu, global average pool', async () => {
    const rng = seededRng(103);
    const float = randomImageModel(rng, [6, 6, 2], [
      { conv: { filters: 2, kernel: [3, 3], padding: 'same', depthwise: true, activation: { kind: 'leakyRelu', alpha: 0.2 } } },
      { pool: { op: 'avg', global: true } },
      { flatten: true },
      { dense: { units: 3, activation: { kind: 'softmax' } } },
    ]);
    await checkModel(float, calibrate(72), rng);
  });

  it('zero padding, asymmetric strides, a separate relu, global max pool', async () => {
    const rng = seededRng(104);
    const float = randomImageModel(rng, [5, 5, 1], [
      { pad: [1, 0, 1, 2] },
      { conv: { filters: 2, kernel: [2, 2], strides: [1, 2], activation: { kind: 'linear' } } },
      { activation: { kind: 'relu' } },
      { pool: { op: 'max', global: true } },
      { flatten: true },
      { dense: { units: 2, activation: { kind: 'softmax' } } },
    ]);
    await checkModel(float, calibrate(25), rng);
  });

  it('max pool, then a per-channel scale and shift (a lone BatchNorm), leaky relu', async () => {
    const rng = seededRng(105);
    const float = randomImageModel(rng, [6, 6, 1], [
      { conv: { filters: 2, kernel: [3, 3] } },
      { pool: { op: 'max', size: [2, 2] } },
      { conv: { filters: 1, kernel: [1, 1], depthwise: true, activation: { kind: 'leakyRelu', alpha: 0.3 } } },
      { flatten: true },
      { dense: { units: 3, activation: { kind: 'softmax' } } },
    ]);
    await checkModel(float, calibrate(36), rng);
  });

  it('fully convolutional: the last conv makes the logits, read through a global average pool', async () => {
    // 5 channels into 4 logits: with fewer channels than logits, the logits would obey a linear
    // relation of their own, which circom rightly keeps as one more constraint.
    const rng = seededRng(106);
    const float = randomImageModel(rng, [6, 6, 1], [
      { conv: { filters: 5, kernel: [3, 3] } },
      { conv: { filters: 4, kernel: [1, 1], activation: { kind: 'linear' } } },
      { pool: { op: 'avg', global: true } },
      { activation: { kind: 'softmax' } },
    ]);
    const model = await checkModel(float, calibrate(36), rng);
    expect(model.ops.map((o) => o.kind)).toEqual(['conv2d', 'rescale', 'conv2d', 'avgPool', 'argmax']);
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
  ];
  for (const visibility of modes) {
    it(`dense: input ${visibility.input}, output ${visibility.output}, params ${visibility.params}`, async () => {
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
