/**
 * Where a quantized model loses its accuracy (issue 19): on Fashion-MNIST test images, per float
 * layer, the relative error of the integer reference's value against the float model's (RMS of
 * the difference over RMS of the float value), and what rounding that one tensor alone to its
 * quantized scale costs the float model in top-1 accuracy (every other tensor left in float).
 * Not a test: a diagnosis, run by hand.
 *
 *   node dist/bench/quantization-errors.js MODEL [--samples 300] [--bits 8] [--wide-bits 16] [--offset 0] [--full] [--no-ablation]
 *
 * MODEL is a model file or folder with calibration.json beside it; --full: also the float and
 * quantized accuracy on the whole test set (no per-layer figures).
 */
import * as path from 'node:path';
import { type FloatModel, argmax, layerInputs, runLayer, walkLayers } from '../model/float.js';
import { type QModel, opScales, quantizeInput } from '../model/ir.js';
import { loadDataset } from '../model/data/datasets.js';
import { loadFashionMnist, toModelInput } from '../model/data/fashion-mnist.js';
import { loadModel } from '../model/load/index.js';
import { DEFAULT_WIDE_BITS, type QuantizeResult, quantizeModel } from '../model/quantize/index.js';
import { runReference } from '../model/reference.js';
import { layerOps } from '../model/quantize/fidelity.js';
import { planCircuit, totalCost } from '../circuits/plan.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

/** The float model, each layer in `rounded` rounded to its scales after it runs. */
function runRounded(float: FloatModel, input: ArrayLike<number>, rounded: Map<number, number[]>): Float64Array {
  const outputs = walkLayers<Float64Array>(float, Float64Array.from(input), (layer, inputs, k) => {
    const y = runLayer(layer, inputs);
    const scales = rounded.get(k);
    if (scales) for (let j = 0; j < y.length; j++) y[j] = Math.round(y[j]! / scales[j]!) * scales[j]!;
    return y;
  });
  return outputs[outputs.length - 1]!;
}

function accuracy(inputs: Float32Array[], labels: Uint8Array, predict: (x: Float32Array) => number): number {
  let right = 0;
  inputs.forEach((x, k) => (right += predict(x) === labels[k] ? 1 : 0));
  return right / inputs.length;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || file.startsWith('--')) throw new Error('usage: quantization-errors MODEL [--samples N] [--bits B] [--wide-bits W] [--offset K] [--full]');
  const loaded = await loadModel(file);
  const float = loaded.float;
  const calibration = await loadDataset(path.join(path.dirname(loaded.source.modelJson), 'calibration.json'), float.inputShape, { split: 'train', limit: 256 });
  const started = performance.now();
  const { model, layerValues } = quantizeModel(float, { calibration: calibration.inputs, inputRange: [0, 1], activationBits: option('bits', 8), wideBits: option('wide-bits', DEFAULT_WIDE_BITS) });
  console.log(`quantized in ${((performance.now() - started) / 1000).toFixed(1)} s: ${model.ops.length} ops, ${totalCost(planCircuit(model))} constraints (the plan)`);
  const test = await loadFashionMnist('test');
  const full = process.argv.includes('--full');
  const offset = full ? 0 : option('offset', 0);
  const count = full ? test.count : Math.min(option('samples', 300), test.count - offset);
  const inputs = Array.from({ length: count }, (_, k) => toModelInput(test.images, offset + k, 28));
  const labels = test.labels.subarray(offset, offset + count);
  const quantized = (x: Float32Array) => {
    const trace = runReference(model, quantizeInput(Array.from(x), model.input));
    return trace.label ?? argmax(trace.logits);
  };
  const floatAccuracy = accuracy(inputs, labels, (x) => argmax(runRounded(float, x, new Map())));
  const quantizedAccuracy = accuracy(inputs, labels, quantized);
  console.log(`${count} test images from ${offset}: float ${(100 * floatAccuracy).toFixed(2)}%, quantized ${(100 * quantizedAccuracy).toFixed(2)}%`);
  if (full) return;
  report(float, model, layerValues, inputs, labels, floatAccuracy);
}

/** Per layer: relative error of the integer trace, and the accuracy lost by rounding that layer alone. */
function report(float: FloatModel, model: QModel, layerValues: QuantizeResult['layerValues'], inputs: Float32Array[], labels: Uint8Array, floatAccuracy: number): void {
  const scales = opScales(model);
  const pairs = layerOps(float, model);
  const squares = pairs.map(() => ({ error: 0, local: 0, value: 0 }));
  const magnitudes = pairs.map((): number[] => []);
  for (const x of inputs) {
    const trace = walkLayers<Float64Array>(float, Float64Array.from(x), (layer, ins) => runLayer(layer, ins));
    const reference = runReference(model, quantizeInput(Array.from(x), model.input));
    // Each float layer's value as the integers hold it, dequantized.
    const held = layerValues.map(({ at, scales: s }) => Float64Array.from(reference.values[at]!, (v, j) => v * s[j]!));
    pairs.forEach(({ layer, op }, p) => {
      // The float layer on the integers' own inputs: the error this op adds (its weights, its arithmetic, its rounding).
      const local = runLayer(float.layers[layer]!, layerInputs(float, layer).map((i) => (i < 0 ? Float64Array.from(x) : held[i]!)));
      reference.values[op]!.forEach((v, j) => {
        const expected = trace[layer]![j]!;
        squares[p]!.error += (v * scales[op]![j]! - expected) ** 2;
        squares[p]!.local += (held[layer]![j]! - local[j]!) ** 2;
        squares[p]!.value += expected ** 2;
        if (j % 7 === 0) magnitudes[p]!.push(Math.abs(expected));
      });
    });
  }
  // How much range the maximum spends on rare values: max |x| over the 99.9th percentile of |x| (a sample of the values).
  const spread = (values: number[]) => {
    values.sort((a, b) => a - b);
    return values[values.length - 1]! / (values[Math.floor(values.length * 0.999)] || 1);
  };
  const every = new Map(pairs.map(({ layer, op }) => [layer, scales[op]!]));
  const ablate = !process.argv.includes('--no-ablation');
  const allRounded = accuracy(inputs, labels, (x) => argmax(runRounded(float, x, every)));
  console.log(`every layer rounded to its scale (float arithmetic otherwise): ${(100 * allRounded).toFixed(2)}%`);
  console.log('layer | op | kind | scale | relative error of the integer trace | of the op alone | max / p99.9 of |float value| | top-1 with this layer alone rounded (points lost) | every layer but this one rounded (points gained)');
  pairs.forEach(({ layer, op }, p) => {
    const relative = Math.sqrt(squares[p]!.error / squares[p]!.value);
    const local = Math.sqrt(squares[p]!.local / squares[p]!.value);
    const others = new Map(every);
    others.delete(layer);
    const [alone, allBut] = ablate ? [accuracy(inputs, labels, (x) => argmax(runRounded(float, x, new Map([[layer, scales[op]!]])))), accuracy(inputs, labels, (x) => argmax(runRounded(float, x, others)))] : [NaN, NaN];
    const s = scales[op]!;
    const scale = Math.min(...s) === Math.max(...s) ? s[0]!.toPrecision(3) : `${Math.min(...s).toPrecision(3)}..${Math.max(...s).toPrecision(3)}`;
    console.log(`${float.layers[layer]!.name} | ${op} | ${model.ops[op]!.kind} | ${scale} | ${relative.toPrecision(3)} | ${local.toPrecision(3)} | ${spread(magnitudes[p]!).toFixed(2)} | ${(100 * alone).toFixed(2)}% (${(100 * (floatAccuracy - alone)).toFixed(2)}) | ${(100 * allBut).toFixed(2)}% (${(100 * (allBut - allRounded)).toFixed(2)})`);
  });
}

await main();
