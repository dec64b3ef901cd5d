/**
 * The constraint budgets of the zoo's dense models, by the cost model. Circuit tests hold every
 * compiled layer to the cost model exactly, so this is what `zkinfer inspect` measures.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { planCircuit, totalCost } from '../../circuits/plan.js';
import { packageRoot } from '../../core/paths.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { quantizeModel } from '../../model/quantize/index.js';

it.each([
  ['mlp_196_25_10', 3000],
  ['mlp_784_56_10', 9000],
])('%s stays within %i constraints', async (name, budget) => {
  const dir = path.join(packageRoot(), 'zoo', name);
  const loaded = await loadTfjsModel(dir);
  const calibration = JSON.parse(await fs.readFile(path.join(dir, 'calibration.json'), 'utf8')).inputs;
  const { model } = quantizeModel(loaded.float, { calibration });
  loaded.dispose();
  const constraints = totalCost(planCircuit(model));
  expect(constraints).toBeLessThanOrEqual(budget);
  expect(constraints).toBeGreaterThan(budget / 2); // the count is a real circuit's, not a degenerate one
});
