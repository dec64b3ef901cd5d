/**
 * The float graph: a trained model as plain data, independent of TF.js. The loader (model/load)
 * produces it; the quantizer consumes it. `runFloat` evaluates it in float64, which is what
 * calibration and fidelity measurements use; tests hold it to TF.js's own predictions.
 */

export type Activation = 'linear' | 'relu' | 'softmax';

export interface DenseLayer {
  kind: 'dense';
  name: string;
  inputSize: number;
  units: number;
  /** Keras layout: kernel[i * units + j] is the weight from input i to unit j. */
  kernel: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

/** Flatten and other layers that only reshape a row-major tensor (Dropout at inference too). */
export interface ReshapeLayer {
  kind: 'reshape';
  name: string;
  /** The Keras class it came from, for messages. */
  className: string;
  outputShape: number[];
}

export type FloatLayer = DenseLayer | ReshapeLayer;

export interface FloatModel {
  name: string;
  /** Shape of one input, without the batch dimension. */
  inputShape: number[];
  layers: FloatLayer[];
  /** Class names, when the model comes with them. */
  labels?: string[];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface FloatTrace {
  /** The output of every layer, after its activation (softmax excepted: see logits). */
  layerOutputs: Float64Array[];
  /** The final layer's values before a softmax: what the circuit's logits approximate. */
  logits: Float64Array;
}

/** Evaluate the float graph on one flat input. A final softmax is left out: it does not change the argmax. */
export function runFloat(model: FloatModel, input: ArrayLike<number>): FloatTrace {
  let x = Float64Array.from(input);
  const layerOutputs: Float64Array[] = [];
  for (const layer of model.layers) {
    if (layer.kind === 'dense') {
      const y = new Float64Array(layer.units);
      for (let j = 0; j < layer.units; j++) y[j] = layer.bias[j];
      for (let i = 0; i < layer.inputSize; i++) {
        const xi = x[i];
        if (xi === 0) continue;
        const row = i * layer.units;
        for (let j = 0; j < layer.units; j++) y[j] += xi * layer.kernel[row + j];
      }
      if (layer.activation === 'relu') for (let j = 0; j < y.length; j++) y[j] = Math.max(0, y[j]);
      x = y;
    }
    layerOutputs.push(x);
  }
  return { layerOutputs, logits: x };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
