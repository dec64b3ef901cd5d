/**
 * Files torch.onnx.export wrote (test/fixtures/onnx/torch/), proven: three of the small ones (a
 * Conv1d net with PReLU and MaxPool1d at opset 9, sigmoid, tanh and GELU between Linear layers at
 * opset 13, and a CNN on a 3x8x8 RGB image with a PReLU per channel at opset 13) go through
 * quantize, compile, setup, prove and verify, and each proof's outputs are the integer reference
 * interpreter's on torch's recorded inputs, given in torch's own layout (the RGB image's input
 * file nested [C][H][W]). The others are
 * held to torch and ONNX Runtime, and quantized, in test/unit/onnx-torch.test.ts; their op kinds'
 * circuits are held to the reference in test/circuits/.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileStep } from '../../pipeline/compile.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import { quantizeInput } from '../../model/input.js';
import { runReference } from '../../model/reference.js';
import { TORCH_FIXTURES, randomInputs, torchFixtures } from '../helpers/onnx.js';

const PROVEN: Record<string, string[]> = {
  'conv1d-opset9': ['conv2d', 'rescale', 'maxPool', 'conv2d', 'rescale', 'dense', 'argmax'],
  'smooth-opset13': ['dense', 'table', 'dense', 'table', 'dense', 'table', 'dense', 'argmax'],
  // The input reordered channels last by a transpose (no constraint); the PReLU a leaky rescale with a numerator per element.
  'rgb_cnn-opset13': ['transpose', 'conv2d', 'rescale', 'maxPool', 'conv2d', 'rescale', 'dense', 'argmax'],
};

/** A flat input nested to `shape`, as a user writes an image in torch's own [C][H][W] order. */
function nest(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length <= 1) return [...values];
  const step = values.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, k) => nest(values.slice(k * step, (k + 1) * step), shape.slice(1)));
}

describe('real torch.onnx.export files, proven', async () => {
  const fixtures = (await torchFixtures()).filter((f) => path.basename(f.file, '.onnx') in PROVEN);
  it('the chosen files are there', () => expect(fixtures.map((f) => path.basename(f.file, '.onnx')).sort()).toEqual(Object.keys(PROVEN).sort()));

  for (const { file, record } of fixtures) {
    const name = path.basename(file, '.onnx');
    it(`${name}: quantize, compile, setup, then proofs of torch's inputs whose outputs are the reference's`, async () => {
      // The model as a user has it: the .onnx file with a calibration set beside it.
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-torch-'));
      try {
        const model = path.join(tmp, `${name}.onnx`);
        await fs.copyFile(path.join(TORCH_FIXTURES, `${name}.onnx`), model);
        await fs.writeFile(path.join(tmp, 'calibration.json'), JSON.stringify({ inputs: randomInputs(record.opset, 32, record.inputs[0].length) }));
        const dir = path.join(tmp, 'artifacts');
        const quantized = await quantizeStep({ model, out: dir, inputRange: [0, 1] });
        expect(quantized.model.ops.map((o) => o.kind)).toEqual(PROVEN[name]);
        const compiled = await compileStep(dir);
        expect(compiled.constraints).toBe(compiled.planned);
        if (name.startsWith('rgb_cnn')) expect(quantized.model.input.shape).toEqual([3, 8, 8]);
        await setupStep(dir);
        for (const [k, values] of record.inputs.entries()) {
          const proved = await proveStep(dir, { input: { values }, out: path.join(tmp, `proof-${k}.json`) });
          const reference = runReference(quantized.model, quantizeInput(values, quantized.model.input));
          expect(proved.bundle.outputs.logits?.map(Number)).toEqual(reference.logits);
          expect(proved.bundle.outputs.label).toBe(reference.label);
          if (k === 0) {
            await fs.writeFile(path.join(tmp, 'input.json'), JSON.stringify({ input: nest(values, record.inputShape.slice(1)) }));
            const verified = await verifyStep(dir, { proof: proved.file, input: path.join(tmp, 'input.json') });
            expect(verified).toMatchObject({ valid: true, inputMatches: true, outputsMatch: true });
          }
        }
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
