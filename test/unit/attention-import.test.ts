/**
 * Attention from ONNX: a self-attention block as hand-written PyTorch attention and as
 * nn.MultiheadAttention's layout exports it (MatMul of two tensors, Softmax(-1) inside the graph,
 * Reshape and Transpose head splits and merges, Div or Mul by √d) loads into matmul, transpose and
 * softmax layers that compute what ONNX Runtime computes, and quantizes; what is not supported is
 * refused naming the node.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths.js';
import { ZkinferError } from '../../core/errors.js';
import { runFloat } from '../../model/float.js';
import { quantizeInput } from '../../model/ir.js';
import { loadOnnxModel } from '../../model/load/onnx/index.js';
import { axisPermutation } from '../../model/load/onnx/tensors.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { attentionBlockModel, attentionBlockOnnx } from '../../zoo/attention.js';
import { attr } from '../../zoo/onnx-writer.js';
import { buildOnnx, randomInputs, relativeError, runOnnxRuntime, writeOnnx } from '../helpers/onnx.js';
import { seededRng } from '../helpers/random.js';
import { transposeSources } from '../../model/ir.js';

const SHAPE = { tokens: 4, width: 8, heads: 2, classes: 3 };

describe('attention from ONNX', () => {
  for (const style of ['hand', 'mha'] as const) {
    it(`${style}: loads as matmul, transpose and softmax layers; the float graph equals ONNX Runtime (1e-5) and the zoo block; quantizes`, async () => {
      const float = attentionBlockModel(SHAPE, seededRng(11));
      const file = await writeOnnx(attentionBlockOnnx(float, SHAPE, style));
      const loaded = await loadOnnxModel(file);
      const kinds = loaded.float.layers.map((l) => l.kind);
      expect(kinds.filter((k) => k === 'matmul')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'softmax')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'transpose').length).toBeGreaterThanOrEqual(3);
      expect(kinds.filter((k) => k === 'conv2d')).toHaveLength(4); // Q, K, V and the output projection, 1x1 each: the Add of each bias and the scaling folded in
      const inputs = randomInputs(12, 16, SHAPE.tokens * SHAPE.width).map((x) => x.map((v) => 2 * v - 1));
      const runtime = await runOnnxRuntime(file, [1, SHAPE.tokens, SHAPE.width], inputs);
      inputs.forEach((x, k) => {
        const ours = runFloat(loaded.float, x).logits;
        expect(relativeError(ours, runtime[k]!)).toBeLessThan(1e-5);
        expect(relativeError(ours, runFloat(float, x).logits)).toBeLessThan(1e-6);
      });
      const { model } = quantizeModel(loaded.float, { calibration: inputs, inputRange: [-1, 1] });
      expect(model.ops.filter((op) => op.kind === 'matmul')).toHaveLength(2);
      const reference = runReference(model, quantizeInput(inputs[0]!, model.input));
      expect(reference.logits).toHaveLength(SHAPE.classes);
    });
  }

  for (const fixture of ['hand', 'mha'] as const) {
    it(`torch.onnx.export of ${fixture === 'hand' ? 'hand-written attention' : 'nn.MultiheadAttention (its packed in-projection sliced, its output projection a Gemm over rows)'} (test/fixtures/onnx/attention/${fixture}.onnx, torch 1.13, opset 17): equals ONNX Runtime, quantizes`, async () => {
      const file = path.join(packageRoot(), 'test', 'fixtures', 'onnx', 'attention', `${fixture}.onnx`);
      const loaded = await loadOnnxModel(file);
      const kinds = loaded.float.layers.map((l) => l.kind);
      expect(kinds.filter((k) => k === 'matmul')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'softmax')).toHaveLength(1);
      // Q, K, V and the output projection, each a 1x1 convolution of its own (the packed one sliced into three, then dropped).
      expect(loaded.float.layers.filter((l) => l.kind === 'conv2d' && l.groups === 1)).toHaveLength(4);
      const inputs = randomInputs(13, 16, 32).map((x) => x.map((v) => 2 * v - 1));
      const runtime = await runOnnxRuntime(file, [1, 4, 8], inputs);
      inputs.forEach((x, k) => expect(relativeError(runFloat(loaded.float, x).logits, runtime[k]!)).toBeLessThan(1e-5));
      const { model } = quantizeModel(loaded.float, { calibration: inputs, inputRange: [-1, 1] });
      expect(model.ops.filter((op) => op.kind === 'matmul')).toHaveLength(2);
      expect(runReference(model, quantizeInput(inputs[0]!, model.input)).logits).toHaveLength(3);
    });
  }

  it('refuses a MatMul that broadcasts, a Softmax inside the model over another axis, a Slice of anything but a projection, naming the node', async () => {
    const refusal = async (build: Parameters<typeof buildOnnx>[1]) => {
      const error = await loadOnnxModel(await buildOnnx(17, build)).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ZkinferError);
      return (error as Error).message;
    };
    const broadcast = await refusal((g, random) => {
      const x = g.input('x', [1, 2, 3, 4]);
      const y = g.node('Reshape', [x, g.init('s', [3], [2, 4, 3], 'int')])[0]!;
      const product = g.node('MatMul', [x, g.node('Relu', [y])[0]!])[0]!;
      g.output(g.node('Gemm', [g.node('Flatten', [product])[0]!, g.init('w', [18, 2], random(36))])[0]!, [1, 2]);
    });
    expect(broadcast).toMatch(/MatMul.*\[1, 2, 3, 4\] and \[2, 4, 3\] is not supported.*same leading axes/);
    const axis = await refusal((g, random) => {
      const x = g.input('x', [1, 3, 4]);
      const s = g.node('Softmax', [g.node('MatMul', [x, g.init('w', [4, 4], random(16))])[0]!], { axis: attr.int(1) })[0]!;
      g.output(g.node('Gemm', [g.node('Flatten', [s])[0]!, g.init('w2', [12, 2], random(24))])[0]!, [1, 2]);
    });
    expect(axis).toMatch(/Softmax.*over axis 1 of \[1, 3, 4\] is not supported: along the last axis only/);
    const slice = await refusal((g, random) => {
      const x = g.input('x', [1, 3, 4]);
      const part = g.node('Slice', [g.node('Relu', [x])[0]!, g.init('starts', [1], [0], 'int'), g.init('ends', [1], [2], 'int'), g.init('axes', [1], [2], 'int')])[0]!;
      g.output(g.node('Gemm', [g.node('Flatten', [part])[0]!, g.init('w2', [6, 2], random(12))])[0]!, [1, 2]);
    });
    expect(slice).toMatch(/Slice.*supported only along the last axis, step 1, of a projection of rows/);
  });

  it('axisPermutation reads back every transpose of [2, 3, 4], and refuses an order that is none', () => {
    for (const perm of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
      const order = Int32Array.from(transposeSources({ inShape: [2, 3, 4], perm }));
      const layout = axisPermutation(order)!;
      expect(transposeSources(layout)).toEqual(Array.from(order));
    }
    expect(axisPermutation(Int32Array.from([0, 2, 1, 3, 5, 4]))).toBeUndefined();
  });
});
