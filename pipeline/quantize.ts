/**
 * `zkinfer quantize`: a TF.js model → qmodel.json in an artifacts folder, with how faithful the
 * quantized model is to the float one on the calibration inputs.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { exists, parseJson, readRequired, writeJsonAtomic } from '../core/files.js';
import { InputError } from '../core/errors.js';
import type { OnProgress } from '../core/progress.js';
import { argmax, runFloat } from '../model/float.js';
import { opScales, logitsOpIndex, type QModel } from '../model/ir.js';
import { parseInputBatch, quantizeInput } from '../model/input.js';
import { loadTfjsModel } from '../model/load/tfjs.js';
import { quantizeModel } from '../model/quantize/index.js';
import { runReference } from '../model/reference.js';
import { FILES, MANIFEST_FORMAT, type Manifest, readManifest, recordStage } from './manifest.js';

export interface QuantizeStepOptions {
  /** model.json, or the folder holding it. */
  model: string;
  /** The artifacts folder to write. */
  out: string;
  /** A JSON file `{ "inputs": [...] }` of float inputs; default: calibration.json beside the model, if any. */
  calibration?: string;
  /** Skip calibration even when the model ships a calibration.json. */
  noCalibration?: boolean;
  inputRange?: [number, number];
  inputBits?: number;
  weightBits?: number;
  activationBits?: number;
  onProgress?: OnProgress;
}

export interface Fidelity {
  samples: number;
  /** Fraction of inputs where the quantized model predicts the float model's class. */
  agreement: number;
  /** Largest |dequantized logit - float logit| over inputs and classes. */
  maxLogitError: number;
}

export interface QuantizeStepResult {
  dir: string;
  model: QModel;
  warnings: string[];
  calibration?: { file: string; samples: number };
  fidelity?: Fidelity;
}

async function readCalibration(file: string, shape: readonly number[]): Promise<number[][]> {
  const bytes = await readRequired(file, 'calibration file');
  const json = parseJson(bytes.toString('utf8'), file, 'calibration file', (m, cause) => new InputError(m, { cause }));
  return parseInputBatch(json, shape, file);
}

/** Float vs integer on the same inputs: do they agree on the class, how far apart are the logits. */
export function measureFidelity(float: Parameters<typeof runFloat>[0], model: QModel, inputs: readonly number[][]): Fidelity {
  const scales = opScales(model)[logitsOpIndex(model)];
  let agree = 0;
  let maxLogitError = 0;
  for (const x of inputs) {
    const expected = runFloat(float, x).logits;
    const reference = runReference(model, quantizeInput(x, model.input));
    reference.logits.forEach((v, j) => (maxLogitError = Math.max(maxLogitError, Math.abs(v * scales[j] - expected[j]))));
    if (argmax(reference.logits) === argmax(expected)) agree++;
  }
  return { samples: inputs.length, agreement: agree / inputs.length, maxLogitError };
}

export async function quantizeStep(options: QuantizeStepOptions): Promise<QuantizeStepResult> {
  const dir = path.resolve(options.out);
  options.onProgress?.({ step: 'quantize', message: 'loading the model' });
  const loaded = await loadTfjsModel(options.model);
  try {
    const modelDir = path.dirname(loaded.source.modelJson);
    const bundled = path.join(modelDir, 'calibration.json');
    const calibrationFile = options.noCalibration ? undefined : (options.calibration ?? ((await exists(bundled)) ? bundled : undefined));
    const calibration = calibrationFile ? await readCalibration(calibrationFile, loaded.float.inputShape) : [];

    options.onProgress?.({ step: 'quantize', message: 'quantizing' });
    const { model, warnings } = quantizeModel(loaded.float, {
      calibration,
      inputRange: options.inputRange ?? loaded.metadata.inputRange ?? [0, 1],
      ...(options.inputBits !== undefined ? { inputBits: options.inputBits } : {}),
      ...(options.weightBits !== undefined ? { weightBits: options.weightBits } : {}),
      ...(options.activationBits !== undefined ? { activationBits: options.activationBits } : {}),
    });
    if (!options.inputRange && !loaded.metadata.inputRange) warnings.push('input range not given (--input-range) nor in metadata.json: assuming [0, 1]');

    // A folder for another model (or none yet) starts afresh; the same model keeps its later stages,
    // which stay valid exactly when qmodel.json comes out the same.
    let manifest: Manifest;
    try {
      manifest = await readManifest(dir);
      if (manifest.model.sourceHash !== loaded.source.hash) throw new Error('another model');
    } catch {
      manifest = { format: MANIFEST_FORMAT, model: { name: model.name, source: loaded.source.modelJson, sourceHash: loaded.source.hash }, stages: {}, deployments: [] };
    }
    await fs.mkdir(dir, { recursive: true });
    await writeJsonAtomic(path.join(dir, FILES.qmodel), model);
    const fidelity = calibration.length > 0 ? measureFidelity(loaded.float, model, calibration) : undefined;
    await recordStage(
      dir,
      manifest,
      'quantize',
      { inputs: [], outputs: [FILES.qmodel] },
      { ...model.quantization, inputBits: model.input.bits, inputScale: model.input.scale, calibration: calibrationFile ?? null },
      { tfjsBackend: loaded.backend, ...(fidelity ? { fidelity } : {}) },
    );
    return { dir, model, warnings, ...(calibrationFile ? { calibration: { file: calibrationFile, samples: calibration.length } } : {}), ...(fidelity ? { fidelity } : {}) };
  } finally {
    loaded.dispose();
  }
}
