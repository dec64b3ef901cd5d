/**
 * Fidelity measurement, the activation-width search and the static overflow analysis.
 */
import { describe, expect, it } from 'vitest';
import { analyzeOverflow } from '../../circuits/overflow.js';
import { planCircuit, totalCost } from '../../circuits/plan.js';
import { argmax, runFloat } from '../../model/float.js';
import { maxOf } from '../../core/numbers.js';
import { quantizeInput } from '../../model/input.js';
import { logitsOpIndex, opScales } from '../../model/ir.js';
import { describeFidelity, measureFidelity } from '../../model/quantize/fidelity.js';
import { runReference } from '../../model/reference.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { chooseActivationBits } from '../../model/quantize/search.js';
import { randomImageModel, randomInputs, seededRng } from '../helpers/random.js';

const rng = seededRng(77);
const float = randomImageModel(rng, [8, 8, 1], [
  { conv: { filters: 4, kernel: [3, 3] } },
  { pool: { op: 'max' } },
  { flatten: true },
  { dense: { units: 12 } },
  { dense: { units: 5, activation: { kind: 'softmax' } } },
]);
const inputs = randomInputs(seededRng(78), 120, 64);
// Labels the float model gets right on 90 of 120 inputs, so accuracy means something.
const labels = inputs.map((x, k) => (k % 4 === 0 ? (argmax(runFloat(float, x).logits) + 1) % 5 : argmax(runFloat(float, x).logits)));
const calibration = inputs.slice(0, 40);

describe('measureFidelity', () => {
  it('reports agreement, accuracies and per-layer errors that fit together', () => {
    const { model } = quantizeModel(float, { calibration });
    const f = measureFidelity(float, model, { inputs, labels });
    expect(f.samples).toBe(120);
    expect(f.floatAccuracy).toBe(0.75);
    expect(f.agreement).toBeGreaterThan(0.9);
    expect(Math.abs(f.quantizedAccuracy! - f.floatAccuracy!)).toBeLessThanOrEqual(1 - f.agreement!);
    expect(f.layers.map((l) => l.name)).toEqual(['layer_0', 'layer_1', 'layer_3', 'layer_4']);
    for (const l of f.layers) expect(l.worst).toBeGreaterThanOrEqual(l.mean);
    expect(f.layers.at(-1)!.worst).toBe(f.outputError.max);
    expect(f.layers.at(-1)!.mean).toBeCloseTo(f.outputError.mean, 12);
    expect(f.outputs).toBe(5);
  });

  it('loses agreement when activations get coarse', () => {
    const fine = measureFidelity(float, quantizeModel(float, { calibration, activationBits: 10 }).model, { inputs });
    const coarse = measureFidelity(float, quantizeModel(float, { calibration, activationBits: 2 }).model, { inputs });
    expect(coarse.agreement!).toBeLessThan(fine.agreement!);
    expect(coarse.layers[0].mean).toBeGreaterThan(fine.layers[0].mean);
  });
});

describe('measureFidelity: a model with one output (a regression, or a binary logit)', () => {
  const regression = randomImageModel(seededRng(79), [8, 8, 1], [{ conv: { filters: 2, kernel: [3, 3] } }, { flatten: true }, { dense: { units: 1, activation: { kind: 'linear' } } }]);
  const { model } = quantizeModel(regression, { calibration, activationBits: 4 });
  const targets = inputs.map((x) => x.reduce((a, b) => a + b, 0) / x.length);

  it('has no agreement or accuracy (one output always "agrees"), but the mean and largest error of its output', () => {
    const f = measureFidelity(regression, model, { inputs, labels: inputs.map(() => 0), targets });
    expect(f.outputs).toBe(1);
    expect(f).not.toHaveProperty('agreement');
    expect(f).not.toHaveProperty('floatAccuracy');
    expect(f).not.toHaveProperty('quantizedAccuracy');
    // The output's error, recomputed here from both models' outputs.
    const float = inputs.map((x) => runFloat(regression, x).logits[0]);
    const quantized = inputs.map((x) => runReference(model, quantizeInput(x, model.input)).logits[0] * opScales(model)[logitsOpIndex(model)][0]);
    const summary = (e: number[]) => ({ mean: e.reduce((a, b) => a + b, 0) / e.length, max: maxOf(e) });
    const against = (values: number[], expected: number[]) => summary(values.map((v, k) => Math.abs(v - expected[k])));
    expect(f.outputError.max).toBeGreaterThan(0);
    expect(f.outputError.mean).toBeCloseTo(against(quantized, float).mean, 12);
    expect(f.outputError.max).toBeCloseTo(against(quantized, float).max, 12);
    expect(f.targetError!.float.mean).toBeCloseTo(against(float, targets).mean, 12);
    expect(f.targetError!.quantized.max).toBeCloseTo(against(quantized, targets).max, 12);
    expect(describeFidelity(f)).toMatch(/^one output: error against the float model mean \S+, max \S+; error against the targets: quantized mean \S+, max \S+ \(float model mean \S+, max \S+\)$/);
    expect(describeFidelity(f)).not.toMatch(/agreement|top-1/);
  });

  it('a bit-width search, which scores classes, refuses it', () => {
    const constraintsOf = (m: Parameters<typeof planCircuit>[0]) => totalCost(planCircuit(m));
    expect(() => chooseActivationBits(regression, { calibration }, { inputs }, { range: [3, 6], target: 'constraints', constraintsOf })).toThrow(/one output, no classes: pass one width \(--bits N\)/);
  });
});

describe('chooseActivationBits', () => {
  const constraintsOf = (m: Parameters<typeof planCircuit>[0]) => totalCost(planCircuit(m));

  it("the 'accuracy' target takes the finest widths of the budget", () => {
    const result = chooseActivationBits(float, { calibration }, { inputs, labels }, { range: [4, 9], target: 'accuracy', constraintsOf });
    expect(result.bits).toEqual([9, 9, 9]);
    expect(result.model.quantization.activationBits).toBe(9);
  });

  it("the 'constraints' target saves constraints and stays within the tolerance", () => {
    const finest = chooseActivationBits(float, { calibration }, { inputs, labels }, { range: [3, 9], target: 'accuracy', constraintsOf });
    const result = chooseActivationBits(float, { calibration }, { inputs, labels }, { range: [3, 9], target: 'constraints', tolerance: 0.02, constraintsOf });
    expect(result.constraints).toBeLessThan(finest.constraints);
    expect(result.bits.slice(0, 2).some((b) => b < 9)).toBe(true);
    expect(result.fidelity.floatAccuracy! - result.fidelity.quantizedAccuracy!).toBeLessThanOrEqual(0.02);
    expect(result.steps.filter((s) => s.accepted).at(-1)!.constraints).toBe(result.constraints);
    // A zero tolerance accepts only steps that lose nothing.
    const strict = chooseActivationBits(float, { calibration }, { inputs, labels }, { range: [3, 9], target: 'constraints', tolerance: 0, constraintsOf });
    expect(strict.fidelity.quantizedAccuracy!).toBeGreaterThanOrEqual(strict.fidelity.floatAccuracy!);
  });
});

describe('analyzeOverflow', () => {
  it('finds every range check holds, with widths far below the field', () => {
    const { model } = quantizeModel(float, { calibration });
    const report = analyzeOverflow(model);
    expect(report.maxValueBits).toBeLessThan(52);
    expect(report.maxCheckBits).toBeGreaterThan(8);
    expect(report.layers.map((l) => l.kind)).toEqual(model.ops.map((o) => o.kind));
  });

  it('names the layer and how many bits short when a plan is too narrow', () => {
    const { model } = quantizeModel(float, { calibration });
    const plan = planCircuit(model);
    const rescale = plan.ops.findIndex((o) => o.kind === 'rescale');
    const ops = plan.ops.map((o, k) => (k === rescale && o.kind === 'rescale' ? { ...o, elements: o.elements.map((e, j) => (j === 3 ? { ...e, nq: e.nq - 2 } : e)) } : o));
    expect(() => analyzeOverflow(model, { ...plan, ops })).toThrow(new RegExp(`layer ${rescale} '${model.ops[rescale].name}': value 3 can reach .*, outside its \\d+-bit range check: \\d+ bits short`));
  });

  it("checks a table activation's decomposition the same way", () => {
    const tanh = randomImageModel(seededRng(78), [6, 6, 1], [{ conv: { filters: 2, kernel: [3, 3], activation: { kind: 'table', fn: { name: 'tanh' } } } }, { flatten: true }, { dense: { units: 3 } }]);
    const { model } = quantizeModel(tanh, { calibration: randomInputs(seededRng(79), 16, 36) });
    expect(analyzeOverflow(model).layers.find((l) => l.kind === 'table')!.checkBits).toBeGreaterThan(8);
    const plan = planCircuit(model);
    const at = plan.ops.findIndex((o) => o.kind === 'table');
    const ops = plan.ops.map((o, k) => (k === at && o.kind === 'table' ? { ...o, elements: o.elements.map((e, j) => (j === 5 ? { ...e, nq: e.nq - 1 } : e)) } : o));
    expect(() => analyzeOverflow(model, { ...plan, ops })).toThrow(new RegExp(`layer ${at} '${model.ops[at]!.name}': value 5 can reach .*, outside its \\d+-bit range check: 1 bits short`));
  });
});
