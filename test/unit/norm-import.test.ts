/**
 * LayerNormalization from TF.js (the LayerNormalization layer) and ONNX (the opset 17
 * LayerNormalization node): the float graph evaluates as TF.js and ONNX Runtime do, the quantized
 * model follows it (the normalised values and the classes), and what is not supported is refused
 * naming the layer or node. RMSNorm's integer semantics against the float one.
 */
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { argmax, runFloat } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { logitsOpIndex, opScales, parseQModel } from '../../model/ir.js';
import { loadOnnxModel } from '../../model/load/onnx/index.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { floatNorm, normRow, planNorm, sumOfSquares } from '../../model/norm.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { saveModel } from '../helpers/fixtures.js';
import { buildOnnx, randomInputs, relativeError, runOnnxRuntime } from '../helpers/onnx.js';
import type { FloatModel } from '../../model/float.js';
import type { QModel } from '../../model/ir.js';
import { attr } from '../../zoo/onnx-writer.js';

/** Run the quantized model on the inputs: the largest error of its logits against the float model's (relative to their largest), and how often the classes agree. */
function follow(float: FloatModel, model: QModel, inputs: number[][]): { error: number; agreement: number } {
  const scales = opScales(model)[logitsOpIndex(model)]!;
  let error = 0;
  let agree = 0;
  for (const x of inputs) {
    const logits = runReference(model, quantizeInput(x, model.input)).logits.map((v, j) => v * scales[j]!);
    const reference = runFloat(float, x).logits;
    error = Math.max(error, relativeError(logits, reference));
    if (argmax(logits) === argmax(reference)) agree++;
  }
  return { error, agreement: agree / inputs.length };
}

describe('LayerNormalization from TF.js', () => {
  it('Dense → LayerNormalization → Dense: evaluates as TF.js does; quantized, follows it', async () => {
    const loaded = await loadTfjsModel(await saveModel((tf) => [tf.layers.dense({ inputShape: [16], units: 24, activation: 'relu' }), tf.layers.layerNormalization({ epsilon: 1e-3 }), tf.layers.dense({ units: 5 })], 19));
    try {
      expect(loaded.float.layers.map((l) => l.kind)).toEqual(['dense', 'norm', 'dense']);
      const norm = loaded.float.layers[1]!;
      expect(norm.kind === 'norm' && norm.gamma && norm.beta && norm.size).toBe(24);
      const random = seededRandom(3);
      const inputs = Array.from({ length: 64 }, () => Array.from({ length: 16 }, () => random()));
      const predictions = await loaded.predict(inputs);
      inputs.forEach((x, k) => expect(relativeError(runFloat(loaded.float, x).logits, predictions[k]!)).toBeLessThan(1e-5));
      const { model } = quantizeModel(loaded.float, { calibration: inputs.slice(0, 32) });
      expect(model.ops.map((o) => o.kind)).toEqual(['dense', 'rescale', 'norm', 'add', 'rescale', 'dense', 'argmax']);
      const { error, agreement } = follow(loaded.float, model, inputs.slice(32));
      console.log(`TF.js LayerNorm MLP, 8-bit: logits within ${error.toFixed(4)} of the float model's (relative to the largest), classes agree on ${(agreement * 100).toFixed(1)}% of 32 held-out inputs`);
      expect(error).toBeLessThan(0.05);
      expect(agreement).toBeGreaterThanOrEqual(0.9);
    } finally {
      loaded.dispose();
    }
  });

  it('refuses a LayerNormalization over another axis, naming the layer', async () => {
    const error = await loadTfjsModel(await saveModel((tf) => [tf.layers.reshape({ inputShape: [16], targetShape: [4, 4] }), tf.layers.layerNormalization({ axis: 1 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })], 5)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ZkinferError);
    expect((error as Error).message).toMatch(/layer_normalization.*LayerNormalization over axis \[1\] is not supported \(the last axis, -1, only\)/);
  });
});

describe('LayerNormalization from ONNX', () => {
  const build = (opset: number, withBias: boolean) =>
    buildOnnx(opset, (g, random) => {
      const x = g.input('x', ['batch', 8]);
      const h = g.node('Gemm', [x, g.init('w1', [12, 8], random(96)), g.init('b1', [12], random(12))], { transB: attr.int(1) })[0]!;
      const scale = g.init('gamma', [12], random(12).map((v) => 1 + v / 2));
      const n = g.node('LayerNormalization', withBias ? [h, scale, g.init('beta', [12], random(12))] : [h, scale], { epsilon: attr.float(1e-4) })[0]!;
      g.output(g.node('Gemm', [n, g.init('w2', [3, 12], random(36))], { transB: attr.int(1) })[0]!);
    }, 4);

  it('Gemm → LayerNormalization (with and without B) → Gemm: evaluates as ONNX Runtime does; quantized, follows it', async () => {
    for (const withBias of [true, false]) {
      const file = await build(17, withBias);
      const loaded = await loadOnnxModel(file);
      expect(loaded.float.layers.map((l) => l.kind)).toEqual(['dense', 'norm', 'dense']);
      const inputs = randomInputs(11, 48, 8);
      const reference = await runOnnxRuntime(file, [1, 8], inputs);
      const ours = await loaded.predict(inputs);
      inputs.forEach((_, k) => expect(relativeError(ours[k]!, reference[k]!)).toBeLessThan(1e-5));
      const { model } = quantizeModel(loaded.float, { calibration: inputs.slice(0, 24), activationBits: 10 });
      const { error, agreement } = follow(loaded.float, model, inputs.slice(24));
      console.log(`ONNX LayerNorm MLP (B ${withBias}), 10-bit: logits within ${error.toFixed(4)} (relative), classes agree on ${(agreement * 100).toFixed(1)}%`);
      expect(error).toBeLessThan(0.03);
      expect(agreement).toBeGreaterThanOrEqual(0.9);
    }
  });
});

/**
 * nn.LayerNorm as torch exports it below opset 17: ReduceMean → Sub → Pow(2) → ReduceMean →
 * Add(ε) → Sqrt → Div, then Mul(γ) → Add(β) (elementwise_affine), fused into one norm layer. At
 * opset 18 ReduceMean takes its axes as an input. `change` alters one step, to hold the refusals.
 */
interface Decomposed {
  opset: number;
  affine?: 'both' | 'gamma' | 'none';
  axis?: number;
  exponent?: number;
  keepdims?: number;
  /** The deviation read by one more node than the pattern's Pow and Div. */
  leak?: boolean;
}

function decomposed({ opset, affine = 'both', axis = -1, exponent = 2, keepdims, leak = false }: Decomposed): Promise<string> {
  return buildOnnx(opset, (g, random) => {
    const x = g.input('x', ['batch', 8]);
    const h = g.node('Gemm', [x, g.init('w1', [12, 8], random(96)), g.init('b1', [12], random(12))], { transB: attr.int(1) })[0]!;
    const mean = (t: string) => {
      const keep: Record<string, ReturnType<typeof attr.int>> = keepdims === undefined ? {} : { keepdims: attr.int(keepdims) };
      return opset >= 18 ? g.node('ReduceMean', [t, g.init(`axes${t}`, [1], [axis], 'int')], keep)[0]! : g.node('ReduceMean', [t], { axes: attr.ints([axis]), ...keep })[0]!;
    };
    const d = g.node('Sub', [h, mean(h)])[0]!;
    const variance = mean(g.node('Pow', [d, g.init('two', [], [exponent])])[0]!);
    let y = g.node('Div', [d, g.node('Sqrt', [g.node('Add', [variance, g.init('eps', [], [1e-5])])[0]!])[0]!])[0]!;
    if (affine !== 'none') y = g.node('Mul', [y, g.init('gamma', [12], random(12).map((v) => 1 + v / 2))])[0]!;
    if (affine === 'both') y = g.node('Add', [y, g.init('beta', [12], random(12))])[0]!;
    if (leak) y = g.node('Add', [y, d])[0]!;
    g.output(g.node('Gemm', [g.node('Relu', [y])[0]!, g.init('w2', [3, 12], random(36))], { transB: attr.int(1) })[0]!);
  }, 6);
}

describe('LayerNorm written out below opset 17 (ReduceMean … Div), from ONNX', () => {
  it('with γ and β, γ alone or neither, at opsets 11, 13 and 18 (axes as an input): one norm layer, evaluated as ONNX Runtime does; quantized, follows it', async () => {
    for (const [opset, affine] of [[11, 'both'], [13, 'gamma'], [13, 'none'], [18, 'both']] as const) {
      const file = await decomposed({ opset, affine });
      const loaded = await loadOnnxModel(file);
      expect(loaded.float.layers.map((l) => l.kind)).toEqual(['dense', 'norm', 'activation', 'dense']);
      const norm = loaded.float.layers[1]!;
      expect(norm.kind === 'norm' && [norm.epsilon, !!norm.gamma, !!norm.beta]).toEqual([expect.closeTo(1e-5, 10), affine !== 'none', affine === 'both']);
      const inputs = randomInputs(opset, 48, 8);
      const reference = await runOnnxRuntime(file, [1, 8], inputs);
      (await loaded.predict(inputs)).forEach((p, k) => expect(relativeError(p, reference[k]!), `opset ${opset}, ${affine}, input ${k}`).toBeLessThan(1e-5));
      const { model } = quantizeModel(loaded.float, { calibration: inputs.slice(0, 24), activationBits: 10 });
      expect(model.ops.filter((o) => o.kind === 'norm').length).toBe(1);
      expect(follow(loaded.float, model, inputs.slice(24)).agreement).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('anything else is refused at its first ReduceMean, naming the node and where the pattern breaks', async () => {
    const cases: [Decomposed, RegExp][] = [
      [{ opset: 13, exponent: 3 }, /the deviation is not squared by Pow\(·, 2\)/],
      [{ opset: 13, axis: 0 }, /node 1 '.*' \(LayerNormalization, opset 13\): axis 0 of \[1, 12\] is not supported: zkinfer normalises over the last axis only/],
      [{ opset: 13, keepdims: 0 }, /node 1 '.*' \(ReduceMean, opset 13\): ReduceMean is supported only as the start of a LayerNorm .*this one does not match: keepdims = 0/],
      [{ opset: 13, leak: true }, /\(ReduceMean, opset 13\): .*x - mean is not read by exactly a Pow and a Div/],
    ];
    for (const [change, message] of cases) {
      const error = await loadOnnxModel(await decomposed(change)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(change)).toBeInstanceOf(ZkinferError);
      expect((error as ZkinferError).code).toBe('MODEL_UNSUPPORTED');
      expect((error as Error).message).toMatch(message);
    }
    // A ReduceMean alone (a mean over the features) starts no pattern at all.
    const file = await buildOnnx(13, (g) => {
      const x = g.input('x', ['batch', 8]);
      const mean = g.node('ReduceMean', [x], { axes: attr.ints([-1]) })[0]!;
      g.output(g.node('Sub', [x, mean])[0]!);
    });
    await expect(loadOnnxModel(file)).rejects.toThrow(/node 0 '.*' \(ReduceMean, opset 13\): ReduceMean is supported only as the start of a LayerNorm over the last axis .*this one does not match: x - mean is not read by exactly a Pow and a Div/);
  });
});

describe('RMSNorm and LayerNorm in integers', () => {
  it('follow the float normalisation within 2^-10 of the largest |z| at the widest rows, and take the documented floor', () => {
    const random = seededRandom(9);
    for (const mode of ['layer', 'rms'] as const) {
      const scale = 1 / 64;
      const params = planNorm(mode, 16, 1e-5, scale, 127);
      let worst = 0;
      for (let t = 0; t < 200; t++) {
        const x = Array.from({ length: 16 }, () => Math.round((random() * 2 - 1) * 127));
        const z = floatNorm(mode, x.map((v) => v * scale), 1e-5);
        const y = normRow(params, x).map((v) => (v * Math.sqrt(16)) / 2 ** params.rsqrtBits);
        worst = Math.max(worst, relativeError(y, z));
      }
      console.log(`${mode} norm over 16 values: relative error ${worst.toExponential(2)} (rsqrt to 2^${params.rsqrtBits})`);
      expect(worst).toBeLessThan(2 ** -10);
    }
    // [3, 1]: D = [2, -2], v = 8 + epsilon 1 = 9, r = floor(2^4 / 3) = 5: y = [10, -10].
    expect(normRow({ mode: 'layer', rowSize: 2, epsilon: 1, rsqrtBits: 4 }, [3, 1])).toEqual([10, -10]);
  });

  it('sum the squares of wide rows exactly, past 2^53 where doubles round', () => {
    // D = ±(2^26 + 1): v = 2 (2^52 + 2^27 + 1) + 1 = 2^53 + 2^28 + 3, odd; a double holds only even integers there.
    const d = 2 ** 26 + 1;
    expect(sumOfSquares([d, -d], 1)).toBe(2n ** 53n + 2n ** 28n + 3n);
    expect(sumOfSquares([3, -4], 2)).toBe(27n);
    // rows [x, x - 2^26 - 1] at 40 bits of rsqrt: y = ±D · floor(2^40 / sqrt(v)), with v the exact sum.
    const p = { mode: 'layer' as const, rowSize: 2, epsilon: 1, rsqrtBits: 40 };
    const x = [2 ** 25 + 1, -(2 ** 25)];
    const r = Math.floor(2 ** 40 / Math.sqrt(2 ** 53 + 2 ** 28 + 3)); // 2^40 / 2^26.5 ≈ 11585, far from an integer boundary
    expect(normRow(p, x)).toEqual([d * r, -d * r]);
  });
});

describe('the QModel reader on norm ops', () => {
  it('reads a quantized LayerNorm model back unchanged, and refuses an epsilon below 1, an unknown mode, rows that do not divide the input', () => {
    const float = { name: 'ln', inputShape: [6], layers: [{ kind: 'dense', name: 'd', inputSize: 6, units: 6, kernel: Float64Array.from({ length: 36 }, (_, i) => Math.sin(i)), bias: new Float64Array(6), activation: { kind: 'linear' } }, { kind: 'norm', name: 'ln', mode: 'layer', size: 6, epsilon: 1e-5 }, { kind: 'dense', name: 'out', inputSize: 6, units: 2, kernel: Float64Array.from({ length: 12 }, (_, i) => Math.cos(i)), bias: new Float64Array(2), activation: { kind: 'linear' } }] } as FloatModel;
    const { model } = quantizeModel(float, { calibration: randomInputs(2, 8, 6) });
    const json = JSON.parse(JSON.stringify(model));
    expect(parseQModel(json, 'q.json')).toEqual(model);
    const k = model.ops.findIndex((o) => o.kind === 'norm');
    const broken = (key: string, value: unknown) => () => parseQModel({ ...json, ops: json.ops.map((o: object, i: number) => (i === k ? { ...o, [key]: value } : o)) }, 'q.json');
    expect(broken('epsilon', 0)).toThrow(new RegExp(`q.json: ops\\[${k}\\]\\.epsilon must be in \\[1, `));
    expect(broken('mode', 'batch')).toThrow(/\.mode must be layer or rms, found "batch"/);
    expect(broken('rowSize', 4)).toThrow(/\.rowSize must divide its input's 6 values, found 4/);
  });
});

describe('the Dense before a norm', () => {
  it('gives its outputs one scale, and keeps every weight within its bits even where the outputs are far smaller than the weights reach', () => {
    // Each unit is w (x0 - x1) with w up to 6, on inputs where x0 and x1 nearly cancel: outputs far smaller than the weights reach.
    const kernel = Float64Array.from([5, 4, 3, 6, -5, -4, -3, -6]);
    const float = { name: 'cancel', inputShape: [2], layers: [{ kind: 'dense', name: 'd', inputSize: 2, units: 4, kernel, bias: new Float64Array(4), activation: { kind: 'linear' } }, { kind: 'norm', name: 'ln', mode: 'layer', size: 4, epsilon: 1e-5 }, { kind: 'dense', name: 'out', inputSize: 4, units: 2, kernel: Float64Array.from([1, -1, 0.5, 0.2, -0.3, 0.4, 0.1, -0.7]), bias: new Float64Array(2), activation: { kind: 'linear' } }] } as FloatModel;
    const random = seededRandom(4);
    const calibration = Array.from({ length: 32 }, () => {
      const v = random();
      return [v, v + 0.001 * random()];
    });
    const { model } = quantizeModel(float, { calibration });
    const dense = model.ops[0]!;
    if (dense.kind !== 'dense') throw new Error('no dense');
    expect(Math.max(...dense.weights.flat().map(Math.abs))).toBeLessThanOrEqual(127);
    const scales = opScales(model)[model.ops.findIndex((o) => o.kind === 'norm') - 1]!;
    expect(new Set(scales).size).toBe(1);
  });
});
