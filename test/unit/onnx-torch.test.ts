/**
 * Real exporter output: the files in test/fixtures/onnx/torch/ were written by PyTorch 1.13's
 * torch.onnx.export (TorchScript exporter) at opsets 9 to 17, from small models of the layers
 * PyTorch users write (make.py there, run by hand). Each supported file loads to the float graph
 * its layers make, computes torch's own recorded outputs and ONNX Runtime's (1e-5 of the output's
 * largest magnitude), and quantizes; each file zkinfer refuses is refused by node, op type and
 * opset with what would work instead. test/e2e/onnx-torch.test.ts proves two of them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { argmax, runFloat, type FloatLayer } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { firstGraphOp, logitsOpIndex, opScales, type QModel } from '../../model/ir.js';
import { inspectOnnxModel, loadOnnxModel } from '../../model/load/onnx/index.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { TORCH_FIXTURES, randomInputs, relativeError, runOnnxRuntime, torchFixtures } from '../helpers/onnx.js';

/**
 * Each model's float graph, the same at every opset it was exported at: what folds (BatchNorm
 * into the Conv before it, Relu and relu6's Clip into their layer, the view/flatten shape
 * subgraph, the empty Pad before AvgPool2d) leaves no layer, and the layers' kinds and
 * activations are PyTorch's modules'.
 */
const LAYERS: Record<string, string[]> = {
  view_mlp: ['dense relu', 'dense'],
  view_mlp_unfolded: ['dense relu', 'dense'],
  sequence_mlp: ['dense leakyRelu', 'dense softmax'],
  cnn: ['conv2d relu', 'pool max', 'conv2d', 'conv2d relu6', 'pool avg', 'dense softmax'],
  // The BatchNorm2d after a ReLU has nothing to fold into: a 1x1 depthwise convolution of its own.
  gap: ['conv2d leakyRelu', 'conv2d relu', 'conv2d', 'pool avg', 'dense'],
  conv1d: ['conv2d leakyRelu', 'pool max', 'conv2d relu', 'dense'],
  res_cat: ['conv2d relu', 'conv2d relu', 'conv2d', 'add relu', 'conv2d relu', 'conv2d relu', 'concat', 'pool avg', 'dense softmax'],
  smooth: ['dense sigmoid', 'dense tanh', 'dense gelu', 'dense'],
  layernorm: ['dense', 'norm', 'activation relu', 'dense'],
};

/** The files zkinfer refuses, with what the refusal must say. */
const REFUSED: Record<string, RegExp> = {
  'channel_prelu-opset13': /node 1 '\/prelu\/PRelu' \(PRelu, opset 13\): a PRelu with a slope per channel is not supported .*one shared slope is/,
  'layernorm-opset13': /node 1 '\/norm\/ReduceMean' \(ReduceMean, opset 13\): .*export with opset 17 or later, where it is one LayerNormalization node/,
  'multichannel-opset13': /node 0 '\/conv\/Conv' \(Conv, opset 13\): its input \[1, 3, 6, 6\] is not laid out channels last.*NHWC input followed by Transpose \[0, 3, 1, 2\].*or a single-channel input/,
};

function describeLayer(layer: FloatLayer): string {
  const activation = 'activation' in layer ? layer.activation : { kind: 'linear' as const };
  const detail =
    layer.kind === 'pool' ? layer.op : activation.kind === 'linear' ? '' : activation.kind === 'table' ? activation.fn.name : activation.kind === 'relu' && activation.max !== undefined ? `relu${activation.max}` : activation.kind;
  return detail ? `${layer.kind} ${detail}` : layer.kind;
}

const stem = (file: string) => path.basename(file, '.onnx');

describe('real torch.onnx.export files', async () => {
  const fixtures = await torchFixtures();

  it('the fixtures are what make.py writes: every model at its opsets, small', async () => {
    expect(fixtures.map((f) => stem(f.file))).toEqual(expect.arrayContaining(['view_mlp-opset9', 'view_mlp-opset11', 'view_mlp-opset13', 'view_mlp-opset17', 'layernorm-opset17', 'res_cat-opset13']));
    for (const { file, record } of fixtures) {
      expect(record.torch).toMatch(/^1\.13/);
      expect(stem(file)).toBe(`${record.model}-opset${record.opset}`);
      expect(record.outputs.length).toBe(record.inputs.length);
    }
    const sizes = await Promise.all(fixtures.map(async (f) => (await fs.stat(f.file)).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(200_000);
  });

  for (const { file, record } of fixtures.filter((f) => !REFUSED[stem(f.file)])) {
    it(`${stem(file)}: torch's outputs, ONNX Runtime's, and a quantized model that follows the float one`, async () => {
      const loaded = await loadOnnxModel(file);
      expect(loaded.float.inputShape).toEqual(record.inputShape.slice(1));
      expect(loaded.float.layers.map(describeLayer)).toEqual(LAYERS[record.model]);
      const ours = await loaded.predict(record.inputs);
      record.outputs.forEach((torch, k) => expect(relativeError(ours[k], torch), `torch, input ${k}`).toBeLessThan(1e-5));
      const size = record.inputs[0].length;
      const inputs = [...record.inputs, ...randomInputs(record.opset, 5, size)];
      const runtime = await runOnnxRuntime(file, record.inputShape, inputs);
      (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, runtime[k]), `ONNX Runtime, input ${k}`).toBeLessThan(1e-5));

      const calibration = randomInputs(100 + record.opset, 64, size);
      const { model } = quantizeModel(loaded.float, { calibration, inputRange: [0, 1] });
      expectFollowsFloat(model, loaded.float, calibration);
    });
  }

  for (const [name, message] of Object.entries(REFUSED)) {
    it(`${name}: refused by node, op type and opset, saying what would work; inspect lists the node`, async () => {
      const file = path.join(TORCH_FIXTURES, `${name}.onnx`);
      const error = await loadOnnxModel(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ZkinferError);
      expect((error as ZkinferError).code).toBe('MODEL_UNSUPPORTED');
      expect((error as ZkinferError).message).toMatch(message);
      const inspection = await inspectOnnxModel(file);
      expect(inspection.supported).toBe(false);
      expect(inspection.nodes.filter((n) => n.status === 'unsupported').length).toBe(1);
    });
  }
});

/**
 * Chains: every dequantized logit within the bound the scales imply (model/quantize/error-bound.ts).
 * Graphs, table activations and norms, which that bound does not cover: the reference's class is
 * the float model's on all but at most two of the calibration inputs.
 */
function expectFollowsFloat(model: QModel, float: Parameters<typeof runFloat>[0], inputs: number[][]): void {
  const bounded = firstGraphOp(model) < 0 && !model.ops.some((o) => o.kind === 'table' || o.kind === 'norm');
  const scales = opScales(model)[logitsOpIndex(model)];
  let agree = 0;
  for (const x of inputs) {
    const q = quantizeInput(x, model.input);
    const trace = runReference(model, q);
    const logits = runFloat(float, x).logits;
    if (!bounded) {
      if (trace.label === argmax(logits)) agree++;
      continue;
    }
    const bound = logitErrorBound(float, model, q);
    trace.logits.forEach((v, j) => expect(Math.abs(v * scales[j] - logits[j])).toBeLessThanOrEqual(bound[j] + 1e-9));
  }
  if (!bounded) expect(agree).toBeGreaterThanOrEqual(inputs.length - 2);
}
