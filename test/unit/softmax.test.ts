/**
 * Softmax in integers (model/softmax.ts): quantized with --output probabilities, a classifier's
 * probabilities stay within the documented bound of the float softmax of its logits; the QModel
 * reader refuses softmax ops that break the rules the circuit relies on.
 */
import { describe, expect, it } from 'vitest';
import { runFloat } from '../../model/float.js';
import { parseQModel, probabilitiesOpIndex } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { runReference } from '../../model/reference.js';
import { floatSoftmax, softmaxErrorBound, softmaxRow } from '../../model/softmax.js';
import { quantizeInput } from '../../model/input.js';
import { randomDenseModel, randomInputs, seededRng } from '../helpers/random.js';

describe('softmax in integers', () => {
  const float = randomDenseModel(seededRng(5), [16, 12, 10]);
  const calibration = randomInputs(seededRng(6), 64, 16);
  const { model } = quantizeModel(float, { calibration, output: 'probabilities' });
  const k = probabilitiesOpIndex(model);
  const op = model.ops[k]!;

  it('sits before the argmax, both reading the logits; the class is the logits\' argmax', () => {
    expect(op.kind).toBe('softmax');
    expect(model.ops.map((o) => o.kind).slice(-3)).toEqual(['dense', 'softmax', 'argmax']);
    expect(parseQModel(JSON.parse(JSON.stringify(model)), 'qmodel.json')).toEqual(model);
  });

  it('stays within the documented bound of the float softmax of the same logits, and of the float model', () => {
    if (op.kind !== 'softmax') throw new Error('no softmax');
    const bound = softmaxErrorBound(op);
    const logitScale = (model.ops[k - 1] as { scale: number[] }).scale[0]!;
    let worst = 0;
    let worstFloat = 0;
    let sum = 0;
    let count = 0;
    for (const x of randomInputs(seededRng(7), 300, 16)) {
      const trace = runReference(model, quantizeInput(x, model.input, 'input'));
      const exact = floatSoftmax(trace.logits.map((v) => v * logitScale));
      const ofFloat = floatSoftmax(runFloat(float, x).logits);
      trace.probabilities!.forEach((p, i) => {
        const error = Math.abs(p / 2 ** op.probabilityBits - exact[i]!);
        worst = Math.max(worst, error);
        worstFloat = Math.max(worstFloat, Math.abs(p / 2 ** op.probabilityBits - ofFloat[i]!));
        sum += error;
        count++;
      });
      expect(trace.probabilities!.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 ** op.probabilityBits);
    }
    console.log(`softmax over ${op.rowSize} logits at ${logitScale.toPrecision(3)}: table of ${op.bits} bits at ${op.inScale.toPrecision(3)} (shift ${op.shift}); error against the float softmax of the quantized logits: max ${worst.toExponential(2)}, mean ${(sum / count).toExponential(2)}, bound ${bound.toExponential(2)}; against the float model's softmax: max ${worstFloat.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(bound);
    expect(worst).toBeGreaterThan(0);
  });

  it('takes the exact floor and saturates to 0 beyond the table', () => {
    const params = { shift: 0, bits: 3, expBits: 4, probabilityBits: 4, table: [0, 0, 2, 6, 16, 16, 16, 16] };
    // e = [16, 6, 0 (saturated: d = -9 is below the table's -4)], S = 22: floor(256 / 22) = 11, floor(96 / 22) = 4, 0.
    expect(softmaxRow(params, [3, 2, -6])).toEqual([11, 4, 0]);
  });

  it('refuses a softmax whose exp table is not 2^expBits at 0, whose rows do not divide its input, or that nothing reads', () => {
    const json = JSON.parse(JSON.stringify(model));
    const broken = (edit: (o: Record<string, unknown>, all: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(json));
      edit(copy.ops[k], copy);
      return () => parseQModel(copy, 'qmodel.json');
    };
    const zero = 2 ** ((op as { bits: number }).bits - 1);
    expect(broken((o) => ((o.table as number[])[zero] = 3))).toThrow(new RegExp(`qmodel.json: ops\\[${k}\\]\\.table\\[${zero}\\] must be e\\^0 = 2\\^expBits = 65536, found 3`));
    expect(broken((o) => (o.rowSize = 3))).toThrow(/ops\[\d+\]\.rowSize must divide its input's 10 values, found 3/);
    expect(broken((o) => ((o.table as number[])[0] = -1))).toThrow(/ops\[\d+\]\.table\[0\] must be in \[0, 65536\], found -1/);
    // An argmax reading the probabilities leaves the softmax read, but a softmax after the argmax's input and not before it is read by nothing.
    expect(broken((_o, all) => ((all.ops as Record<string, unknown>[])[k + 1]!.inputs = [k - 2]))).toThrow(/is read by no later op/);
  });
});
