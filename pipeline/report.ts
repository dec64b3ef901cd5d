/**
 * `zkinfer report`: the quantization fidelity of an artifacts folder as a self-contained HTML
 * page: accuracy (or, for a model with one output, the output's error) and constraints against
 * activation bit width (the model re-quantized at each width on the same calibration data), and
 * the current model's error per layer.
 */
import * as path from 'node:path';
import { planCircuit, totalCost } from '../circuits/plan.js';
import { ArtifactError, ZkinferError } from '../core/errors.js';
import { writeFileAtomic } from '../core/files.js';
import type { OnProgress } from '../core/progress.js';
import { loadDataset } from '../model/data/datasets.js';
import { loadModel } from '../model/load/index.js';
import type { OnnxLoadOptions } from '../model/load/onnx/index.js';
import { type ErrorSummary, type Fidelity, measureFidelity } from '../model/quantize/fidelity.js';
import { quantizeModel } from '../model/quantize/index.js';
import { openArtifacts, readQModel } from './artifacts.js';
import { renderReport } from './report-html.js';

export interface ReportOptions {
  /** Where to write the page (default: <dir>/report.html). */
  out?: string;
  /** Data to measure on (default: the held-out data, else the calibration data, quantize used). */
  data?: string;
  /** Activation widths to sweep (default [4, 10]). */
  bits?: [number, number];
  /** At most this many samples of the data (default 500). */
  samples?: number;
  onProgress?: OnProgress;
}

export interface SweepPoint {
  bits: number;
  constraints: number;
  /** Classifiers: agreement with the float model, and top-1 accuracy with labels. */
  agreement?: number;
  accuracy?: number;
  /** |quantized - float| of the outputs (float units): what a one-output model is judged by. */
  outputError: ErrorSummary;
}

export interface ReportData {
  model: string;
  generated: string;
  data: string;
  samples: number;
  constraints: number;
  fidelity: Fidelity;
  floatAccuracy?: number;
  sweep: SweepPoint[];
}

const setting = (settings: Record<string, unknown>, key: string) => (typeof settings[key] === 'string' ? (settings[key] as string) : undefined);

export async function buildReport(dir: string, options: ReportOptions = {}): Promise<ReportData> {
  const manifest = await openArtifacts(dir, ['quantize']);
  const settings = manifest.stages.quantize!.settings;
  const model = await readQModel(dir);
  const dataPath = options.data ?? setting(settings, 'holdoutPath') ?? setting(settings, 'calibrationPath');
  if (!dataPath) throw new ZkinferError('USAGE', `no data to measure on: quantize recorded none for ${dir}; pass --data`);
  const onnx = typeof settings.onnx === 'object' && settings.onnx !== null ? (settings.onnx as OnnxLoadOptions) : {};
  const loaded = await loadModel(manifest.model.source, onnx).catch((error: unknown) => {
    throw new ArtifactError('ARTIFACT_MISSING', `the float model ${manifest.model.source} that ${dir} was quantized from cannot be loaded`, manifest.model.source, { cause: error });
  });
  try {
    if (loaded.source.hash !== manifest.model.sourceHash) {
      throw new ArtifactError('ARTIFACT_STALE', `${manifest.model.source} has changed since ${dir} was quantized from it: run \`zkinfer quantize\` again`, manifest.model.source);
    }
    const shape = loaded.float.inputShape;
    const data = await loadDataset(dataPath, shape, { split: 'test', limit: options.samples ?? 500 });
    const calibrationPath = setting(settings, 'calibrationPath');
    const calibration = calibrationPath ? (await loadDataset(calibrationPath, shape, { split: 'train', limit: Number(settings.calibrationSamples) || 256 })).inputs : [];
    const base = {
      calibration,
      inputRange: (settings.inputRange as [number, number] | undefined) ?? [0, 1],
      inputBits: Number(settings.inputBits) || 8,
      weightBits: Number(settings.weightBits) || 8,
      ...(settings.wideBits !== undefined ? { wideBits: Number(settings.wideBits) } : {}),
    };
    const [low, high] = options.bits ?? [4, 10];
    const sweep: SweepPoint[] = [];
    for (let bits = low; bits <= high; bits++) {
      options.onProgress?.({ step: 'report', message: `activation width ${bits}`, done: bits - low, total: high - low + 1 });
      const { model: candidate } = quantizeModel(loaded.float, { ...base, activationBits: bits });
      const f = measureFidelity(loaded.float, candidate, data);
      sweep.push({
        bits,
        constraints: totalCost(planCircuit(candidate)),
        ...(f.agreement !== undefined ? { agreement: f.agreement } : {}),
        ...(f.quantizedAccuracy !== undefined ? { accuracy: f.quantizedAccuracy } : {}),
        outputError: f.outputError,
      });
    }
    const fidelity = measureFidelity(loaded.float, model, data);
    return {
      model: model.name,
      generated: new Date().toISOString(),
      data: data.source,
      samples: data.inputs.length,
      constraints: totalCost(planCircuit(model)),
      fidelity,
      ...(fidelity.floatAccuracy !== undefined ? { floatAccuracy: fidelity.floatAccuracy } : {}),
      sweep,
    };
  } finally {
    loaded.dispose();
  }
}

export async function reportStep(dir: string, options: ReportOptions = {}): Promise<{ file: string; data: ReportData }> {
  const data = await buildReport(dir, options);
  const file = path.resolve(options.out ?? path.join(dir, 'report.html'));
  await writeFileAtomic(file, renderReport(data));
  return { file, data };
}
