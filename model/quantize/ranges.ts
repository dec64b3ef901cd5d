/**
 * Activation ranges for choosing scales: measured on calibration inputs, or, without any,
 * derived from the weights as worst-case float bounds over the input range (much looser).
 */
import { type FloatModel, runFloat } from '../float.js';

/** The largest |value| each layer output reaches, per channel, for every layer of the float model. */
export type LayerRanges = Float64Array[];

export function calibrationRanges(model: FloatModel, inputs: readonly ArrayLike<number>[]): LayerRanges {
  const ranges: LayerRanges = [];
  for (const input of inputs) {
    runFloat(model, input).layerOutputs.forEach((output, l) => {
      const range = (ranges[l] ??= new Float64Array(output.length));
      for (let j = 0; j < output.length; j++) range[j] = Math.max(range[j], Math.abs(output[j]));
    });
  }
  return ranges;
}

/** Worst-case |value| per channel over all inputs in [min, max], by float interval arithmetic. */
export function weightDerivedRanges(model: FloatModel, inputMin: number, inputMax: number): LayerRanges {
  const n = model.inputShape.reduce((a, b) => a * b, 1);
  let lo = new Float64Array(n).fill(inputMin);
  let hi = new Float64Array(n).fill(inputMax);
  const ranges: LayerRanges = [];
  for (const layer of model.layers) {
    if (layer.kind === 'dense') {
      const nextLo = Float64Array.from(layer.bias);
      const nextHi = Float64Array.from(layer.bias);
      for (let i = 0; i < layer.inputSize; i++) {
        for (let j = 0; j < layer.units; j++) {
          const w = layer.kernel[i * layer.units + j];
          nextLo[j] += Math.min(w * lo[i], w * hi[i]);
          nextHi[j] += Math.max(w * lo[i], w * hi[i]);
        }
      }
      if (layer.activation === 'relu') {
        for (let j = 0; j < layer.units; j++) {
          nextLo[j] = Math.max(0, nextLo[j]);
          nextHi[j] = Math.max(0, nextHi[j]);
        }
      }
      lo = nextLo;
      hi = nextHi;
    }
    ranges.push(lo.map((l, j) => Math.max(Math.abs(l), Math.abs(hi[j]))));
  }
  return ranges;
}
