/**
 * The zoo models exported to ONNX by zoo/onnx-writer.ts in each exporter's style (TorchScript,
 * dynamo, tf2onnx, skl2onnx for the MLPs) and imported back: the float graph computes what TF.js's
 * does and what ONNX Runtime computes, and the quantized model is the TF.js one op for op, so the
 * circuit has the same constraints and the same accuracy.
 */
import { describe, expect, it } from 'vitest';
import { planCircuit, totalCost } from '../../circuits/plan.js';
import { modelInputs, quantizedAccuracy } from '../../bench/accuracy.js';
import { loadDataset } from '../../model/data/datasets.js';
import { loadFashionMnist } from '../../model/data/fashion-mnist.js';
import { runFloat } from '../../model/float.js';
import type { QModel } from '../../model/ir.js';
import { loadOnnxModel } from '../../model/load/onnx/index.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { ARCHITECTURES, isGraphArchitecture } from '../../zoo/architectures.js';
import { ONNX_STYLES, exportZooOnnx } from '../../zoo/onnx-writer.js';
import { compileModel } from '../helpers/circuits.js';
import { randomInputs, relativeError, runOnnxRuntime, writeOnnx } from '../helpers/onnx.js';

/** The ops without their names (the exporters name layers their own way). */
const unnamed = (model: QModel) => model.ops.map(({ name: _name, ...op }) => op);

const ACCURACY_SAMPLES = 300;

describe('zoo models through ONNX', async () => {
  const test = await loadFashionMnist('test');
  // Chains and graphs (residual Adds, Concats, tensors read twice) alike; not the large models,
  // which `zkinfer bench` runs (minutes each).
  for (const architecture of ARCHITECTURES.filter((a) => !a.large)) {
    it(`${architecture.name}: every exporter's style gives TF.js's float graph, ONNX Runtime's outputs, and the same quantized model`, async () => {
      const dir = `zoo/${architecture.name}`;
      const tfjs = await loadTfjsModel(dir);
      const calibration = (await loadDataset(`${dir}/calibration.json`, tfjs.float.inputShape, { limit: 256 })).inputs;
      const options = { calibration, inputRange: [0, 1] as [number, number] };
      const fromTfjs = quantizeModel(tfjs.float, options).model;
      const data = modelInputs(test, architecture.inputSize, ACCURACY_SAMPLES);
      const tfjsAccuracy = quantizedAccuracy(fromTfjs, data);
      const size = tfjs.float.inputShape.reduce((a, b) => a * b, 1);
      const inputs = randomInputs(5, 8, size);
      // skl2onnx writes scikit-learn's MLPs: chains of dense layers only.
      const styles = ONNX_STYLES.filter((s) => s !== 'skl2onnx' || (architecture.inputShape.length === 1 && !isGraphArchitecture(architecture)));
      for (const style of styles) {
        const file = await writeOnnx(exportZooOnnx(tfjs.float, style), `${architecture.name}-${style}.onnx`);
        const onnx = await loadOnnxModel(file);
        // The same numbers as TF.js's float graph, bit for bit: the weights were converted, not recomputed.
        for (const x of inputs) expect(Array.from(runFloat(onnx.float, x).logits)).toEqual(Array.from(runFloat(tfjs.float, x).logits));
        const shape = architecture.inputShape.length === 1 ? [1, size] : style === 'tf2onnx' ? [1, ...architecture.inputShape] : [1, 1, architecture.inputSize, architecture.inputSize];
        const reference = await runOnnxRuntime(file, shape, inputs);
        const ours = await onnx.predict(inputs);
        reference.forEach((r, k) => expect(relativeError(ours[k], r), `${style}, input ${k}`).toBeLessThan(1e-5));
        const fromOnnx = quantizeModel(onnx.float, options).model;
        expect(unnamed(fromOnnx)).toEqual(unnamed(fromTfjs));
        expect(totalCost(planCircuit(fromOnnx))).toBe(totalCost(planCircuit(fromTfjs)));
        expect(Math.abs(quantizedAccuracy(fromOnnx, data) - tfjsAccuracy)).toBeLessThanOrEqual(0.001);
      }
      tfjs.dispose();
    }, 300_000);
  }

  // Compiled, not proved: circom's R1CS of a model from ONNX has the constraints the TF.js model is
  // planned at (the plan is held to compiled circuits layer by layer elsewhere). The models whose
  // compile takes seconds, a dense and a convolutional one; for the others (half a minute to two
  // minutes of circom each, too slow for the suite) the test above shows the quantized ops equal
  // to the TF.js model's, which fixes the circuit (the graph CNNs as well: their circom compiles
  // took four minutes of the suite; the graph ops' costs are held to compiled circuits in
  // test/circuits/model-circuit.test.ts).
  for (const architecture of ARCHITECTURES.filter((a) => ['mlp_196_25_10', 'cnn_14_5_11_80_10'].includes(a.name))) {
    it(`${architecture.name} from ONNX compiles to the constraints of the TF.js model`, async () => {
      const dir = `zoo/${architecture.name}`;
      const tfjs = await loadTfjsModel(dir);
      const calibration = (await loadDataset(`${dir}/calibration.json`, tfjs.float.inputShape, { limit: 256 })).inputs;
      const onnx = await loadOnnxModel(await writeOnnx(exportZooOnnx(tfjs.float, 'torchscript')));
      const circuit = await compileModel(quantizeModel(onnx.float, { calibration }).model);
      expect(circuit.r1cs.nConstraints).toBe(totalCost(planCircuit(quantizeModel(tfjs.float, { calibration }).model)));
      tfjs.dispose();
    }, 1_800_000);
  }
});
