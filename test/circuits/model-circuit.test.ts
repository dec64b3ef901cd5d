/**
 * Whole quantized models as circuits: witness outputs equal the reference interpreter bit for bit
 * on random and edge-case inputs, every witness satisfies the R1CS, and the constraint count
 * equals the cost model's.
 */
import { describe, expect, it } from 'vitest';
import { inputCommitment } from '../../circuits/commitment.js';
import { decodePublicSignals } from '../../circuits/layout.js';
import { inputCost, opCost, totalCost } from '../../circuits/plan.js';
import { attributeConstraints } from '../../circuits/attribution.js';
import * as fs from 'node:fs/promises';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { FIELD_MODULUS } from '../../core/field.js';
import { inputRange, inputSize, logitsOpIndex, type QModel } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { compileModel, type TestCircuit } from '../helpers/circuits.js';
import { randomDenseModel, randomInputs, randomInt, seededRng, type Rng } from '../helpers/random.js';

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

describe('dense models as circuits', () => {
  const cases: { name: string; sizes: number[]; options: Parameters<typeof quantizeModel>[1] }[] = [
    { name: '12-6-4 unsigned 8-bit input, calibrated', sizes: [12, 6, 4], options: { calibration: randomInputs(seededRng(1), 32, 12) } },
    { name: '10-8-5-3 signed 6-bit input, weight-derived ranges', sizes: [10, 8, 5, 3], options: { inputRange: [-1, 1], inputBits: 6 } },
    { name: '40-3-2 (more inputs than one packed field element)', sizes: [40, 3, 2], options: { calibration: randomInputs(seededRng(2), 16, 40) } },
  ];
  for (const { name, sizes, options } of cases) {
    it(name, async () => {
      const rng = seededRng(sizes.reduce((a, b) => a * 31 + b, 0));
      const { model } = quantizeModel(randomDenseModel(rng, sizes), options);
      const circuit = await compileModel(model);
      await expectCircuitMatchesReference(circuit, model, testInputs(model, rng, 12));
      expect(circuit.r1cs.prime).toBe(FIELD_MODULUS);
      expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
      // Every layer costs what the cost model says, measured on the R1CS through the symbol table.
      const owners = { opCount: model.ops.length, logitsOp: logitsOpIndex(model), labelOp: model.ops.length - 1 };
      const parts = attributeConstraints(circuit.r1cs, await fs.readFile(circuit.files.sym, 'utf8'), owners);
      expect(parts).toEqual({ input: inputCost(circuit.plan.input), ops: circuit.plan.ops.map(opCost), other: 0 });
    });
  }
});
