/**
 * A residual Add costs what its bit widths demand: the layers feeding it get power-of-two scales,
 * so its integer weights are powers of two, the sum is exact, and nothing requantizes it (a ReLU
 * after it rescales by shift 0). Before, its weights used the full 8-bit weight precision and a
 * rescale of shift ~8 brought the ~16-bit sum back, about 20 constraints per value.
 */
import { describe, expect, it } from 'vitest';
import { opCost, planCircuit } from '../../circuits/plan.js';
import { analyzeBounds } from '../../model/bounds.js';
import type { AddOp, QModel } from '../../model/ir.js';
import { loadDataset } from '../../model/data/datasets.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { GRAPH_CASES } from '../helpers/model-cases.js';

const isPowerOfTwo = (w: number) => Number.isInteger(Math.log2(Math.abs(w)));
const width = (lo: number, hi: number) => Math.ceil(Math.log2(Math.max(Math.abs(lo), Math.abs(hi)) + 1));

/** Every add's sum is exact (power-of-two weights, no bias) and the next op reading it requantizes by shift 0 at most, at a cost of its width. */
function expectExactAdds(model: QModel): number {
  const bounds = analyzeBounds(model);
  const plan = planCircuit(model);
  let adds = 0;
  model.ops.forEach((op, k) => {
    if (op.kind !== 'add') return;
    adds++;
    const add = op as AddOp;
    expect(add.weights.flat().every(isPowerOfTwo), `${op.name}'s weights ${JSON.stringify([...new Set(add.weights.flat())])}`).toBe(true);
    expect(add.bias.every((b) => b === 0)).toBe(true);
    // Its output is at most one bit (plus the weights' bits) wider than its widest input.
    const inputs = op.inputs ?? [k - 1];
    const inWidth = Math.max(...inputs.flatMap((i) => bounds[i + 1].lo.map((lo, j) => width(lo, bounds[i + 1].hi[j]))));
    const extra = Math.log2(Math.max(...add.weights.flat().map(Math.abs)));
    bounds[k + 1].lo.forEach((lo, j) => expect(width(lo, bounds[k + 1].hi[j])).toBeLessThanOrEqual(inWidth + 1 + extra));
    const next = model.ops[k + 1];
    if (next?.kind === 'rescale' && !next.inputs) {
      expect(next.shift.every((s) => s === 0), `${next.name}'s shifts`).toBe(true);
      expect(opCost(plan.ops[k + 1]) / next.shift.length).toBeLessThanOrEqual(inWidth + 1 + extra + 2);
    }
  });
  return adds;
}

describe('a residual add is exact and needs no requantizing', () => {
  for (const c of GRAPH_CASES.filter((g) => g.name.startsWith('residual'))) {
    it(`${c.name}: power-of-two weights, a shift-0 relu`, () => {
      expect(expectExactAdds(quantizeModel(c.float(), c.options).model)).toBe(1);
    });
  }

  for (const name of ['res_mlp_196_32_32_10', 'res_cnn_14_8_8_8_10']) {
    it(`zoo ${name}: its add is exact, and no rescale follows it`, async () => {
      const dir = `zoo/${name}`;
      const tfjs = await loadTfjsModel(dir);
      const calibration = (await loadDataset(`${dir}/calibration.json`, tfjs.float.inputShape, { limit: 256 })).inputs;
      const { model } = quantizeModel(tfjs.float, { calibration });
      tfjs.dispose();
      expect(expectExactAdds(model)).toBe(1);
      const at = model.ops.findIndex((op) => op.kind === 'add');
      expect(model.ops[at + 1].kind).not.toBe('rescale');
    }, 120_000);
  }
});
