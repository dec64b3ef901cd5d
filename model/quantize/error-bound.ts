/**
 * A guaranteed bound on |float logit - dequantized reference logit| for one input, from the
 * scales alone: rounding the input, each weight and bias, each requantization, a clip level and a
 * leaky slope. Tests hold the reference interpreter to it against TF.js's float model; it also
 * says how much a prediction can move under quantization.
 *
 * Per output of a dense or convolution layer with effective float weights W' = Wq * s_acc / s_in:
 *   |y' - y| <= sum_t (|W_t| e_t + |W'_t - W_t| |a'_t|) + s_acc / 2
 * where e bounds the input's error and a' is the dequantized input; a rescale adds half its
 * output scale; ReLU, clipping, max and average pooling do not increase the error (beyond the
 * clip level's own rounding); a leaky ReLU adds its slope's approximation error.
 */
import { type Activation, type FloatModel, leakySlope } from '../float.js';
import { convTermTable, poolWindow, windowPositions } from '../geometry.js';
import { ModelError } from '../../core/errors.js';
import { type QModel, type QOp, firstGraphOp, inputSize, leakNumerator, opScales, transposeSources } from '../ir.js';
import { runReference } from '../reference.js';
import { evaluateTable, slopeBound } from '../tables.js';
import { maxOf } from '../../core/numbers.js';

/** The float layer an op came from: same name, or the layer whose rescale it is. (Table ops are bounded from their own fn.) */
function floatLayerOf(float: FloatModel, op: QOp) {
  return float.layers.find((l) => l.name === op.name || `${l.name}/rescale` === op.name);
}

function floatActivation(float: FloatModel, op: QOp): Activation {
  const layer = floatLayerOf(float, op);
  return layer && 'activation' in layer ? layer.activation : { kind: 'linear' };
}

export function logitErrorBound(float: FloatModel, model: QModel, quantizedInput: readonly number[]): number[] {
  const graphOp = firstGraphOp(model);
  if (graphOp >= 0) throw new ModelError('MODEL_UNSUPPORTED', 'the logit error bound is derived for chains of layers only, not graphs', { name: model.ops[graphOp].name, index: graphOp });
  const trace = runReference(model, quantizedInput);
  const scales = opScales(model);
  let error = new Array<number>(inputSize(model.input)).fill(model.input.scale / 2);
  let values = quantizedInput.map((q) => q * model.input.scale);
  let inScales = values.map(() => model.input.scale);
  model.ops.forEach((op, k) => {
    const outScales = scales[k];
    switch (op.kind) {
      case 'dense':
      case 'conv2d': {
        const layer = floatLayerOf(float, op)!;
        // Each output's terms: [input index, float weight, integer weight] (input -1: padding).
        const terms = (j: number): [number, number, number][] => {
          if (op.kind === 'dense' && layer.kind === 'dense') return op.weights[j].map((w, i) => [i, layer.kernel[i * layer.units + j], w]);
          if (op.kind === 'conv2d' && layer.kind === 'conv2d') {
            const { table, rowLength } = convTermTable(op);
            const oc = j % op.outShape[2];
            return op.weights[oc].map((w, t) => [table[j * rowLength + t], layer.weights[oc * rowLength + t], w]);
          }
          throw new Error(`no float layer for ${op.name}`);
        };
        error = outScales.map((sAcc, j) => {
          let e = sAcc / 2;
          for (const [i, w, q] of terms(j)) {
            if (i < 0) continue;
            e += Math.abs(w) * error[i] + Math.abs((q * sAcc) / inScales[i] - w) * Math.abs(values[i]);
          }
          return e;
        });
        break;
      }
      case 'avgPool': {
        // The float average divides by the count of valid inputs; the integer sum's multiplier and scale cancel.
        const [, ow, channels] = op.outShape;
        error = outScales.map((_, j) => {
          const position = Math.floor(j / channels);
          const window = windowPositions(poolWindow(op), Math.floor(position / ow), position % ow).filter((p) => p >= 0);
          return window.reduce((s, p) => s + error[p + (j % channels)], 0) / window.length;
        });
        break;
      }
      case 'maxPool': {
        const [, ow, channels] = op.outShape;
        error = outScales.map((_, j) => {
          const position = Math.floor(j / channels);
          const window = windowPositions(poolWindow(op), Math.floor(position / ow), position % ow).filter((p) => p >= 0);
          return maxOf(window.map((p) => error[p + (j % channels)]));
        });
        break;
      }
      case 'pad': {
        const [h, w, channels] = op.inShape;
        const [, ow] = op.outShape;
        error = outScales.map((_, j) => {
          const [oy, ox] = [Math.floor(j / channels / ow), Math.floor(j / channels) % ow];
          const [iy, ix] = [oy - op.padding[0], ox - op.padding[1]];
          return iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : error[(iy * w + ix) * channels + (j % channels)];
        });
        break;
      }
      case 'transpose': {
        // It only moves values: each output keeps its source's error.
        const from = error;
        error = transposeSources(op).map((i) => from[i]!);
        break;
      }
      case 'rescale': {
        const activation = floatActivation(float, op);
        const a = op.activation;
        error = error.map((e, j) => {
          const unit = outScales[j] / (a.kind === 'leaky' ? 2 ** -a.bits : 1); // the scale of q
          let bound = e + (op.shift[j] > 0 ? unit / 2 : 0);
          if (a.kind === 'relu' && a.max && activation.kind === 'relu' && activation.max !== undefined) bound += Math.abs(a.max[j] * unit - activation.max);
          if (a.kind === 'leaky' && activation.kind === 'leakyRelu') bound += Math.abs(leakNumerator(a, j) / 2 ** a.bits - leakySlope(activation, j)) * (Math.abs(values[j]) + e);
          return bound;
        });
        break;
      }
      case 'table': {
        // |f(x) - y * outScale| <= |f(x) - f(x')| + |f(x') - y * outScale|, x' the dequantized
        // input: the second term holds the rounding to codes, the saturation and the table's own rounding.
        error = error.map((e, j) => slopeBound(op.fn, values[j]!, e) * e + Math.abs(evaluateTable(op.fn, values[j]!) - trace.values[k]![j]! * op.outScale));
        break;
      }
      case 'norm':
      case 'softmax':
        // Their error is measured (fidelity; model/softmax.ts bounds the softmax alone), not derived here.
        throw new ModelError('MODEL_UNSUPPORTED', `the logit error bound is not derived through a ${op.kind} op`, { name: op.name, index: k });
      case 'argmax':
        return;
    }
    values = trace.values[k].map((v, j) => v * outScales[j]);
    inScales = outScales;
  });
  return error;
}
