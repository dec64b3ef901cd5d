/**
 * The generated Circom of a small fixed model, compared with a committed golden file, so every
 * change to what the emitters write shows up as a reviewed diff.
 * Regenerate with `npm run golden:update` and review the diff.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { emitCircuit } from '../../circuits/emit/index.js';
import { packageRoot } from '../../core/paths.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { randomInputs, writeTinyModel } from '../helpers/fixtures.js';

const GOLDEN = path.join(packageRoot(), 'test', 'fixtures', 'golden', 'tiny_mlp.circom');

it('emits the committed Circom for the tiny fixture model', async () => {
  const loaded = await loadTfjsModel(await writeTinyModel());
  const { model } = quantizeModel(loaded.float, { calibration: randomInputs(7, 64, 16) });
  loaded.dispose();
  const { source } = emitCircuit(model);
  if (process.env.ZKINFER_UPDATE_GOLDEN === '1') await fs.writeFile(GOLDEN, source);
  expect(source).toBe(await fs.readFile(GOLDEN, 'utf8'));
});
