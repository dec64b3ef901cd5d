/**
 * Real exporter output: the files in test/fixtures/onnx/torch/ were written by PyTorch 1.13's
 * torch.onnx.export (TorchScript exporter) at opsets 9 to 17, from small models of the layers
 * PyTorch users write (make.py there, run by hand). Each supported file loads to the float graph
 * its layers make, computes torch's own recorded outputs and ONNX Runtime's (1e-5 of the output's
 * largest magnitude), and quantizes. Among them the patterns zkinfer once refused: an NCHW image
 * input of three channels (read in torch's own order and reordered channels last inside the
 * model), PReLU with a slope per channel or feature, and nn.LayerNorm written out below opset 17.
 * test/e2e/onnx-torch.test.ts proves three of them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { argmax, runFloat, type FloatLayer } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { firstGraphOp, logitsOpIndex, opScales, parseQModel, type QModel } from '../../model/ir.js';
import { inspectOnnxModel, loadOnnxModel } from '../../model/load/onnx/index.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { TORCH_FIXTURES, buildOnnx, randomInputs, relativeError, runOnnxRuntime, torchFixtures } from '../helpers/onnx.js';
import { attr } from '../../zoo/onnx-writer.js';
import { opCost, planCircuit } from '../../circuits/plan.js';

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
  // Below opset 17 the ReduceMean … Div pattern, fused into the one norm layer opset 17's node gives.
  layernorm: ['dense', 'norm', 'activation relu', 'dense'],
  // A slope per channel (PReLU(C) after a Conv2d: [C, 1, 1]) or per feature (after a Linear: [C]).
  channel_prelu: ['conv2d leakyRelu', 'dense'],
  prelu_mlp: ['dense leakyRelu', 'dense'],
  // Three input channels in torch's NCHW order: a transpose (it only names values) puts them channels last.
  multichannel: ['transpose', 'conv2d relu', 'dense'],
  rgb_cnn: ['transpose', 'conv2d relu', 'pool max', 'conv2d leakyRelu', 'dense'],
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
    expect(fixtures.map((f) => stem(f.file))).toEqual(expect.arrayContaining(['view_mlp-opset9', 'view_mlp-opset11', 'view_mlp-opset13', 'view_mlp-opset17', 'layernorm-opset9', 'layernorm-opset17', 'res_cat-opset13', 'rgb_cnn-opset13']));
    for (const { file, record } of fixtures) {
      expect(record.torch).toMatch(/^1\.13/);
      expect(stem(file)).toBe(`${record.model}-opset${record.opset}`);
      expect(record.outputs.length).toBe(record.inputs.length);
    }
    const sizes = await Promise.all(fixtures.map(async (f) => (await fs.stat(f.file)).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(200_000);
  });

  for (const { file, record } of fixtures) {
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

  it("rgb_cnn: the input stays in torch's [C, H, W] order; the quantized model's first op reorders it channels last for free", async () => {
    const file = path.join(TORCH_FIXTURES, 'rgb_cnn-opset13.onnx');
    const inspection = await inspectOnnxModel(file);
    expect(inspection.supported).toBe(true);
    expect(inspection.input.shape).toEqual([1, 3, 8, 8]);
    const loaded = await loadOnnxModel(file);
    const { model } = quantizeModel(loaded.float, { calibration: randomInputs(5, 16, 3 * 8 * 8), inputRange: [0, 1] });
    expect(model.input.shape).toEqual([3, 8, 8]);
    const [transpose, conv] = model.ops;
    expect(transpose).toMatchObject({ kind: 'transpose' });
    expect(conv).toMatchObject({ kind: 'conv2d', inShape: [8, 8, 3] });
    // The reference reads input element (c, y, x) at c·64 + y·8 + x, the convolution sees it at (y, x, c).
    const q = Array.from({ length: 3 * 64 }, (_, i) => i % 7);
    const moved = runReference(model, q).values[0];
    for (const [c, y, x] of [[0, 0, 0], [2, 3, 5], [1, 7, 7]]) expect(moved[(y * 8 + x) * 3 + c]).toBe(q[c * 64 + y * 8 + x]);
    expect(opCost(planCircuit(model).ops[0])).toBe(0);
  });

  it('channel_prelu: one leaky numerator per element, each its channel\'s slope over one 2^bits; the QModel file holds and checks them', async () => {
    const loaded = await loadOnnxModel(path.join(TORCH_FIXTURES, 'channel_prelu-opset13.onnx'));
    const conv = loaded.float.layers[0]!;
    const slopes = conv.kind === 'conv2d' && conv.activation.kind === 'leakyRelu' ? conv.activation.alpha : undefined;
    expect(Array.isArray(slopes) && (slopes as number[]).length).toBe(4 * 4 * 3);
    const { model } = quantizeModel(loaded.float, { calibration: randomInputs(8, 32, 36), inputRange: [0, 1] });
    const rescale = model.ops.find((o) => o.kind === 'rescale');
    if (rescale?.kind !== 'rescale' || rescale.activation.kind !== 'leaky' || typeof rescale.activation.numerator === 'number') throw new Error('expected a leaky rescale with a numerator per element');
    const { numerator, bits } = rescale.activation;
    numerator.forEach((n, j) => expect(Math.abs(n / 2 ** bits - (slopes as number[])[j]!)).toBeLessThanOrEqual((slopes as number[])[j]! * 0.005));
    expect(new Set(numerator).size).toBe(3);
    const json = JSON.parse(JSON.stringify(model));
    expect(parseQModel(json, 'qmodel.json')).toEqual(model);
    const at = model.ops.indexOf(rescale);
    json.ops[at].activation.numerator = numerator.slice(1);
    expect(() => parseQModel(json, 'qmodel.json')).toThrow(new RegExp(`ops\\[${at}\\]\\.activation\\.numerator must have ${numerator.length} entries, found ${numerator.length - 1}`));
  });

  it('an image whose elements no transpose of what is stored puts channels last (a Transpose, then a Reshape that splits its axes elsewhere): refused, naming the node', async () => {
    const file = await buildOnnx(13, (g, random) => {
      const x = g.input('x', ['batch', 1, 2, 3]);
      const swapped = g.node('Transpose', [x], { perm: attr.ints([0, 1, 3, 2]) })[0]!;
      const mixed = g.node('Reshape', [swapped, g.init('shape', [4], [1, 2, 3, 1], 'int')])[0]!;
      g.output(g.node('Flatten', [g.node('Conv', [mixed, g.init('w', [2, 2, 1, 1], random(4))])[0]!])[0]!);
    });
    const error = await loadOnnxModel(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ZkinferError);
    expect((error as ZkinferError).message).toMatch(/\(Conv, opset 13\): its input \[1, 2, 3, 1\] is laid out in an order that no transpose makes channels last/);
  });
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
