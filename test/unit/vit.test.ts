/**
 * The zoo's tiny vision transformer (zoo/vit.ts): the ONNX file its writer makes computes what the
 * TF.js ops it was trained with compute (ONNX Runtime on a small random ViT), model/float.ts
 * computes what ONNX Runtime computes on the zoo's trained file, and both quantize (a residual
 * stream that feeds a LayerNorm gets one scale).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.js';
import { runFloat } from '../../model/float.js';
import { logitsOpIndex, opScales, quantizeInput } from '../../model/ir.js';
import { loadOnnxModel } from '../../model/load/onnx/index.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { VIT_NAME } from '../../zoo/architectures.js';
import { type VitShape, initialVitWeights, vitLogits, vitOnnx, vitParameterShapes } from '../../zoo/vit.js';
import { randomInputs, relativeError, runOnnxRuntime, writeOnnx } from '../helpers/onnx.js';
import { seededRng } from '../helpers/random.js';

const SMALL: VitShape = { side: 8, patch: 4, width: 8, heads: 2, hidden: 12, blocks: 2, classes: 3 };

describe('tiny ViT (zoo/vit.ts)', () => {
  it('its ONNX export equals its TF.js forward pass (ONNX Runtime, 1e-5) and model/float.ts equals ONNX Runtime; it quantizes', async () => {
    const random = seededRng(5);
    // Random weights everywhere (LayerNorm's and the biases too), so that a misplaced one shows.
    const weights = initialVitWeights(SMALL, random);
    for (const values of weights.values()) values.forEach((v, j) => (values[j] = v + (random() - 0.5) * 0.6));
    const file = await writeOnnx(vitOnnx(SMALL, weights));
    const inputs = randomInputs(3, 8, SMALL.side * SMALL.side);
    const runtime = await runOnnxRuntime(file, [1, 1, SMALL.side, SMALL.side], inputs);
    const shapes = new Map(vitParameterShapes(SMALL));
    const ours = tf.tidy(() => vitLogits(tf, SMALL, (name) => tf.tensor(weights.get(name)!, shapes.get(name)), tf.tensor2d(inputs)).arraySync() as number[][]);
    const loaded = await loadOnnxModel(file);
    expect(loaded.float.layers.filter((l) => l.kind === 'matmul')).toHaveLength(2 * SMALL.blocks);
    expect(loaded.float.layers.filter((l) => l.kind === 'norm')).toHaveLength(2 * SMALL.blocks + 1);
    inputs.forEach((x, k) => {
      expect(relativeError(ours[k]!, runtime[k]!)).toBeLessThan(1e-5);
      expect(relativeError(runFloat(loaded.float, x).logits, runtime[k]!)).toBeLessThan(1e-5);
    });
    // Quantized, its logits follow the float model's (gamma and beta of each LayerNorm scaled per element of a token, as the projections after it read them).
    const { model } = quantizeModel(loaded.float, { calibration: inputs });
    const logitScales = opScales(model)[logitsOpIndex(model)]!;
    let [error, reach] = [0, 0];
    for (const x of inputs) {
      const expected = runFloat(loaded.float, x).logits;
      const logits = runReference(model, quantizeInput(x, model.input)).logits;
      expect(logits).toHaveLength(SMALL.classes);
      logits.forEach((v, j) => {
        error = Math.max(error, Math.abs(v * logitScales[j]! - expected[j]!));
        reach = Math.max(reach, Math.abs(expected[j]!));
      });
    }
    console.log(`small ViT: largest logit error ${(error / reach).toExponential(2)} of the largest |logit|`);
    expect(error / reach).toBeLessThan(0.05);
    // The residual stream is a flat [1, 1, tokens · width] tensor (the position's Add); each LayerNorm's gamma and beta still scale per element of a token.
    const scales = opScales(model);
    const affines = model.ops.flatMap((op, k) => (op.name.endsWith('/affine/rescale') ? [scales[k]!] : []));
    expect(affines).toHaveLength(2 * SMALL.blocks + 1);
    for (const s of affines) expect(s).toEqual(s.map((_, j) => s[j % SMALL.width]));
  });

  const zooFile = path.join(packageRoot(), 'zoo', VIT_NAME, 'model.onnx');
  it(`the zoo's ${VIT_NAME}: model/float.ts equals ONNX Runtime (1e-5) on its sample images`, async () => {
    expect(fs.existsSync(zooFile)).toBe(true);
    const samples = JSON.parse(fs.readFileSync(path.join(path.dirname(zooFile), 'samples.json'), 'utf8')) as { inputs: number[][] };
    const inputs = samples.inputs.slice(0, 8);
    const loaded = await loadOnnxModel(zooFile);
    const runtime = await runOnnxRuntime(zooFile, [1, 1, 28, 28], inputs);
    inputs.forEach((x, k) => expect(relativeError(runFloat(loaded.float, x).logits, runtime[k]!)).toBeLessThan(1e-5));
  });
});
