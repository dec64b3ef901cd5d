/**
 * Table activations outside the circuit: the tables (model/tables.ts) hold the correctly rounded
 * f, saturate outside their domain, and parse only when well-formed; TF.js models with each
 * activation load with TF.js's semantics and quantize to table ops that follow the float model
 * within the error bound.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildDirectR1cs } from '../../circuits/direct/build.js';
import { decodePublicSignals, publicSignalLayout } from '../../circuits/layout.js';
import { planCircuit, totalCost } from '../../circuits/plan.js';
import { DEFAULT_VISIBILITY } from '../../circuits/visibility.js';
import { ZkinferError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { runFloat } from '../../model/float.js';
import { quantizeInput } from '../../model/input.js';
import { QMODEL_FORMAT, logitsOpIndex, opScales, parseQModel } from '../../model/ir.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { logitErrorBound } from '../../model/quantize/error-bound.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { TABLE_FUNCTION_NAMES, type TableFunction, buildTable, erf, evaluateTable, lookupTable } from '../../model/tables.js';
import { type Tf, saveModel } from '../helpers/fixtures.js';

describe('tables', () => {
  it('erf agrees with reference values to 1e-15 on both sides of the series/continued-fraction switch', () => {
    const known: [number, number][] = [[0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [2.9, 0.9999589021219005], [3, 0.9999779095030014], [3.5, 0.9999992569016276], [5, 0.9999999999984626]];
    for (const [x, v] of known) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    // The two methods meet at 2 without a step: just below it, erf is 1e-12 * erf'(2) = 2.0667e-14 less.
    expect(Math.abs(erf(2) - erf(2 - 1e-12) - (2 / Math.sqrt(Math.PI)) * Math.exp(-4) * 1e-12)).toBeLessThan(2e-15);
  });

  it('every entry is f at its code rounded half away from zero, and the ends saturate', () => {
    const fns: TableFunction[] = [{ name: 'sigmoid' }, { name: 'tanh' }, { name: 'gelu' }, { name: 'hardSwish' }, { name: 'elu', alpha: 0.5 }];
    for (const fn of fns) {
      const table = buildTable(fn, 6, 0.125, 1 / 64);
      for (let q = -32; q < 32; q++) {
        const exact = evaluateTable(fn, q * 0.125) * 64;
        expect(Math.abs(table[q + 32]! - exact)).toBeLessThanOrEqual(0.5);
        expect(lookupTable(table, 6, q)).toBe(table[q + 32]);
      }
      expect(lookupTable(table, 6, -1000)).toBe(table[0]);
      expect(lookupTable(table, 6, 1000)).toBe(table[63]);
    }
    // Halves round away from zero: hardSigmoid at 0.5 + 0.2 * x lands on exact halves of 1/2 codes.
    expect(buildTable({ name: 'hardSigmoid', alpha: 0.5, beta: 0.5 }, 2, 1, 1 / 3)).toEqual([0, 0, 2, 3]);
    // tanh is odd, and so is its table (round half away from zero is symmetric).
    const tanh = buildTable({ name: 'tanh' }, 8, 1 / 40, 1 / 127);
    for (let q = 1; q < 128; q++) expect(tanh[128 + q]).toBe(-tanh[128 - q]!);
    // reciprocal at 0: the value at the smallest positive code.
    const reciprocal = buildTable({ name: 'reciprocal' }, 4, 0.25, 1 / 16);
    expect(reciprocal[8]).toBe(reciprocal[9]);
    expect(reciprocal[9]).toBe(64);
  });

  it('a table op parses only when well-formed, naming the field', () => {
    const op = { kind: 'table', name: 't', fn: { name: 'tanh' }, shift: [1, 1], bits: 3, inScale: 0.5, outScale: 0.25, table: buildTable({ name: 'tanh' }, 3, 0.5, 0.25) };
    const model = (o: object) => ({ format: QMODEL_FORMAT, name: 'm', input: { shape: [2], bits: 8, signed: true, scale: 1 }, ops: [o], quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 } });
    expect(parseQModel(model(op), 'q.json').ops[0]).toEqual(op);
    const bad: [object, RegExp][] = [
      [{ ...op, table: op.table.slice(1) }, /ops\[0\]\.table must have 8 entries, found 7/],
      [{ ...op, fn: { name: 'mish' } }, /ops\[0\]\.fn\.name must be one of sigmoid, tanh/],
      [{ ...op, fn: { name: 'elu' } }, /ops\[0\]\.fn\.alpha must be a finite number/],
      [{ ...op, bits: 13 }, /ops\[0\]\.bits must be in \[1, 12\]/],
      [{ ...op, shift: [1] }, /ops\[0\]\.shift must have 2 entries/],
      [{ ...op, table: op.table.map((v, i) => (i === 2 ? 0.5 : v)) }, /ops\[0\]\.table\[2\] must be an integer/],
    ];
    for (const [o, message] of bad) {
      const error = (() => {
        try {
          parseQModel(model(o), 'q.json');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ZkinferError);
      expect((error as ZkinferError).code).toBe('ARTIFACT_INVALID');
      expect((error as ZkinferError).message).toMatch(message);
    }
    expect(TABLE_FUNCTION_NAMES.length).toBe(11);
  });

  it('the direct R1CS builder builds a table op: the cost model\'s constraints, and the reference on every input code', () => {
    const table = buildTable({ name: 'sigmoid' }, 3, 1, 1 / 7);
    const model = parseQModel(
      { format: QMODEL_FORMAT, name: 'm', input: { shape: [2], bits: 4, signed: true, scale: 1 }, ops: [{ kind: 'table', name: 'act', fn: { name: 'sigmoid' }, shift: [0, 1], bits: 3, inScale: 1, outScale: 1 / 7, table }], quantization: { weightBits: 8, activationBits: 8, ranges: 'weights', calibrationSamples: 0 } },
      'q.json',
    );
    const visibility = { ...DEFAULT_VISIBILITY, input: 'public' } as const;
    expect(buildDirectR1cs(model, visibility).constraints.length).toBe(totalCost(planCircuit(model, visibility)));
    for (let x = -8; x < 8; x++) {
      const { witness } = buildDirectR1cs(model, visibility, { input: [x, x] });
      const layout = publicSignalLayout(model, visibility);
      expect(decodePublicSignals(layout, witness!.slice(1, 1 + layout.names.length)).logits).toEqual(runReference(model, [x, x]).logits.map(BigInt));
    }
  });
});

/** TF.js activations on a Dense layer, the function each must become. */
const TFJS: [string, string][] = [
  ['sigmoid', 'sigmoid'],
  ['tanh', 'tanh'],
  ['gelu', 'gelu'],
  // 'gelu_new' maps to geluTanh too, but TF.js 4.22 cannot load a model saved with it ("Unknown activation: geluNew").
  ['swish', 'silu'],
  ['hardSigmoid', 'hardSigmoid'],
  ['elu', 'elu'],
  ['softplus', 'softplus'],
];

async function checkTfjs(build: (tf: Tf) => tfTypes.layers.Layer[], functions: string[]): Promise<void> {
  const dir = await saveModel(build, 29);
  const loaded = await loadTfjsModel(dir);
  try {
    const random = seededRandom(31);
    const inputs = Array.from({ length: 16 }, () => Array.from({ length: 6 }, () => random()));
    const predictions = await loaded.predict(inputs);
    inputs.forEach((x, k) => Array.from(runFloat(loaded.float, x).logits).forEach((v, j) => expect(Math.abs(v - predictions[k]![j]!)).toBeLessThan(1e-5)));
    const { model } = quantizeModel(loaded.float, { calibration: inputs });
    expect(model.ops.filter((o) => o.kind === 'table').map((o) => (o.kind === 'table' ? o.fn.name : ''))).toEqual(functions);
    const scales = opScales(model)[logitsOpIndex(model)]!;
    for (const x of inputs) {
      const q = quantizeInput(x, model.input);
      const bound = logitErrorBound(loaded.float, model, q);
      const float = runFloat(loaded.float, x).logits;
      runReference(model, q).logits.forEach((v, j) => expect(Math.abs(v * scales[j]! - float[j]!)).toBeLessThanOrEqual(bound[j]! + 1e-9));
    }
  } finally {
    loaded.dispose();
  }
}

describe('TF.js table activations load as TF.js computes them and quantize within the error bound', () => {
  for (const [activation, fn] of TFJS) {
    it(`Dense activation '${activation}', and as an Activation layer`, async () => {
      await checkTfjs((tf) => [tf.layers.dense({ inputShape: [6], units: 5, activation: activation as 'relu' }), tf.layers.dense({ units: 3 })], [fn]);
      await checkTfjs((tf) => [tf.layers.dense({ inputShape: [6], units: 5 }), tf.layers.activation({ activation: activation as 'relu' }), tf.layers.dense({ units: 3 })], [fn]);
    });
  }

  it('an ELU layer, and a final sigmoid proven as the probability', async () => {
    await checkTfjs((tf) => [tf.layers.dense({ inputShape: [6], units: 5 }), tf.layers.elu({}), tf.layers.dense({ units: 2, activation: 'sigmoid' })], ['elu', 'sigmoid']);
  });
});
