/**
 * A convolutional model end to end through the library's steps: conv, max pool, depthwise conv
 * with relu6, global average pool and dense, proven, verified off-chain against its input, and
 * verified on Hardhat's in-process network. (The zoo's CNNs prove the same way in `zkinfer bench`;
 * here the model is small so the suite stays fast.)
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { compileStep } from '../../pipeline/compile.js';
import { exportVerifierStep, verifyOnChainStep } from '../../pipeline/contracts.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import { randomInputs, saveModel } from '../helpers/fixtures.js';

it('proves and verifies a small CNN off-chain and on-chain', async () => {
  const model = await saveModel(
    (tf) => [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.depthwiseConv2d({ kernelSize: 2, activation: 'relu6' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    31,
    { 'metadata.json': { name: 'tiny_cnn', labels: ['a', 'b', 'c'], inputRange: [0, 1] }, 'calibration.json': { inputs: randomInputs(31, 32, 36) }, 'input.json': { input: randomInputs(32, 1, 36)[0] } },
  );
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-cnn-'));
  const quantized = await quantizeStep({ model, out: dir });
  expect(quantized.model.ops.map((o) => o.kind)).toEqual(['conv2d', 'rescale', 'maxPool', 'conv2d', 'rescale', 'avgPool', 'dense', 'argmax']);
  const compiled = await compileStep(dir);
  expect(compiled.constraints).toBe(compiled.planned);
  await setupStep(dir);
  const input = path.join(model, 'input.json');
  const proved = await proveStep(dir, { input });
  expect(proved.bundle.outputs.logits?.map(Number)).toEqual(proved.reference.logits);
  const verified = await verifyStep(dir, { proof: proved.file, input });
  expect(verified).toMatchObject({ valid: true, proofValid: true, inputMatches: true, outputsMatch: true });
  await exportVerifierStep(dir);
  const onChain = await verifyOnChainStep(dir, { proof: proved.file });
  expect(onChain.valid).toBe(true);
});
