/**
 * Attention's ops in the circuit (model/ir.ts MatMulOp, TransposeOp; a softmax along rows inside
 * the model): the circuit equals the reference bit for bit on random and edge inputs, every pair
 * of 4-bit factors, and rows of every pair of logits; it costs what the cost model says; a
 * transpose costs nothing; and the audit finds nothing, while a product written with `<--` is
 * caught.
 */
import { describe, expect, it } from 'vitest';
import { auditInputs, auditModelCircuit } from '../../circuits/audit/index.js';
import { decodePublicSignals } from '../../circuits/layout.js';
import { opCost, totalCost } from '../../circuits/plan.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { witnessInput } from '../../circuits/signals.js';
import { QMODEL_FORMAT, type QModel, type QOp, inputRange, inputSize, parseQModel, quantizeInput } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { attentionBlockModel } from '../../zoo/attention.js';
import { runReference } from '../../model/reference.js';
import { planSoftmax } from '../../model/softmax.js';
import { describeFindings } from '../helpers/audit.js';
import { type TestCircuit, compileModel, compileSource } from '../helpers/circuits.js';
import { seededRng } from '../helpers/random.js';

const PUBLIC = { input: 'private', output: 'public', params: 'fixed' } as const;
const [HEADS, N, D] = [2, 3, 2];
const WIDTH = HEADS * D;

function qmodel(name: string, size: number, bits: number, ops: QOp[]): QModel {
  const model: QModel = { format: QMODEL_FORMAT, name, input: { shape: [size], bits, signed: true, scale: 1 / 2 ** (bits - 1) }, ops, quantization: { weightBits: 8, activationBits: bits, ranges: 'weights', calibrationSamples: 0 } };
  return parseQModel(JSON.parse(JSON.stringify(model)), name); // what a qmodel.json would hold, validated
}

/** A dense op that picks count values of the input from `from` on (weights 0 and 1: free). */
function pick(name: string, total: number, from: number, count: number): QOp {
  const weights = Array.from({ length: count }, (_, j) => Array.from({ length: total }, (_, i) => (i === from + j ? 1 : 0)));
  return { kind: 'dense', name, inputSize: total, outputSize: count, weights, bias: new Array(count).fill(0), scale: new Array(count).fill(1), inputs: [-1] };
}

/**
 * The input is Q then K then V, each [N, WIDTH] tokens by channels: heads split off by transposes
 * (Kᵀ by one more axis), the scores Q·Kᵀ per head, a rescale, a softmax along each score row, the
 * product with V, a rescale, and the heads merged back into [N, WIDTH].
 */
function attentionOps(bits: number, scoreShift: number, contextShift: number): QOp[] {
  const size = N * WIDTH;
  const { table, ...softmax } = planSoftmax(N, 2 ** (scoreShift - 2 * (bits - 1)));
  return [
    pick('q', 3 * size, 0, size),
    pick('k', 3 * size, size, size),
    pick('v', 3 * size, 2 * size, size),
    { kind: 'transpose', name: 'q/heads', inShape: [N, HEADS, D], perm: [1, 0, 2], inputs: [0] },
    { kind: 'transpose', name: 'k/heads-t', inShape: [N, HEADS, D], perm: [1, 2, 0], inputs: [1] },
    { kind: 'transpose', name: 'v/heads', inShape: [N, HEADS, D], perm: [1, 0, 2], inputs: [2] },
    { kind: 'matmul', name: 'scores', batch: HEADS, rows: N, inner: D, cols: N, inputs: [3, 4] },
    { kind: 'rescale', name: 'scores/rescale', shift: new Array(HEADS * N * N).fill(scoreShift), activation: { kind: 'linear' } },
    { kind: 'softmax', name: 'attention', ...softmax, table },
    { kind: 'matmul', name: 'context', batch: HEADS, rows: N, inner: N, cols: D, inputs: [8, 5] },
    { kind: 'rescale', name: 'context/rescale', shift: new Array(HEADS * N * D).fill(contextShift), activation: { kind: 'linear' } },
    { kind: 'transpose', name: 'merge', inShape: [HEADS, N, D], perm: [1, 0, 2] },
  ];
}

async function outputsOf(circuit: TestCircuit, model: QModel, input: number[]): Promise<bigint[]> {
  const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
  expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
  return decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn)).logits!;
}

/** Random inputs, and the edges: all zeros, all least, all greatest, alternating ends. */
function inputsOf(model: QModel, count: number, seed: number): number[][] {
  const { min, max } = inputRange(model.input);
  const n = inputSize(model.input);
  const rng = seededRng(seed);
  return [
    new Array(n).fill(0),
    new Array(n).fill(min),
    new Array(n).fill(max),
    Array.from({ length: n }, (_, i) => (i % 2 ? min : max)),
    ...Array.from({ length: count }, () => Array.from({ length: n }, () => min + Math.floor(rng() * (max - min + 1)))),
  ];
}

describe('matmul of two activations', () => {
  it('every pair of 4-bit factors: circuit = reference, one constraint per product; a constant factor costs none', async () => {
    // The outer product of the input [-8 .. 7] with itself: [1, 16, 1] x [1, 1, 16], every pair once.
    const model = qmodel('outer product', 16, 4, [{ kind: 'matmul', name: 'every pair', batch: 1, rows: 16, inner: 1, cols: 16, inputs: [-1, -1] }]);
    const circuit = await compileModel(model, PUBLIC);
    expect(opCost(circuit.plan.ops[0]!)).toBe(256);
    expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
    const input = Array.from({ length: 16 }, (_, i) => i - 8);
    const reference = runReference(model, input).logits;
    expect(reference.slice(0, 3)).toEqual([64, 56, 48]); // (-8)(-8), (-8)(-7), (-8)(-6)
    expect(await outputsOf(circuit, model, input)).toEqual(reference.map(BigInt));

    // [2, 2, 2] x [2, 2, 1] where b's odd values are constants (a dense op's bias, no weight): half the products are linear, and free.
    const half = qmodel('half constant', 8, 4, [
      { kind: 'dense', name: 'b', inputSize: 8, outputSize: 4, weights: Array.from({ length: 4 }, (_, j) => Array.from({ length: 8 }, (_, i) => (j % 2 === 0 && i === j ? 1 : 0))), bias: [0, 3, 0, -5], scale: [1, 1, 1, 1], inputs: [-1] },
      { kind: 'matmul', name: 'half', batch: 2, rows: 2, inner: 2, cols: 1, inputs: [-1, 0] },
    ]);
    const halfCircuit = await compileModel(half, PUBLIC);
    expect(opCost(halfCircuit.plan.ops[1]!)).toBe(4);
    expect(halfCircuit.r1cs.constraints.length).toBe(totalCost(halfCircuit.plan));
    for (const x of inputsOf(half, 4, 3)) expect(await outputsOf(halfCircuit, half, x)).toEqual(runReference(half, x).logits.map(BigInt));
  });

  it('2 heads, n = 3, d = 2: Q·Kᵀ, row softmax, ·V, heads merged; random and edge inputs; exact cost; transposes free', async () => {
    const model = qmodel('attention', 3 * N * WIDTH, 5, attentionOps(5, 3, 14));
    const circuit = await compileModel(model, PUBLIC);
    expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
    const kinds = model.ops.map((op) => op.kind);
    circuit.plan.ops.forEach((plan, k) => kinds[k] === 'transpose' && expect(opCost(plan)).toBe(0));
    expect(opCost(circuit.plan.ops[kinds.indexOf('matmul')]!)).toBe(HEADS * N * N * D);
    expect(opCost(circuit.plan.ops[kinds.lastIndexOf('matmul')]!)).toBe(HEADS * N * D * N);
    for (const input of inputsOf(model, 12, 5)) {
      expect(await outputsOf(circuit, model, input), `input ${input}`).toEqual(runReference(model, input).logits.map(BigInt));
    }
  });
});

describe('the audit on attention', () => {
  it('knows the attention core and finds nothing; a score product written with <-- is caught', async () => {
    const model = qmodel('attention', 3 * N * WIDTH, 5, attentionOps(5, 3, 14));
    const circuit = await compileModel(model, PUBLIC);
    const honest = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: auditInputs(model, 2, 5) });
    expect(honest.ok, describeFindings(honest)).toBe(true);
    for (const counts of Object.values(honest.attacks)) expect(counts.accepted).toBe(0);

    const scores = model.ops.findIndex((op) => op.kind === 'matmul');
    const product = `op${scores}_prod[(h * ${N} + i) * ${N} + j][t] <==`;
    expect(circuit.source).toContain(product);
    const { files } = await compileSource(circuit.source.replace(product, product.replace('<==', '<--')));
    const hinted = await auditModelCircuit(model, files, { plan: circuit.plan, inputs: auditInputs(model, 1, 5) });
    expect(hinted.ok).toBe(false);
    expect(hinted.findings.some((f) => f.component === `op${scores}` || f.signal.startsWith(`op${scores}_prod`)), describeFindings(hinted)).toBe(true);
  });
});

describe('a quantized self-attention block', () => {
  it('LayerNorm → Q, K, V → scores → row softmax → ·V → output → residual → Dense (2 heads, n = 3, d = 2): circuit = reference, exact cost, the audit finds nothing', async () => {
    const float = attentionBlockModel({ tokens: N, width: WIDTH, heads: HEADS, classes: 3 }, seededRng(41));
    const rng = seededRng(42);
    const calibration = Array.from({ length: 24 }, () => Array.from({ length: N * WIDTH }, () => rng() * 2 - 1));
    const { model } = quantizeModel(float, { calibration, inputRange: [-1, 1] });
    // Q, K and V take the wide width (16 bits), finer than their accumulators: no rescale after them.
    expect(model.ops.map((op) => op.kind)).toEqual([
      'norm', 'add', 'rescale', 'conv2d', 'conv2d', 'conv2d', 'transpose', 'transpose', 'transpose',
      'matmul', 'rescale', 'softmax', 'matmul', 'rescale', 'transpose', 'conv2d', 'rescale', 'add', 'rescale', 'dense', 'argmax',
    ]);
    const circuit = await compileModel(model, PUBLIC);
    expect(circuit.r1cs.constraints.length).toBe(totalCost(circuit.plan));
    const inputs = [...calibration.slice(0, 6).map((x) => quantizeInput(x, model.input)), ...inputsOf(model, 0, 1)];
    for (const input of inputs) {
      const reference = runReference(model, input);
      const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n));
      expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
      const outputs = decodePublicSignals(circuit.layout, witness.slice(1, 1 + circuit.r1cs.nPubOut + circuit.r1cs.nPubIn));
      expect(outputs.logits).toEqual(reference.logits.map(BigInt));
      expect(outputs.label).toBe(reference.label);
    }
    const report = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs: auditInputs(model, 2, 7) });
    expect(report.ok, describeFindings(report)).toBe(true);
    for (const counts of Object.values(report.attacks)) expect(counts.accepted).toBe(0);
    const cost = (kind: string) => model.ops.reduce((sum, op, k) => sum + (op.kind === kind ? opCost(circuit.plan.ops[k]!) : 0), 0);
    console.log(`self-attention block, 2 heads, 3 tokens, width 4: ${circuit.r1cs.constraints.length} constraints; matmul ${cost('matmul')}, softmax ${cost('softmax')}, norm ${cost('norm')}, rescale ${cost('rescale')}`);
  });
});
