/**
 * Top-1 accuracy on the Fashion-MNIST test set, of the float model (TF.js itself, as users would
 * run it) and of the quantized model (the integer reference interpreter, which the circuit
 * reproduces exactly). Both see the same numbers: toModelInput's, flat, in row-major order.
 */
import { loadModel, quantizeInput, runReference, toModelInput, type OnProgress, type QModel } from '../index.js';
import type { FashionMnist, InputSize } from '../model/data/fashion-mnist.js';
import { argmax } from '../model/float.js';

export interface LabelledInputs {
  inputs: Float32Array[];
  labels: Uint8Array;
}

export function modelInputs(set: FashionMnist, size: InputSize, count = set.count): LabelledInputs {
  return {
    inputs: Array.from({ length: count }, (_, index) => toModelInput(set.images, index, size)),
    labels: set.labels.subarray(0, count),
  };
}

const BATCH = 1000;

/** Accuracy of the model (a TF.js folder or model.json, or a model.onnx run by model/float.ts), predicting in batches; also what ran it. */
export async function floatAccuracy(model: string, data: LabelledInputs, onProgress?: OnProgress): Promise<{ accuracy: number; backend: string }> {
  const loaded = await loadModel(model);
  try {
    let correct = 0;
    for (let start = 0; start < data.inputs.length; start += BATCH) {
      const predictions = await loaded.predict(data.inputs.slice(start, start + BATCH));
      predictions.forEach((p, k) => (correct += argmax(p) === data.labels[start + k] ? 1 : 0));
      onProgress?.({ step: 'float accuracy', message: `${loaded.backend} on the test set`, done: Math.min(start + BATCH, data.inputs.length), total: data.inputs.length });
    }
    return { accuracy: correct / data.inputs.length, backend: loaded.backend };
  } finally {
    loaded.dispose();
  }
}

/** The class the integer reference predicts for a float input. */
export function referenceLabel(model: QModel, input: ArrayLike<number>): number {
  const trace = runReference(model, quantizeInput(Array.from(input), model.input));
  return trace.label ?? argmax(trace.logits);
}

export function quantizedAccuracy(model: QModel, data: LabelledInputs, onProgress?: OnProgress): number {
  let correct = 0;
  data.inputs.forEach((input, k) => {
    if (referenceLabel(model, input) === data.labels[k]) correct++;
    if ((k + 1) % BATCH === 0) onProgress?.({ step: 'quantized accuracy', message: 'integer reference on the test set', done: k + 1, total: data.inputs.length });
  });
  return correct / data.inputs.length;
}
