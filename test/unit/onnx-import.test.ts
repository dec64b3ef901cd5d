/**
 * ONNX import on graphs built node by node with the patterns exporters write: every supported op
 * and attribute is loaded with ONNX Runtime's semantics (the float interpreter agrees with it to
 * 1e-5 of the output's magnitude on random inputs), the quantized model stays within its error
 * bound, and everything zkinfer cannot prove is refused by node, op type and opset.
 */
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { argmax, runFloat } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { logitsOpIndex, opScales } from '../../model/ir.js';
import { inspectOnnxModel, loadOnnxModel } from '../../model/load/onnx/index.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { OnnxGraph, attr, intTensor } from '../../zoo/onnx-writer.js';
import { buildOnnx, randomInputs, relativeError, runOnnxRuntime, writeOnnx } from '../helpers/onnx.js';

const { int, ints, float, string } = attr;

interface Case {
  name: string;
  opset: number;
  /** The input's ONNX shape (batch 1). */
  shape: number[];
  build: (g: OnnxGraph, random: (n: number) => number[], x: string) => string;
  /** The model ends in ArgMax: ONNX Runtime gives the class, compare with the argmax. */
  argmaxOutput?: boolean;
}

const cases: Case[] = [
  {
    name: 'tf2onnx: NHWC input and Transpose, Conv with pads and strides, BatchNormalization folded, Clip(0, 6), MaxPool with pads, depthwise dilated Conv, LeakyRelu, AveragePool with pads, GlobalAveragePool, Flatten, Unsqueeze/Squeeze, Dropout, Gemm with alpha, beta and transB, Softmax',
    opset: 13,
    shape: [1, 9, 9, 3],
    build(g, random, x) {
      let y = g.node('Transpose', [x], { perm: ints([0, 3, 1, 2]) })[0];
      y = g.node('Conv', [y, g.init('w1', [4, 3, 3, 2], random(72)), g.init('b1', [4], random(4))], { pads: ints([1, 0, 1, 2]), strides: ints([2, 1]) })[0];
      const positive = random(4).map((v) => 0.5 + Math.abs(v));
      y = g.node('BatchNormalization', [y, g.init('gamma', [4], positive), g.init('beta', [4], random(4)), g.init('mean', [4], random(4)), g.init('var', [4], positive)], { epsilon: float(1e-3) })[0];
      y = g.node('Clip', [y, g.init('lo', [], [0]), g.init('hi', [], [6])])[0];
      y = g.node('MaxPool', [y], { kernel_shape: ints([2, 2]), pads: ints([1, 1, 0, 0]), strides: ints([2, 2]) })[0];
      y = g.node('Conv', [y, g.init('w2', [8, 1, 2, 2], random(32)), g.init('b2', [8], random(8))], { group: int(4), pads: ints([1, 2, 1, 0]), dilations: ints([2, 2]) })[0];
      y = g.node('LeakyRelu', [y], { alpha: float(0.2) })[0];
      y = g.node('AveragePool', [y], { kernel_shape: ints([2, 2]), pads: ints([1, 1, 1, 1]), strides: ints([1, 1]) })[0];
      y = g.node('GlobalAveragePool', [y])[0];
      y = g.node('Flatten', [y], { axis: int(1) })[0];
      y = g.node('Unsqueeze', [y, g.init('axes', [1], [2], 'int')])[0];
      y = g.node('Squeeze', [y, g.init('axes2', [1], [2], 'int')])[0];
      y = g.node('Dropout', [y])[0];
      y = g.node('Gemm', [y, g.init('w3', [5, 8], random(40)), g.init('c3', [1, 5], random(5))], { alpha: float(0.5), beta: float(2), transB: int(1) })[0];
      return g.node('Softmax', [y], { axis: int(-1) })[0];
    },
  },
  {
    name: 'PyTorch: one-channel NCHW, Pad as inputs, SAME_LOWER Conv, Relu, a BatchNormalization nothing can take, PRelu with one slope, Transpose to NHWC, Reshape, MatMul + Add, Sub, Mul and Div by constants',
    opset: 17,
    shape: [1, 1, 7, 6],
    build(g, random, x) {
      let y = g.node('Pad', [x, g.init('pads', [8], [0, 0, 1, 2, 0, 0, 0, 1], 'int')])[0];
      y = g.node('Conv', [y, g.init('w', [3, 1, 3, 3], random(27))], { auto_pad: string('SAME_LOWER'), strides: ints([2, 2]) })[0];
      y = g.node('Relu', [y])[0];
      const positive = random(3).map((v) => 0.5 + Math.abs(v));
      y = g.node('BatchNormalization', [y, g.init('gamma', [3], positive), g.init('beta', [3], random(3)), g.init('mean', [3], random(3)), g.init('var', [3], positive)])[0];
      y = g.node('PRelu', [y, g.init('slope', [1], [0.25])])[0];
      y = g.node('Transpose', [y], { perm: ints([0, 2, 3, 1]) })[0];
      y = g.node('Reshape', [y, g.init('shape', [2], [1, -1], 'int')])[0];
      y = g.node('MatMul', [y, g.init('m', [60, 6], random(360))])[0];
      y = g.node('Add', [g.init('bias', [6], random(6)), y])[0];
      y = g.node('Sub', [y, g.init('shift', [1, 6], random(6))])[0];
      y = g.node('Mul', [y, g.init('scale', [], [1.5])])[0];
      return g.node('Div', [y, g.init('div', [6], random(6).map((v) => 1 + Math.abs(v)))])[0];
    },
  },
  {
    name: 'opset 9: 1-D convolutions on [N, 1, L], Pad as attributes, MaxPool, a grouped Conv with SAME_UPPER, Flatten, Gemm',
    opset: 9,
    shape: [1, 1, 16],
    build(g, random, x) {
      let y = g.node('Pad', [x], { pads: ints([0, 0, 2, 0, 0, 1]) })[0];
      y = g.node('Conv', [y, g.init('w1', [4, 1, 3], random(12)), g.init('b1', [4], random(4))], { pads: ints([1, 1]) })[0];
      y = g.node('Relu', [y])[0];
      y = g.node('MaxPool', [y], { kernel_shape: ints([2]), strides: ints([2]) })[0];
      y = g.node('Conv', [y, g.init('w2', [4, 2, 2], random(16))], { group: int(2), strides: ints([2]), auto_pad: string('SAME_UPPER') })[0];
      y = g.node('Flatten', [y])[0];
      return g.node('Gemm', [y, g.init('w3', [20, 3], random(60)), g.init('c3', [3], random(3))])[0];
    },
  },
  {
    name: 'tf2onnx 1-D: NWC input and Transpose, dilated Conv with pads, AveragePool with pads and strides, MaxPool, GlobalMaxPool, Flatten, Gemm',
    opset: 13,
    shape: [1, 14, 3],
    build(g, random, x) {
      let y = g.node('Transpose', [x], { perm: ints([0, 2, 1]) })[0];
      y = g.node('Conv', [y, g.init('w1', [4, 3, 3], random(36)), g.init('b1', [4], random(4))], { pads: ints([2, 1]), dilations: ints([2]) })[0];
      y = g.node('Relu', [y])[0];
      y = g.node('AveragePool', [y], { kernel_shape: ints([3]), pads: ints([1, 1]), strides: ints([2]) })[0];
      y = g.node('MaxPool', [y], { kernel_shape: ints([2]), strides: ints([1]) })[0];
      y = g.node('GlobalMaxPool', [y])[0];
      y = g.node('Flatten', [y])[0];
      return g.node('Gemm', [y, g.init('w2', [3, 4], random(12))], { transB: int(1) })[0];
    },
  },
  {
    name: '1-D: Conv with strides, GlobalAveragePool, Flatten, Gemm',
    opset: 17,
    shape: [1, 1, 11],
    build(g, random, x) {
      let y = g.node('Conv', [x, g.init('w1', [3, 1, 2], random(6))], { strides: ints([2]) })[0];
      y = g.node('GlobalAveragePool', [y])[0];
      y = g.node('Flatten', [y])[0];
      return g.node('Gemm', [y, g.init('w2', [3, 2], random(6))])[0];
    },
  },
  {
    name: 'opset 21: the TorchScript Flatten subgraph with Constant nodes, Identity chains, Gemm, ArgMax at the end',
    opset: 21,
    shape: [1, 2, 3],
    build(g, random, x) {
      let y = g.node('Identity', [x])[0];
      const dims = g.node('Shape', [y])[0];
      const first = g.node('Gather', [dims, g.constant(intTensor('', [], [0]))], { axis: int(0) })[0];
      const batch = g.node('Unsqueeze', [first, g.constant(intTensor('', [1], [0]))])[0];
      const target = g.node('Concat', [batch, g.constant(intTensor('', [1], [-1]))], { axis: int(0) })[0];
      y = g.node('Reshape', [y, target])[0];
      y = g.node('Identity', [y])[0];
      y = g.node('Gemm', [y, g.init('w', [4, 6], random(24)), g.init('b', [4], random(4))], { transB: int(1) })[0];
      y = g.node('Relu', [y])[0];
      y = g.node('Gemm', [y, g.init('w2', [3, 4], random(12))], { transB: int(1) })[0];
      return g.node('ArgMax', [y], { axis: int(1), keepdims: int(1) })[0];
    },
    argmaxOutput: true,
  },
];

async function buildCase(c: Case, seed = 3): Promise<string> {
  return buildOnnx(
    c.opset,
    (g, random) => {
      const x = g.input('input', c.shape.map((d, k) => (k === 0 ? 'batch' : d)));
      g.output(c.build(g, random, x), [], c.argmaxOutput ? 7 : 1);
    },
    seed,
  );
}

describe('ONNX import matches ONNX Runtime', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const file = await buildCase(c);
      const loaded = await loadOnnxModel(file);
      expect(loaded.float.inputShape).toEqual(c.shape.slice(1));
      const size = c.shape.reduce((a, b) => a * b, 1);
      const inputs = randomInputs(11, 20, size);
      const reference = await runOnnxRuntime(file, c.shape, inputs);
      const ours = await loaded.predict(inputs);
      inputs.forEach((_, k) => {
        if (c.argmaxOutput) expect(argmax(ours[k])).toBe(reference[k][0]);
        else expect(relativeError(ours[k], reference[k])).toBeLessThan(1e-5);
      });
      // The quantized model follows the float one within the bound its scales imply.
      const { model } = quantizeModel(loaded.float, { calibration: randomInputs(12, 32, size), activationBits: 10 });
      const scales = opScales(model)[logitsOpIndex(model)];
      for (const x of inputs.slice(0, 5)) {
        const q = quantizeInput(x, model.input);
        const bound = logitErrorBound(loaded.float, model, q);
        const logits = runReference(model, q).logits.map((v, j) => v * scales[j]);
        const float = runFloat(loaded.float, x).logits;
        logits.forEach((v, j) => expect(Math.abs(v - float[j])).toBeLessThanOrEqual(bound[j] + 1e-9));
      }
    });
  }

  it('folds the shape subgraph and the BatchNormalization: only layers that compute remain', async () => {
    const loaded = await loadOnnxModel(await buildCase(cases.find((c) => c.name.startsWith('opset 21'))!));
    expect(loaded.float.layers.map((l) => l.kind)).toEqual(['dense', 'dense']);
    const first = await loadOnnxModel(await buildCase(cases[0]));
    // Conv+BN+Clip fold into one conv; Flatten, Unsqueeze, Squeeze, Dropout into nothing.
    expect(first.float.layers.map((l) => l.kind)).toEqual(['conv2d', 'pool', 'conv2d', 'pool', 'pool', 'dense']);
  });
});

async function refusal(file: string, options = {}): Promise<ZkinferError> {
  const error = await loadOnnxModel(file, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ZkinferError);
  return error as ZkinferError;
}

/** A graph: input [1, 4] → what `build` adds → the output. */
function small(opset: number, build: (g: OnnxGraph, x: string, random: (n: number) => number[]) => string, inputShape: (number | string)[] = ['batch', 4]): Promise<string> {
  return buildOnnx(opset, (g, random) => g.output(build(g, g.input('x', inputShape), random)));
}

const dense = (g: OnnxGraph, x: string, random: (n: number) => number[], units = 4) => g.node('Gemm', [x, g.init(`w${Math.round(random(1)[0] * 1e9)}`, [units, 4], random(4 * units))], { transB: int(1) })[0];

/** Each table activation as exporters write it, between two Gemms: [name, the function the quantized model must hold, opset, build]. */
const TABLE_CASES: [string, string, number, (g: OnnxGraph, y: string) => string][] = [
  ['Sigmoid', 'sigmoid', 13, (g, y) => g.node('Sigmoid', [y])[0]],
  ['Tanh', 'tanh', 13, (g, y) => g.node('Tanh', [y])[0]],
  ['Gelu (opset 20)', 'gelu', 20, (g, y) => g.node('Gelu', [y])[0]],
  ["Gelu approximate='tanh'", 'geluTanh', 20, (g, y) => g.node('Gelu', [y], { approximate: string('tanh') })[0]],
  ['Elu alpha 0.7', 'elu', 13, (g, y) => g.node('Elu', [y], { alpha: float(0.7) })[0]],
  ['Softplus', 'softplus', 13, (g, y) => g.node('Softplus', [y])[0]],
  ['HardSigmoid alpha 0.25 beta 0.4', 'hardSigmoid', 13, (g, y) => g.node('HardSigmoid', [y], { alpha: float(0.25), beta: float(0.4) })[0]],
  ['HardSwish', 'hardSwish', 14, (g, y) => g.node('HardSwish', [y])[0]],
  ['SiLU as Mul(x, Sigmoid(x))', 'silu', 13, (g, y) => g.node('Mul', [y, g.node('Sigmoid', [y])[0]])[0]],
  ['SiLU as Mul(Sigmoid(x), x)', 'silu', 13, (g, y) => g.node('Mul', [g.node('Sigmoid', [y])[0], y])[0]],
  [
    "GELU as PyTorch exports it: Div(x, √2), Erf, Add 1, Mul x, Mul 0.5",
    'gelu',
    13,
    (g, y) => {
      const erf = g.node('Erf', [g.node('Div', [y, g.init('sqrt2', [], [Math.SQRT2])])[0]])[0];
      return g.node('Mul', [g.node('Mul', [y, g.node('Add', [erf, g.init('one', [], [1])])[0]])[0], g.init('half', [], [0.5])])[0];
    },
  ],
  [
    'GELU as Hugging Face writes it: Mul(x, 0.5) times (1 + Erf(x * 1/√2))',
    'gelu',
    13,
    (g, y) => {
      const erf = g.node('Erf', [g.node('Mul', [y, g.init('invsqrt2', [], [Math.SQRT1_2])])[0]])[0];
      return g.node('Mul', [g.node('Mul', [y, g.init('half', [], [0.5])])[0], g.node('Add', [erf, g.init('one', [], [1])])[0]])[0];
    },
  ],
];

describe('ONNX table activations match ONNX Runtime and quantize to table ops', () => {
  for (const [name, fn, opset, build] of TABLE_CASES) {
    it(name, async () => {
      const file = await small(opset, (g, x, r) => dense(g, build(g, dense(g, x, r)), r));
      const loaded = await loadOnnxModel(file);
      const inputs = randomInputs(4, 10, 4).map((v) => v.map((e) => 4 * e - 2));
      const reference = await runOnnxRuntime(file, [1, 4], inputs);
      (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, reference[k])).toBeLessThan(1e-5));
      const { model } = quantizeModel(loaded.float, { calibration: randomInputs(5, 16, 4), inputRange: [-2, 2] });
      expect(model.ops.map((o) => (o.kind === 'table' ? `table ${o.fn.name}` : o.kind))).toEqual(['dense', `table ${fn}`, 'dense', 'argmax']);
    });
  }

  it('a final Sigmoid is proven as the probability: its table is the last op, its codes the output', async () => {
    const binary = await small(13, (g, x, r) => g.node('Sigmoid', [dense(g, x, r, 1)])[0]);
    const loaded = await loadOnnxModel(binary);
    expect(loaded.warnings).toBeUndefined();
    const { model } = quantizeModel(loaded.float, { calibration: randomInputs(5, 16, 4) });
    expect(model.ops.map((o) => o.kind)).toEqual(['dense', 'table']);
    const scale = opScales(model)[1][0];
    for (const x of randomInputs(6, 10, 4)) {
      const probability = runReference(model, quantizeInput(x, model.input)).logits[0] * scale;
      expect(Math.abs(probability - runFloat(loaded.float, x).logits[0])).toBeLessThan(0.02);
    }
  });
});

/** The float graph's layers as 'kind activation' (relu with its cap), for what a pattern folds into. */
const layerKinds = (layers: readonly { kind: string; activation?: unknown }[]) =>
  layers.map((l) => {
    const a = l.activation as { kind: string; max?: number } | undefined;
    return a && a.kind !== 'linear' ? `${l.kind} ${a.kind}${a.max ?? ''}` : l.kind;
  });

async function expectRuntimeAgrees(file: string, shape: number[]): Promise<Awaited<ReturnType<typeof loadOnnxModel>>> {
  const loaded = await loadOnnxModel(file);
  const inputs = randomInputs(21, 8, shape.reduce((a, b) => a * b, 1)).map((v) => v.map((e) => 4 * e - 2));
  const reference = await runOnnxRuntime(file, shape, inputs);
  (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, reference[k]), `input ${k}`).toBeLessThan(1e-5));
  return loaded;
}

describe('patterns real torch.onnx.export files hold (test/unit/onnx-torch.test.ts has the files)', () => {
  it("relu6 as torch writes it: Relu then Clip(0, 6), at opset 9 a Clip with only max; any Clip(min ≤ 0, max) of a ReLU's output is one capped ReLU", async () => {
    // Gemm takes its C until opset 11.
    const opset9 = await small(9, (g, x, r) => g.node('Clip', [g.node('Relu', [g.node('Gemm', [x, g.init('w', [4, 4], r(16)), g.init('c', [4], r(4))], { transB: int(1) })[0]])[0]], { max: float(0.5) })[0]);
    expect(layerKinds((await expectRuntimeAgrees(opset9, [1, 4])).float.layers)).toEqual(['dense relu0.5']);
    const inputs = await small(13, (g, x, r) => g.node('Clip', [g.node('Relu', [dense(g, x, r)])[0], g.init('lo', [], [-1]), g.init('hi', [], [0.375])])[0]);
    expect(layerKinds((await expectRuntimeAgrees(inputs, [1, 4])).float.layers)).toEqual(['dense relu0.375']);
    // A capped ReLU clipped again keeps the smaller cap; a Clip with no max after a ReLU is the ReLU.
    const twice = await small(13, (g, x, r) => {
      const y = g.node('Clip', [g.node('Relu', [dense(g, x, r)])[0], g.init('lo', [], [0]), g.init('hi', [], [0.25])])[0];
      return g.node('Clip', [g.node('Clip', [y, g.init('lo2', [], [-5]), g.init('hi2', [], [0.625])])[0], g.init('lo3', [], [0])])[0];
    });
    expect(layerKinds((await expectRuntimeAgrees(twice, [1, 4])).float.layers)).toEqual(['dense relu0.25']);
  });

  it('a Clip that is not of a ReLU output alone stays refused: without a ReLU before it, or when the ReLU output is read elsewhere too', async () => {
    const bare = await refusal(await small(9, (g, x, r) => g.node('Clip', [dense(g, x, r)], { max: float(6) })[0]));
    expect(bare.message).toMatch(/\(Clip, opset 9\): Clip\(-Infinity, 6\) is not supported: Clip\(0, max\) is .*a Clip\(min ≤ 0, max\) of a ReLU's output/);
    const shared = await refusal(
      await small(13, (g, x, r) => {
        const y = g.node('Relu', [dense(g, x, r)])[0];
        return g.node('Add', [y, g.node('Clip', [y, g.init('lo', [], [-1]), g.init('hi', [], [6])])[0]])[0];
      }),
    );
    expect(shared.message).toMatch(/\(Clip, opset 13\): Clip\(-1, 6\) is not supported/);
  });

  it('a Pad by nothing (torch 1.13 writes one before AvgPool2d) adds no layer, at opsets 9 and 11', async () => {
    for (const opset of [9, 11]) {
      const file = await small(
        opset,
        (g, x) => {
          const zeros = new Array<number>(8).fill(0);
          const padded = opset >= 11 ? g.node('Pad', [x, g.init('pads', [8], zeros, 'int')])[0] : g.node('Pad', [x], { pads: ints(zeros) })[0];
          return g.node('Flatten', [g.node('AveragePool', [padded], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) })[0]])[0];
        },
        ['batch', 1, 4, 4],
      );
      expect(layerKinds((await expectRuntimeAgrees(file, [1, 1, 4, 4])).float.layers)).toEqual(['pool']);
    }
  });

  it("MatMul of one row of any rank (nn.Linear on a [N, 1, K] sequence) is a dense layer of that rank's shape; several rows are projected row by row (tokens, as attention has them)", async () => {
    const row = await small(
      13,
      (g, x, r) => {
        const y = g.node('Add', [g.init('b', [3], r(3)), g.node('MatMul', [x, g.init('w', [4, 3], r(12))])[0]])[0];
        return g.node('Softmax', [y], { axis: int(-1) })[0];
      },
      ['batch', 1, 4],
    );
    const loaded = await expectRuntimeAgrees(row, [1, 1, 4]);
    expect(layerKinds(loaded.float.layers)).toEqual(['dense softmax']);
    const rows = await small(13, (g, x, r) => g.node('MatMul', [x, g.init('w', [4, 3], r(12))])[0], ['batch', 2, 4]);
    const projected = await expectRuntimeAgrees(rows, [1, 2, 4]);
    expect(layerKinds(projected.float.layers)).toEqual(['conv2d']); // the same weights on each row: a 1x1 convolution over the rows
  });
});

describe('ONNX refusals name the node, its op type and the opset, and say what would work', () => {
  it('nonlinear activations without integer semantics, in the middle (Selu, an Erf outside the GELU pattern)', async () => {
    for (const op of ['Selu', 'Erf']) {
      const e = await refusal(await small(20, (g, x, r) => dense(g, g.node(op, [dense(g, x, r)])[0], r)));
      expect(e.message).toMatch(new RegExp(`\\(${op}, opset 20\\): the nonlinear activation ${op} is not supported yet.*Relu, LeakyRelu.*Sigmoid, Tanh, Gelu`));
    }
  });

  it('a residual Add, a Concat of branches, an element-wise Mul of two tensors: once refused, now graphs (test/unit/graph-import.test.ts)', async () => {
    const residual = await small(13, (g, x, r) => g.node('Add', [g.node('Relu', [dense(g, x, r)])[0], x])[0]);
    const square = await small(13, (g, x, r) => {
      const y = dense(g, x, r);
      return g.node('Mul', [y, y])[0];
    });
    for (const file of [residual, square]) {
      const loaded = await loadOnnxModel(file);
      const inputs = randomInputs(4, 5, 4);
      const reference = await runOnnxRuntime(file, [1, 4], inputs);
      (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, reference[k])).toBeLessThan(1e-5));
    }
  });

  it('PRelu slopes per feature, a 3-channel NCHW input to a Conv and a MaxPool: once refused, now what ONNX Runtime computes', async () => {
    const prelu = await small(13, (g, x, r) => g.node('PRelu', [dense(g, x, r), g.init('s', [4], [0.1, 0.2, 0.05, 0.3])])[0]);
    // Each ends in a Gemm, which reads the flattened channels-last image in ONNX's order.
    const image = (size: number, build: (g: OnnxGraph, x: string, r: (n: number) => number[]) => string) =>
      small(13, (g, x, r) => g.node('Gemm', [g.node('Flatten', [build(g, x, r)])[0], g.init('head', [3, size], r(3 * size))], { transB: int(1) })[0], ['batch', 3, 4, 4]);
    const conv = await image(32, (g, x, r) => g.node('Conv', [x, g.init('w', [2, 3, 1, 1], r(6))])[0]);
    const pool = await image(27, (g, x) => g.node('MaxPool', [x], { kernel_shape: ints([2, 2]) })[0]);
    for (const [file, shape] of [[prelu, [1, 4]], [conv, [1, 3, 4, 4]], [pool, [1, 3, 4, 4]]] as [string, number[]][]) {
      const loaded = await loadOnnxModel(file);
      const inputs = randomInputs(6, 4, shape.reduce((a, b) => a * b, 1)).map((v) => v.map((x) => 2 * x - 1));
      const reference = await runOnnxRuntime(file, shape, inputs);
      (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, reference[k])).toBeLessThan(1e-5));
    }
  });

  it('what the IR cannot express: reflect padding, dilated pooling, dropout in training mode, count_include_pad', async () => {
    const single = (build: (g: OnnxGraph, x: string, r: (n: number) => number[]) => string) => small(13, (g, x, r) => g.node('Flatten', [build(g, x, r)])[0], ['batch', 1, 4, 4]);
    const reflect = await refusal(await single((g, x) => g.node('Pad', [x, g.init('p', [8], [0, 0, 1, 1, 0, 0, 1, 1], 'int')], { mode: string('reflect') })[0]));
    expect(reflect.message).toMatch(/\(Pad, opset 13\): Pad mode 'reflect' is not supported/);
    const dilated = await refusal(await single((g, x) => g.node('MaxPool', [x], { kernel_shape: ints([2, 2]), dilations: ints([2, 2]) })[0]));
    expect(dilated.message).toMatch(/\(MaxPool, opset 13\): dilations \[2,2\] are not supported for pooling/);
    const training = await refusal(await small(13, (g, x, r) => g.node('Dropout', [dense(g, x, r), g.init('ratio', [], [0.5]), g.init('on', [], [1], 'int')])[0]));
    expect(training.message).toMatch(/\(Dropout, opset 13\): Dropout with training_mode true drops values at random/);
    const counted = await refusal(await single((g, x) => g.node('AveragePool', [x], { kernel_shape: ints([2, 2]), pads: ints([1, 1, 1, 1]), count_include_pad: int(1) })[0]));
    expect(counted.message).toMatch(/count_include_pad = 1 with padding is not supported/);
  });

  it('unknown ops, other domains, opsets out of range, several outputs', async () => {
    const unknown = await refusal(await small(13, (g, x) => g.node('Einsum', [x], { equation: string('ij->ij') })[0]));
    expect(unknown.message).toMatch(/node 0 'Einsum_0' \(Einsum, opset 13\): op type Einsum is not supported \(supported: .*Gemm/);
    const domain = await buildOnnx(13, (g, random) => {
      const x = g.input('x', ['batch', 4]);
      g.output(dense(g, x, random));
    });
    // Rewrite the Gemm into a contrib domain.
    const { default: onnxProto } = await import('onnx-proto');
    const decoded = onnxProto.onnx.ModelProto.decode(await fs.readFile(domain));
    decoded.graph!.node![0].domain = 'com.microsoft';
    const contrib = await refusal(await writeOnnx(onnxProto.onnx.ModelProto.encode(decoded).finish()));
    expect(contrib.message).toMatch(/op domain 'com.microsoft' is not supported/);
    for (const opset of [8, 22]) {
      const e = await refusal(await small(opset, (g, x, r) => dense(g, x, r)));
      expect(e.message).toMatch(new RegExp(`uses opset ${opset}; zkinfer reads opsets 9 to 21`));
    }
    const two = await refusal(
      await buildOnnx(13, (g, random) => {
        const x = g.input('x', ['batch', 4]);
        g.output(dense(g, x, random));
        g.output('x');
      }),
    );
    expect(two.message).toMatch(/has 2 outputs \(Gemm_0_output, x\); zkinfer proves one: choose .* with --output-name/);
  });

  it("several outputs (skl2onnx's label and probabilities): the one asked for is proven, the other branch left out", async () => {
    const file = await buildOnnx(9, (g, random) => {
      const x = g.input('float_input', ['N', 4]);
      const scores = g.node('Add', [g.node('MatMul', [x, g.init('coef', [4, 3], random(12))])[0], g.init('intercept', [3], random(3))])[0];
      const probabilities = g.node('Softmax', [scores], { axis: int(1) }, ['probabilities'])[0];
      const label = g.node('ArgMax', [probabilities], { axis: int(1) })[0];
      g.output(g.node('Cast', [label], { to: int(7) }, ['label'])[0], ['N'], 7);
      g.output(probabilities, ['N', 3]);
    });
    expect((await refusal(file)).message).toMatch(/has 2 outputs \(label, probabilities\)/);
    expect((await refusal(file, { output: 'logits' })).code).toBe('USAGE');
    const loaded = await loadOnnxModel(file, { output: 'probabilities' });
    const inputs = randomInputs(3, 10, 4);
    const reference = await runOnnxRuntime(file, [1, 4], inputs, 'probabilities');
    (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, reference[k])).toBeLessThan(1e-5));
    const report = await inspectOnnxModel(file, { output: 'probabilities' });
    expect(report.supported).toBe(true);
    expect(report.nodes.map((n) => n.status)).toEqual(['layer', 'layer', 'layer', 'unused', 'unused']);
  });

  it('inspect lists every node, marks the unsupported one and those after it, and loads nothing', async () => {
    const file = await small(13, (g, x, r) => dense(g, g.node('Selu', [dense(g, x, r)])[0], r));
    const report = await inspectOnnxModel(file);
    expect(report.supported).toBe(false);
    expect(report.nodes.map((n) => [n.opType, n.status])).toEqual([
      ['Gemm', 'layer'],
      ['Selu', 'unsupported'],
      ['Gemm', 'not reached'],
    ]);
    expect(report.nodes[0].outputs[0].shape).toEqual([1, 4]);
    expect(report.nodes[1].problem).toMatch(/nonlinear activation Selu/);
    expect(report.problem).toMatch(/node 1 'Selu_0' \(Selu, opset 13\)/);
  });
});

describe('malformed ONNX files get an error naming the file (and the node), never a stack trace', () => {
  it('bytes that are not a protobuf, a truncated file, a missing file', async () => {
    const garbage = await writeOnnx(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]));
    const e = await refusal(garbage);
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.message).toContain(garbage);
    expect(e.message).toMatch(/is not an ONNX model/);
    const whole = await fs.readFile(await buildCase(cases[1]));
    const truncated = await refusal(await writeOnnx(whole.subarray(0, Math.floor(whole.length * 0.6))));
    expect(truncated.code).toBe('MODEL_INVALID');
    expect(truncated.message).toMatch(/is not an ONNX model/);
    expect((await refusal('/nonexistent/model.onnx')).message).toMatch(/cannot read the model file: not found/);
  });

  it('a missing initializer names the node and the tensor', async () => {
    const file = await small(13, (g, x) => g.node('Gemm', [x, 'weights_not_stored'], { transB: int(1) })[0]);
    const e = await refusal(file);
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.message).toMatch(/node 0 'Gemm_0' \(Gemm, opset 13\): input 'weights_not_stored' is not an initializer/);
  });

  it("an attribute of the wrong type is refused, not read as 0 (protobuf's default for an absent field)", async () => {
    const file = await small(13, (g, x, r) => g.node('Gemm', [x, g.init('w', [2, 4], r(8))], { transB: int(1), alpha: int(2) })[0]);
    const e = await refusal(file);
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.message).toMatch(/node 0 'Gemm_0' \(Gemm, opset 13\): attribute alpha has type INT, the op defines FLOAT/);
  });

  it('a tensor assigned twice (not single-assignment, as ONNX requires) names the node', async () => {
    const file = await small(13, (g, x, r) => {
      const y = dense(g, x, r);
      g.node('Relu', [x], {}, [y]);
      return y;
    });
    const e = await refusal(file);
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.message).toMatch(/node 1 'Relu_0' \(Relu, opset 13\): its output 'Gemm_0_output' is already defined/);
  });

  it('a tensor whose bytes do not fit its shape, and one stored outside the file', async () => {
    const short = await buildOnnx(13, (g) => {
      const x = g.input('x', ['batch', 4]);
      g.output(g.node('MatMul', [x, g.init('w', [4, 2], [1, 2, 3])])[0]);
    });
    expect((await refusal(short)).message).toMatch(/initializer 'w' holds 12 bytes where its shape \[4, 2\] needs 32/);
    const { default: onnxProto } = await import('onnx-proto');
    const decoded = onnxProto.onnx.ModelProto.decode(await fs.readFile(short));
    decoded.graph!.initializer![0].dataLocation = onnxProto.onnx.TensorProto.DataLocation.EXTERNAL;
    expect((await refusal(await writeOnnx(onnxProto.onnx.ModelProto.encode(decoded).finish()))).message).toMatch(/initializer 'w' is stored in an external file/);
  });

  it('hostile sizes (huge pads, a huge ConstantOfShape, a huge input) are refused before memory is spent', async () => {
    const padded = await small(13, (g, x) => g.node('Flatten', [g.node('Pad', [x, g.init('p', [8], [0, 0, 100000, 100000, 0, 0, 100000, 100000], 'int')])[0]])[0], ['batch', 1, 4, 4]);
    expect((await refusal(padded)).message).toMatch(/\(Pad, opset 13\): its output \[200004, 200004, 1\] .* has more than 16777216 values/);
    const filled = await small(13, (g, x) => g.node('Reshape', [x, g.node('ConstantOfShape', [g.init('s', [2], [1e6, 1e6], 'int')])[0]])[0]);
    expect((await refusal(filled)).message).toMatch(/\(ConstantOfShape, opset 13\): a constant of shape \[1000000, 1000000\] is beyond/);
    const wide = await small(13, (g, x) => g.node('Relu', [x])[0], ['batch', 100000, 100000]);
    expect((await refusal(wide)).message).toMatch(/input 'x' of shape \[100000, 100000\] has more than 16777216 values/);
  });

  it('dynamic dimensions need a fixed input shape, which the caller can give', async () => {
    const file = await buildOnnx(13, (g, random) => {
      const x = g.input('x', ['N', 1, 'height', 'width']);
      const y = g.node('GlobalAveragePool', [g.node('Conv', [x, g.init('w', [2, 1, 3, 3], random(18))])[0]])[0];
      g.output(g.node('Flatten', [y])[0]);
    });
    const e = await refusal(file);
    expect(e.code).toBe('MODEL_UNSUPPORTED');
    expect(e.message).toMatch(/input 'x' has shape \[N, 1, height, width\] with a dynamic axis 2 \('height'\): give the input shape.*--input-shape/);
    const loaded = await loadOnnxModel(file, { inputShape: [1, 6, 5] });
    expect(loaded.float.layers[0]).toMatchObject({ kind: 'conv2d', inShape: [6, 5, 1], outShape: [4, 3, 2] });
    expect((await refusal(file, { inputShape: [2, 6, 5] })).code).toBe('USAGE');
  });
});

describe('fuzzing ONNX files', () => {
  it('bytes flipped and files cut short: a model (or an inspection), or an error that names the file, never a crash', async () => {
    const whole = await fs.readFile(await buildCase(cases[0]));
    const random = seededRandom(99);
    const codes = new Map<string, number>();
    for (let k = 0; k < 300; k++) {
      const bytes = Uint8Array.from(whole);
      if (k % 3 === 0) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      } else if (k % 3 === 1) {
        // Protobuf varints and lengths live in the first bytes of each field: hit the structure, not only weights.
        bytes[Math.floor(random() * Math.min(bytes.length, 4000))] ^= 1 << Math.floor(random() * 8);
      }
      const file = await writeOnnx(k % 3 === 2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes);
      const outcome = await loadOnnxModel(file).then(
        () => 'loaded',
        (e: unknown) => {
          expect(e, String(e)).toBeInstanceOf(ZkinferError);
          expect((e as ZkinferError).code, (e as Error).message).not.toBe('INTERNAL');
          expect((e as Error).message).toContain(file);
          return (e as ZkinferError).code;
        },
      );
      codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
      // inspect answers for the nodes it can read: a report, or the same kind of error.
      await inspectOnnxModel(file).then(
        (report) => expect(report.problem ?? '').not.toMatch(/failed to read this node/),
        (e: unknown) => {
          expect(e, String(e)).toBeInstanceOf(ZkinferError);
          expect((e as ZkinferError).code, (e as Error).message).not.toBe('INTERNAL');
        },
      );
    }
    // Both kinds of answer occur: the mutations reach past the parser.
    expect(codes.get('MODEL_INVALID')).toBeGreaterThan(0);
    expect(codes.get('loaded')).toBeGreaterThan(0);
  }, 120_000);
});
