/**
 * Attention's ops without circom: transpose and matmul against definitions written out index by
 * index, the bounds hold every reference value, the quantized block follows the float block, and a
 * qmodel.json with a broken matmul or transpose is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBounds } from '../../model/bounds.js';
import { runFloat } from '../../model/float.js';
import { QMODEL_FORMAT, parseQModel, quantizeInput, transposeSources } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { attentionBlockModel } from '../../zoo/attention.js';
import { seededRng } from '../helpers/random.js';

describe('transpose and matmul semantics', () => {
  it('transposeSources: [2, 3, 4] with axes [2, 0, 1] and [1, 2, 0] (Kᵀ of heads), element by element', () => {
    const [A, B, C] = [2, 3, 4];
    const at = (a: number, b: number, c: number) => (a * B + b) * C + c;
    const expected201: number[] = [];
    for (let c = 0; c < C; c++) for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) expected201.push(at(a, b, c));
    expect(transposeSources({ inShape: [A, B, C], perm: [2, 0, 1] })).toEqual(expected201);
    const expected120: number[] = [];
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let a = 0; a < A; a++) expected120.push(at(a, b, c));
    expect(transposeSources({ inShape: [A, B, C], perm: [1, 2, 0] })).toEqual(expected120);
    expect(transposeSources({ inShape: [A, B, C], perm: [0, 1, 2] })).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('the float block: scores are Q·Kᵀ of each head, rows of the softmax sum to 1', () => {
    const float = attentionBlockModel({ tokens: 3, width: 4, heads: 2, classes: 0 }, seededRng(3));
    const x = Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const { layerOutputs } = runFloat(float, x);
    const index = (name: string) => float.layers.findIndex((l) => l.name === `block/${name}`);
    const [q, k, scores, attention] = ['q', 'k', 'scores', 'attention'].map((name) => layerOutputs[index(name)]!);
    // q and k are [token, head * 2 + e]; scores [head, i, j] = sum_e q[i, head, e] k[j, head, e].
    for (let h = 0; h < 2; h++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const dot = q[i * 4 + h * 2]! * k[j * 4 + h * 2]! + q[i * 4 + h * 2 + 1]! * k[j * 4 + h * 2 + 1]!;
          expect(scores[(h * 3 + i) * 3 + j]).toBeCloseTo(dot, 12);
        }
        expect(attention.subarray((h * 3 + i) * 3, (h * 3 + i + 1) * 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
    }
  });

  it('the quantized block: bounds hold every value, and its outputs follow the float outputs', () => {
    const float = attentionBlockModel({ tokens: 4, width: 8, heads: 2, classes: 0 }, seededRng(5));
    const rng = seededRng(6);
    const inputs = Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => rng() * 2 - 1));
    const { model } = quantizeModel(float, { calibration: inputs, inputRange: [-1, 1] });
    const bounds = analyzeBounds(model);
    let error = 0;
    let reach = 0;
    for (const x of inputs) {
      const reference = runReference(model, quantizeInput(x, model.input));
      const outside = reference.values.flatMap((values, k) => values.flatMap((v, j) => (v < bounds[k + 1]!.lo[j]! || v > bounds[k + 1]!.hi[j]! ? [`op ${k}[${j}] = ${v}`] : [])));
      expect(outside).toEqual([]);
      const expected = runFloat(float, x).logits;
      reference.logits.forEach((v, j) => {
        error = Math.max(error, Math.abs(v * logitScale(model) - expected[j]!));
        reach = Math.max(reach, Math.abs(expected[j]!));
      });
    }
    expect(error / reach).toBeLessThan(0.05);
  });
});

/** The scale of the logits: the last op's output scale (an add's, here). */
function logitScale(model: ReturnType<typeof quantizeModel>['model']): number {
  const last = model.ops[model.ops.length - 2]!;
  if (last.kind !== 'add') throw new Error(`the logits come from a ${last.kind}`);
  return last.scale[0]!;
}

describe('a qmodel.json with attention ops is validated', () => {
  const base = (ops: unknown[]) => ({ format: QMODEL_FORMAT, name: 'm', input: { shape: [12], bits: 4, signed: true, scale: 0.1 }, ops, quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 } });
  const refused = (ops: unknown[]) => () => parseQModel(base(ops), 'qmodel.json');
  it('refuses sizes that do not match the inputs, a permutation naming an axis twice, a matmul of one input', () => {
    expect(refused([{ kind: 'matmul', name: 'mm', batch: 2, rows: 3, inner: 2, cols: 4, inputs: [-1, -1] }])).toThrow(/ops\[0\]\.inputs input 1 must hold \[2, 2, 4\] = 16 values, found 12/);
    expect(refused([{ kind: 'matmul', name: 'mm', batch: 2, rows: 3, inner: 3, cols: 2, inputs: [-1, -1] }])).toThrow(/input 0 must hold \[2, 3, 3\] = 18 values, found 12/);
    expect(refused([{ kind: 'matmul', name: 'mm', batch: 1, rows: 3, inner: 4, cols: 3 }])).toThrow(/ops\[0\]\.inputs must name 2 input\(s\) for a .matmul. op, found 1/);
    expect(refused([{ kind: 'transpose', name: 't', inShape: [3, 4], perm: [1, 1] }])).toThrow(/ops\[0\]\.perm must name each axis once, found \[1,1\]/);
    expect(refused([{ kind: 'transpose', name: 't', inShape: [3, 5], perm: [1, 0] }])).toThrow(/ops\[0\]\.inShape \[3,5\] must hold its input's 12 values/);
    expect(parseQModel(base([{ kind: 'matmul', name: 'mm', batch: 1, rows: 3, inner: 4, cols: 3, inputs: [-1, -1] }, { kind: 'transpose', name: 't', inShape: [3, 3], perm: [1, 0] }]), 'qmodel.json').ops.map((o) => o.kind)).toEqual(['matmul', 'transpose']);
  });
});
