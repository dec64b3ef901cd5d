/**
 * TF.js's 1-D layers (Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D,
 * GlobalMaxPooling1D) and preprocessing layers (Rescaling, Keras's Normalization): each small model
 * built with TF.js, saved and loaded, evaluates as TF.js's predict does (1e-5 relative), folds where
 * the float semantics allows, and quantizes near the float model. Options zkinfer cannot prove are
 * refused by layer, and a fuzz of their configs is refused with errors naming the layer.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { maxOf } from '../../core/numbers.js';
import { seededRandom } from '../../core/random.js';
import { runFloat, sizeOf } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { firstGraphOp, logitsOpIndex, opScales } from '../../model/ir.js';
import { registerNormalization } from '../../model/load/normalization.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { type Tf, saveModel } from '../helpers/fixtures.js';
import { relativeError } from '../helpers/onnx.js';
import { TFJS_LAYER_CASES } from '../helpers/tfjs-layer-cases.js';

function softmax(logits: Float64Array): number[] {
  const m = maxOf(logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe.each(TFJS_LAYER_CASES)('$name', (c) => {
  it('evaluates as TF.js does, folds as the float semantics allows, and quantizes near it', async () => {
    const loaded = await loadTfjsModel(await saveModel(c.build, 31));
    try {
      expect(loaded.float.layers.map((l) => l.kind)).toEqual(c.kinds);
      const random = seededRandom(41);
      const [lo, hi] = c.inputRange;
      const inputs = Array.from({ length: 16 }, () => Array.from({ length: sizeOf(loaded.float.inputShape) }, () => lo + (hi - lo) * random()));
      const predictions = await loaded.predict(inputs);
      const softmaxEnd = loaded.float.layers.some((l) => 'activation' in l && l.activation.kind === 'softmax');
      inputs.forEach((x, k) => {
        const logits = runFloat(loaded.float, x).logits;
        expect(relativeError(softmaxEnd ? softmax(logits) : logits, predictions[k])).toBeLessThan(1e-5);
      });
      const { model } = quantizeModel(loaded.float, { calibration: inputs, inputRange: c.inputRange, inputBits: 10, weightBits: 10, activationBits: 10 });
      const scales = opScales(model)[logitsOpIndex(model)];
      for (const x of inputs) {
        const q = quantizeInput(x, model.input);
        const float = runFloat(loaded.float, x).logits;
        const logits = runReference(model, q).logits.map((v, j) => v * scales[j]);
        if (firstGraphOp(model) < 0) {
          const bound = logitErrorBound(loaded.float, model, q);
          logits.forEach((v, j) => expect(Math.abs(v - float[j])).toBeLessThanOrEqual(bound[j] + 1e-9));
        } else expect(relativeError(logits, float)).toBeLessThan(0.05);
      }
    } finally {
      loaded.dispose();
    }
  });
});

async function refusal(build: (tf: Tf) => tfTypes.layers.Layer[]): Promise<ZkinferError> {
  const error = await loadTfjsModel(await saveModel(build, 5)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ZkinferError);
  return error as ZkinferError;
}

describe('refusals, by layer and option', () => {
  it("refuses Conv1D's causal padding, which TF.js itself does not compute", async () => {
    const error = await refusal((tf) => [tf.layers.conv1d({ inputShape: [8, 1], filters: 2, kernelSize: 3, padding: 'causal' }), tf.layers.flatten({}), tf.layers.dense({ units: 2 })]);
    expect(error.code).toBe('MODEL_UNSUPPORTED');
    expect(error.message).toMatch(/layer 0 '.*': Conv1D padding 'causal' is not supported: TF.js does not compute it/);
  });

  it('refuses strides and a dilation rate both above 1', async () => {
    const error = await refusal((tf) => [tf.layers.conv1d({ inputShape: [12, 1], filters: 2, kernelSize: 2, strides: 2, dilationRate: 2 }), tf.layers.flatten({}), tf.layers.dense({ units: 2 })]);
    expect(error.message).toMatch(/layer 0 '.*': Conv1D with both strides and dilationRate above 1 is not supported/);
  });

  it('refuses a Normalization whose statistics do not fit its axis', async () => {
    const dir = await saveModel((tf) => [new (registerNormalization(tf))({ inputShape: [4], mean: [0, 1, 2, 3], variance: [1, 1, 1, 1] }), tf.layers.dense({ units: 2 })], 5);
    const file = path.join(dir, 'model.json');
    const json = JSON.parse(await fs.readFile(file, 'utf8'));
    json.modelTopology.config.layers[0].config.variance = [1, 1, -1, 1];
    await fs.writeFile(file, JSON.stringify(json));
    const error = await loadTfjsModel(dir).then(
      () => undefined,
      (e: unknown) => e as ZkinferError,
    );
    expect(error).toBeInstanceOf(ZkinferError);
    expect(error!.message).toMatch(/layer 0 '.*': Normalization variance must be non-negative finite numbers, 4 of them/);
  });
});

describe('a fuzz of the new layers\' configs', () => {
  const MUTANTS: unknown[] = [undefined, 'x', null, -1, 0, 1.5, [], [2, 2, 2], {}, true];
  const KEYS: Record<string, string[]> = {
    Rescaling: ['scale', 'offset'],
    Normalization: ['axis', 'mean', 'variance', 'invert'],
    Conv1D: ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'use_bias', 'groups'],
    MaxPooling1D: ['pool_size', 'strides', 'padding'],
    AveragePooling1D: ['pool_size', 'strides', 'padding'],
    GlobalMaxPooling1D: ['data_format'],
  };

  it('accepts each mutation or refuses it with a clear error naming the layer', async () => {
    const dir = await saveModel(
      (tf) => [
        tf.layers.rescaling({ inputShape: [10, 2], scale: 0.5, offset: 0.1 }),
        new (registerNormalization(tf))({ mean: [0.1, -0.2], variance: [1, 2] }),
        tf.layers.conv1d({ filters: 3, kernelSize: 2 }),
        tf.layers.maxPooling1d({ poolSize: 2 }),
        tf.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
        tf.layers.globalMaxPooling1d({}),
        tf.layers.dense({ units: 2 }),
      ],
      9,
    );
    const file = path.join(dir, 'model.json');
    const original = await fs.readFile(file, 'utf8');
    let refused = 0;
    let total = 0;
    for (const [index, layer] of (JSON.parse(original).modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[]).entries()) {
      for (const key of KEYS[layer.class_name] ?? []) {
        for (const mutant of MUTANTS) {
          const json = JSON.parse(original);
          const config = json.modelTopology.config.layers[index].config;
          if (mutant === undefined) delete config[key];
          else config[key] = mutant;
          await fs.writeFile(file, JSON.stringify(json));
          const name = `${layer.class_name}.${key} = ${JSON.stringify(mutant)}`;
          total++;
          try {
            (await loadTfjsModel(dir)).dispose();
          } catch (error) {
            refused++;
            expect(error, `${name}: ${(error as Error)?.stack}`).toBeInstanceOf(ZkinferError);
            expect((error as ZkinferError).message, name).toContain(layer.config.name as string);
            expect((error as ZkinferError).message.length, name).toBeLessThan(600);
          }
        }
      }
    }
    expect(refused).toBeGreaterThan(total / 3);
  }, 120_000);
});
