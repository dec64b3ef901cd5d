/**
 * A guaranteed bound on |float logit - dequantized reference logit| for one input, from the
 * scales alone: rounding the input, each weight and bias, and each requantization. Tests hold the
 * reference interpreter to it against TF.js's float model; it also says how much a prediction can
 * move under quantization.
 *
 * Per dense layer with effective float weights W' = Wq * s_acc / s_in (|W' - W| <= s_acc / (2 s_in)):
 *   |y' - y| <= sum_i (|W_ij| e_i + |W'_ij - W_ij| |a'_i|) + s_acc_j / 2
 * where e_i bounds the input error and a'_i is the dequantized input; a rescale adds half its
 * output scale; ReLU is 1-Lipschitz.
 */
import type { DenseLayer, FloatModel } from '../float.js';
import { type QModel, opScales } from '../ir.js';
import { runReference } from '../reference.js';

export function logitErrorBound(float: FloatModel, model: QModel, quantizedInput: readonly number[]): number[] {
  const trace = runReference(model, quantizedInput);
  const scales = opScales(model);
  const denseLayers = float.layers.filter((l): l is DenseLayer => l.kind === 'dense');
  let error = quantizedInput.map(() => model.input.scale / 2);
  let values = quantizedInput.map((q) => q * model.input.scale);
  let dense = 0;
  model.ops.forEach((op, k) => {
    if (op.kind === 'dense') {
      const layer = denseLayers[dense++];
      const inScales = k === 0 ? values.map(() => model.input.scale) : scales[k - 1];
      error = op.scale.map((sAcc, j) => {
        let e = sAcc / 2;
        for (let i = 0; i < op.inputSize; i++) {
          const w = layer.kernel[i * layer.units + j];
          const effective = (op.weights[j][i] * sAcc) / inScales[i];
          e += Math.abs(w) * error[i] + Math.abs(effective - w) * Math.abs(values[i]);
        }
        return e;
      });
    } else if (op.kind === 'rescale') {
      error = error.map((e, j) => e + (op.shift[j] > 0 ? scales[k][j] / 2 : 0));
    }
    if (op.kind !== 'argmax') values = trace.values[k].map((v, j) => v * scales[k][j]);
  });
  return error;
}
