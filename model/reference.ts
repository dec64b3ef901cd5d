/**
 * The integer reference interpreter: THE definition of what a zkinfer circuit computes.
 * Circuits are tested to reproduce it bit for bit. Arithmetic is on JS numbers, which is exact
 * because model/bounds.ts refuses any model whose partial sums could reach 2^52.
 */
import { InputError } from '../core/errors.js';
import { activate, rescaleValue } from './bounds.js';
import { averageMultipliers, convTermTable, poolWindowTable } from './geometry.js';
import { normRows } from './norm.js';
import { softmaxRows } from './softmax.js';
import { tableValue } from './tables.js';
import { type QModel, type QOp, type QOpKind, concatSources, hasArgmax, transposeSources, inputRange, inputSize, logitsOpIndex, probabilitiesOpIndex, walkOps } from './ir.js';

/** One op's integer semantics: x is its (first) input, `all` every input in order. */
type Step<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, x: readonly number[], all: readonly (readonly number[])[]) => number[];

/** Fill a [OH, OW, C] output in flat order. */
function spatial(outShape: readonly number[], each: (oy: number, ox: number, c: number) => number): number[] {
  const [oh, ow, oc] = outShape;
  const y = new Array<number>(oh * ow * oc);
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let c = 0; c < oc; c++) y[(oy * ow + ox) * oc + c] = each(oy, ox, c);
  return y;
}

const steps: { [K in QOpKind]: Step<K> } = {
  dense(op, x) {
    const y = new Array<number>(op.outputSize);
    for (let j = 0; j < op.outputSize; j++) {
      const row = op.weights[j];
      let acc = op.bias[j];
      for (let i = 0; i < op.inputSize; i++) acc += row[i] * x[i];
      y[j] = acc;
    }
    return y;
  },
  conv2d(op, x) {
    const { table, rowLength } = convTermTable(op);
    const channels = op.outShape[2];
    const y = new Array<number>(table.length / rowLength);
    for (let j = 0; j < y.length; j++) {
      const row = op.weights[j % channels];
      let acc = op.bias[j % channels];
      for (let t = 0, at = j * rowLength; t < rowLength; t++, at++) {
        const i = table[at];
        if (i >= 0) acc += row[t] * x[i];
      }
      y[j] = acc;
    }
    return y;
  },
  avgPool(op, x) {
    const { multipliers } = averageMultipliers(op);
    const windows = poolWindowTable(op);
    return spatial(op.outShape, (oy, ox, c) => {
      const position = oy * op.outShape[1] + ox;
      let sum = 0;
      for (const p of windows[position]) sum += x[p + c];
      return multipliers[position] * sum;
    });
  },
  maxPool(op, x) {
    const windows = poolWindowTable(op);
    return spatial(op.outShape, (oy, ox, c) => {
      let best = -Infinity;
      for (const p of windows[oy * op.outShape[1] + ox]) best = Math.max(best, x[p + c]);
      return best;
    });
  },
  pad(op, x) {
    const [h, w, channels] = op.inShape;
    return spatial(op.outShape, (oy, ox, c) => {
      const [iy, ix] = [oy - op.padding[0], ox - op.padding[1]];
      return iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : x[(iy * w + ix) * channels + c];
    });
  },
  rescale(op, x) {
    return x.map((v, j) => activate(rescaleValue(v, op.shift[j]), op.activation, j));
  },
  table: (op, x) => x.map((v, j) => tableValue(op.table, op.bits, v, op.shift[j])),
  softmax: (op, x) => softmaxRows(op, x),
  norm: (op, x) => normRows(op, x),
  argmax(_op, x) {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
    return [best];
  },
  add: (op, x, all) => x.map((_, j) => all.reduce((acc, input, i) => acc + op.weights[i][j] * input[j], op.bias[j])),
  concat: (op, _x, all) => concatSources(op).map(([i, e]) => all[i][e]),
  mul: (_op, a, [, b]) => a.map((v, j) => v * b[j]),
  matmul(op, a, [, b]) {
    const y: number[] = [];
    for (let h = 0; h < op.batch; h++) {
      for (let i = 0; i < op.rows; i++) {
        for (let j = 0; j < op.cols; j++) {
          let acc = 0;
          for (let t = 0; t < op.inner; t++) acc += a[(h * op.rows + i) * op.inner + t] * b[(h * op.inner + t) * op.cols + j];
          y.push(acc);
        }
      }
    }
    return y;
  },
  transpose: (op, x) => transposeSources(op).map((i) => x[i]),
};

export interface ReferenceTrace {
  /** The output of every op, in order. */
  values: number[][];
  /** The values the prediction is read from (the input to a final argmax). */
  logits: number[];
  /** The predicted class, when the model ends in argmax. */
  label?: number;
  /** The probabilities (in 2^-probabilityBits units), when the model computes them (ir.ts probabilitiesOpIndex). */
  probabilities?: number[];
}

/** Check that a quantized input has the right length and only integers in the declared range. */
export function checkQuantizedInput(model: Pick<QModel, 'input'>, input: ArrayLike<number>, where = 'input'): void {
  const n = inputSize(model.input);
  if (input.length !== n) throw new InputError(`${where}: expected ${n} values, found ${input.length}`);
  const { min, max } = inputRange(model.input);
  for (let i = 0; i < n; i++) {
    const v = input[i];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new InputError(`${where}[${i}] = ${v} is outside the quantized input range [${min}, ${max}]`, {
        details: { index: i, value: v, min, max },
      });
    }
  }
}

export function runReference(model: QModel, input: ArrayLike<number>): ReferenceTrace {
  checkQuantizedInput(model, input);
  const values = walkOps<number[]>(model, Array.from(input), (op, inputs) => (steps[op.kind] as Step<QOpKind>)(op, inputs[0], inputs));
  const logits = values[logitsOpIndex(model)];
  const probabilities = probabilitiesOpIndex(model);
  return {
    values,
    logits,
    ...(hasArgmax(model) ? { label: values[values.length - 1][0] } : {}),
    ...(probabilities >= 0 ? { probabilities: values[probabilities] } : {}),
  };
}
