/**
 * Graphs from both importers: a TF.js functional model (Add, Average, Multiply, Concatenate, one
 * layer read by several) and hand-built ONNX graphs (Add, Sub, Mul of two tensors, Sum, Mean,
 * Concat, fan-out) load into float graphs that agree with TF.js and ONNX Runtime, quantize into
 * QModels that survive their own file format, and predict like the float model.
 */
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { argmax, runFloat, type FloatModel } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { parseQModel } from '../../model/ir.js';
import { loadOnnxModel } from '../../model/load/onnx/index.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { OnnxGraph, attr } from '../../zoo/onnx-writer.js';
import { type Tf, saveModel } from '../helpers/fixtures.js';
import { buildOnnx, randomInputs, relativeError, runOnnxRuntime } from '../helpers/onnx.js';

const { int, ints, float } = attr;

/** Quantize with calibration; the QModel reads back from its JSON unchanged, and its predictions mostly agree with the float model's. */
function expectQuantizedAgrees(float: FloatModel, size: number): void {
  const { model } = quantizeModel(float, { calibration: randomInputs(21, 64, size), activationBits: 10 });
  expect(parseQModel(JSON.parse(JSON.stringify(model)), 'model.qmodel.json')).toEqual(model);
  const inputs = randomInputs(22, 50, size);
  const agree = inputs.filter((x) => runReference(model, quantizeInput(x, model.input)).label === argmax(runFloat(float, x).logits)).length;
  expect(agree).toBeGreaterThanOrEqual(47);
}

describe('TF.js functional models', () => {
  /** [6, 6, 1] → a residual block, a concat of channels, a product and an average of two dense branches, a concat of rows. */
  const functional = (tf: Tf) => {
    const input = tf.input({ shape: [6, 6, 1], name: 'image' });
    const a = tf.layers.conv2d({ name: 'a', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as never;
    const b = tf.layers.conv2d({ name: 'b', filters: 3, kernelSize: 3, padding: 'same' }).apply(a) as never;
    // A BatchNorm after a conv whose output another layer also reads: folding it in would change that reader's input.
    const c = tf.layers.conv2d({ name: 'c', filters: 3, kernelSize: 1 }).apply(a) as never;
    const cNorm = tf.layers.batchNormalization({ name: 'c_norm' }).apply(c) as never;
    const sum = tf.layers.add({ name: 'residual' }).apply([a, b, c]) as never;
    const relu = tf.layers.reLU({ name: 'residual_relu' }).apply(sum) as never;
    const joined = tf.layers.concatenate({ name: 'channels' }).apply([relu, cNorm]) as never;
    const pooled = tf.layers.averagePooling2d({ name: 'pool', poolSize: 2 }).apply(joined) as never;
    const flat = tf.layers.flatten({ name: 'flat' }).apply(pooled) as never;
    const d1 = tf.layers.dense({ name: 'd1', units: 6, activation: 'relu' }).apply(flat) as never;
    const d2 = tf.layers.dense({ name: 'd2', units: 6 }).apply(flat) as never;
    const product = tf.layers.multiply({ name: 'product' }).apply([d1, d2]) as never;
    const mean = tf.layers.average({ name: 'mean' }).apply([product, d2]) as never;
    const rows = tf.layers.concatenate({ name: 'rows' }).apply([mean, d1]) as never;
    const out = tf.layers.dense({ name: 'logits', units: 4 }).apply(rows) as never;
    return tf.model({ inputs: input, outputs: out, name: 'graph' });
  };

  it('load as a graph that computes what TF.js computes, and quantize', async () => {
    const loaded = await loadTfjsModel(await saveModel(functional, 5));
    const kinds = loaded.float.layers.map((l) => `${l.kind}${l.inputs ? `<-${l.inputs.join(',')}` : ''}`);
    // c_norm stays a layer of its own (a 1x1 depthwise conv): c is read by the Add too.
    expect(kinds).toEqual(['conv2d', 'conv2d', 'conv2d<-0', 'add<-0,1,2', 'conv2d<-2', 'concat<-3,4', 'pool', 'reshape', 'dense', 'dense<-7', 'mul<-8,9', 'add<-10,9', 'concat<-11,8', 'dense']);
    const inputs = randomInputs(7, 10, 36);
    const tfjs = await loaded.predict(inputs);
    inputs.forEach((x, k) => expect(relativeError(runFloat(loaded.float, x).logits, tfjs[k])).toBeLessThan(1e-4));
    expectQuantizedAgrees(loaded.float, 36);
    loaded.dispose();
  });

  it('refuses what the graph ops cannot express, naming the layer', async () => {
    const broadcast = (tf: Tf) => {
      const input = tf.input({ shape: [4] });
      const a = tf.layers.dense({ units: 4, name: 'wide' }).apply(input) as never;
      const b = tf.layers.dense({ units: 1, name: 'narrow' }).apply(input) as never;
      return tf.model({ inputs: input, outputs: tf.layers.multiply({ name: 'times' }).apply([a, b]) as never });
    };
    const error = await loadTfjsModel(await saveModel(broadcast, 6)).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ZkinferError);
    expect((error as ZkinferError).message).toMatch(/times.*Multiply of tensors of different shapes \(\[4\], \[1\]\) broadcasts, which is not supported/);
  });
});

describe('ONNX graphs match ONNX Runtime', () => {
  const graphs: { name: string; opset: number; shape: number[]; build: (g: OnnxGraph, random: (n: number) => number[], x: string) => string }[] = [
    {
      name: 'a residual CNN: fan-out, Add of two convolutions, a BatchNormalization on a value read twice, Concat of channels, Mul and Sub of two tensors',
      opset: 13,
      shape: [1, 1, 6, 6],
      build(g, random, x) {
        const a = g.node('Relu', [g.node('Conv', [x, g.init('wa', [3, 1, 3, 3], random(27)), g.init('ba', [3], random(3))], { pads: ints([1, 1, 1, 1]) })[0]])[0];
        const b = g.node('Conv', [a, g.init('wb', [3, 3, 3, 3], random(81))], { pads: ints([1, 1, 1, 1]) })[0];
        const positive = random(3).map((v) => 0.5 + Math.abs(v));
        const bn = g.node('BatchNormalization', [b, g.init('gamma', [3], positive), g.init('beta', [3], random(3)), g.init('mean', [3], random(3)), g.init('var', [3], positive)], { epsilon: float(1e-3) })[0];
        const sum = g.node('Relu', [g.node('Add', [a, bn])[0]])[0];
        const joined = g.node('Concat', [sum, b], { axis: int(1) })[0];
        const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [joined])[0]])[0];
        const d1 = g.node('Gemm', [pooled, g.init('w1', [5, 6], random(30))], { transB: int(1) })[0];
        const d2 = g.node('Gemm', [pooled, g.init('w2', [5, 6], random(30))], { transB: int(1) })[0];
        const mixed = g.node('Sub', [g.node('Mul', [d1, d2])[0], d1])[0];
        return g.node('Gemm', [mixed, g.init('w3', [3, 5], random(15))], { transB: int(1) })[0];
      },
    },
    {
      name: 'rows: Sum of three tensors (one twice), Mean, Concat of rows',
      opset: 17,
      shape: [1, 4],
      build(g, random, x) {
        const d = g.node('Gemm', [x, g.init('w1', [4, 4], random(16))], { transB: int(1) })[0];
        const r = g.node('Relu', [d])[0];
        const s = g.node('Sum', [d, r, d])[0];
        const m = g.node('Mean', [s, r])[0];
        const rows = g.node('Concat', [m, r], { axis: int(-1) })[0];
        return g.node('Gemm', [rows, g.init('w2', [3, 8], random(24))], { transB: int(1) })[0];
      },
    },
  ];
  for (const c of graphs) {
    it(c.name, async () => {
      const file = await buildOnnx(c.opset, (g, random) => g.output(c.build(g, random, g.input('input', c.shape.map((d, k) => (k === 0 ? 'batch' : d))))), 4);
      const loaded = await loadOnnxModel(file);
      const size = c.shape.reduce((a, b) => a * b, 1);
      const inputs = randomInputs(13, 20, size);
      const reference = await runOnnxRuntime(file, c.shape, inputs);
      const ours = await loaded.predict(inputs);
      inputs.forEach((_, k) => expect(relativeError(ours[k], reference[k])).toBeLessThan(1e-5));
      expectQuantizedAgrees(loaded.float, size);
    });
  }

  it('refuses element-wise ops of tensors that would broadcast, and a Concat with a constant', async () => {
    const refuse = async (build: (g: OnnxGraph, random: (n: number) => number[], x: string) => string) => {
      const file = await buildOnnx(13, (g, random) => g.output(build(g, random, g.input('x', ['batch', 4]))));
      return loadOnnxModel(file).then(() => undefined, (e: unknown) => e as ZkinferError);
    };
    const gemm = (g: OnnxGraph, random: (n: number) => number[], x: string, n: number) => g.node('Gemm', [x, g.init(`w${n}`, [n, 4], random(4 * n))], { transB: int(1) })[0];
    const broadcast = await refuse((g, r, x) => g.node('Add', [gemm(g, r, x, 4), gemm(g, r, x, 1)])[0]);
    expect(broadcast?.message).toMatch(/\(Add, opset 13\): its inputs \[1, 4\] and \[1, 1\] differ in shape or layout.*no broadcasting/);
    const constant = await refuse((g, r, x) => g.node('Concat', [gemm(g, r, x, 4), g.init('k', [1, 2], [1, 2])], { axis: int(1) })[0]);
    expect(constant?.message).toMatch(/\(Concat, opset 13\): a Concat of the data with a constant is not supported/);
  });
});

describe('what covers chains only', () => {
  it('the logit error bound refuses a graph, naming its first graph op', async () => {
    const { logitErrorBound } = await import('../../model/quantize/error-bound.js');
    const { GRAPH_CASES } = await import('../helpers/model-cases.js');
    const float = GRAPH_CASES[0]!.float();
    const { model } = quantizeModel(float, GRAPH_CASES[0]!.options);
    expect(() => logitErrorBound(float, model, new Array(36).fill(0))).toThrow(/the logit error bound is derived for chains of layers only, not graphs/);
  });

  it('the direct R1CS path builds graphs, and an op reading other than the op before it: the cost model\'s constraints, the reference\'s outputs', async () => {
    const { buildDirectR1cs } = await import('../../circuits/direct/build.js');
    const { planCircuit, totalCost } = await import('../../circuits/plan.js');
    const { decodePublicSignals, publicSignalLayout } = await import('../../circuits/layout.js');
    const { runReference } = await import('../../model/reference.js');
    const { GRAPH_CASES } = await import('../helpers/model-cases.js');
    const visibility = { input: 'private', output: 'public', params: 'fixed' } as const;
    const { model } = quantizeModel(GRAPH_CASES[0]!.float(), GRAPH_CASES[0]!.options);
    // No graph op, but an op reading other than the op before it (the second convolution, read by no one, costs nothing).
    const rewired = { ...model, ops: model.ops.slice(0, 4).map((op, k) => (k === 3 ? { ...op, inputs: [1] } : op)) };
    for (const m of [model, rewired]) {
      // The products are the cost model's; the rewired model's logits that are constants (a ReLU of
      // values never positive) are public outputs held by a linear constraint each, as circom keeps them.
      const { constraints } = buildDirectR1cs(m, visibility);
      const plan = planCircuit(m, visibility);
      const logits = plan.ops[m.ops.length - 1]!;
      const constantLogits = m === rewired && logits.kind === 'rescale' ? logits.elements.filter((e) => e.nq === 0).length : 0;
      expect(constraints.filter(([a, b]) => a.size > 0 && b.size > 0).length).toBe(totalCost(plan));
      expect(constraints.filter(([a, b]) => a.size === 0 || b.size === 0).length).toBe(constantLogits);
      if (m === rewired) expect(constantLogits).toBeGreaterThan(0);
      const { inputRange } = await import('../../model/ir.js');
      const { min, max } = inputRange(m.input);
      const input = Array.from({ length: 36 }, (_, i) => min + ((i * 37) % (max - min + 1)));
      const { witness } = buildDirectR1cs(m, visibility, { input });
      const layout = publicSignalLayout(m, visibility);
      expect(decodePublicSignals(layout, witness!.slice(1, 1 + layout.names.length)).logits).toEqual(runReference(m, input).logits.map(BigInt));
    }
  });
});
