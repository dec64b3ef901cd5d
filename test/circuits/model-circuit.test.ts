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
import { inputCost, opCost, totalCost } from '../../circuits/plan.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { FIELD_MODULUS } from '../../core/field.js';
import type { FloatModel } from '../../model/float.js';
import { inputRange, inputSize, logitsOpIndex, type QModel } from '../../model/ir.js';
import { type QuantizeOptions, quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { compileModel, type TestCircuit } from '../helpers/circuits.js';
import { DENSE_CASES, CONV_CASES } from '../helpers/model-cases.js';
import { randomInt, seededRng, type Rng } from '../helpers/random.js';

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
  const { nPubOut } = circuit.r1cs;
  for (const input of inputs) {
    const reference = runReference(model, input);
    const witness = await circuit.witness.calculate({ in: input, salt: 7 });
    expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
    const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + nPubOut));
    expect(outputs.logits).toEqual(reference.logits.map(BigInt));
    expect(outputs.label).toBe(reference.label);
    expect(outputs.inputCommitment).toBe(inputCommitment(circuit.plan.input, input, 7n));
  }
}

async function expectExactCosts(circuit: TestCircuit, model: QModel): Promise<void> {
  expect(circuit.r1cs.prime).toBe(FIELD_MODULUS);
  expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
  const owners = { opCount: model.ops.length, logitsOp: logitsOpIndex(model), labelOp: model.ops.length - 1 };
  const parts = attributeConstraints(circuit.r1cs, await fs.readFile(circuit.files.sym, 'utf8'), owners);
  expect(parts).toEqual({ input: inputCost(circuit.plan.input), ops: circuit.plan.ops.map(opCost), other: 0 });
}

async function checkModel(float: FloatModel, options: QuantizeOptions, rng: Rng, randomCount = 8): Promise<QModel> {
  const { model } = quantizeModel(float, options);
  const circuit = await compileModel(model);
  await expectCircuitMatchesReference(circuit, model, testInputs(model, rng, randomCount));
  await expectExactCosts(circuit, model);
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
