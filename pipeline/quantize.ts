/**
 * `zkinfer quantize`: a TF.js or ONNX model → qmodel.json in an artifacts folder. Scales come from
 * calibration data (or, without any, from the weights, with a warning); activation bit widths from
 * the user's budget and target; then a static overflow analysis shows every range check holds, and
 * a fidelity report says how close the quantized model stays to the float one: per layer on the
 * calibration data, overall on held-out data.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { analyzeOverflow, type OverflowReport } from '../circuits/overflow.js';
import { planCircuit, totalCost } from '../circuits/plan.js';
import { ZkinferError } from '../core/errors.js';
import { exists, writeJsonAtomic } from '../core/files.js';
import type { OnProgress } from '../core/progress.js';
import { type Dataset, isIdxFolder, loadDataset } from '../model/data/datasets.js';
import { type QModel, opScales } from '../model/ir.js';
import { loadModel } from '../model/load/index.js';
import type { OnnxLoadOptions } from '../model/load/onnx/index.js';
import { type Fidelity, measureFidelity } from '../model/quantize/fidelity.js';
import { DEFAULT_WIDE_BITS, quantizeModel } from '../model/quantize/index.js';
import { type BitSearchStep, type BitTarget, chooseActivationBits } from '../model/quantize/search.js';
import { FILES, MANIFEST_FORMAT, type Manifest, readManifest, recordStage } from './manifest.js';
import { maxOf, minOf } from '../core/numbers.js';

export interface QuantizeStepOptions {
  /** model.json or the folder holding it (TF.js), or a model.onnx file. */
  model: string;
  /** For an ONNX model: its input shape when the file leaves dimensions dynamic, the output to prove when it has several. */
  onnx?: OnnxLoadOptions;
  /** The artifacts folder to write. */
  out: string;
  /** Calibration data (see model/data/datasets.ts); default: calibration.json beside the model, if any. */
  calibration?: string;
  /** Skip calibration even when the model ships a calibration.json. */
  noCalibration?: boolean;
  /** Held-out data for the overall fidelity figures; an IDX calibration folder's test split by default. */
  holdout?: string;
  /** How many calibration / held-out samples to take from larger sets (defaults 256 and 1000). */
  calibrationSamples?: number;
  holdoutSamples?: number;
  inputRange?: [number, number];
  inputBits?: number;
  weightBits?: number;
  /** The wide width (model/quantize QuantizeOptions.wideBits). */
  wideBits?: number;
  /** Activation bits: one width for every layer, or a [low, high] budget searched per layer for `target`. */
  bits?: number | [number, number];
  /** What the search optimizes within the budget (default 'accuracy'). */
  target?: BitTarget;
  /** Largest loss against the float model the 'constraints' target accepts (default 0.005). */
  tolerance?: number;
  /** probabilities: the circuit also computes the softmax of the logits, to be compiled with --output probabilities (model/softmax.ts). */
  output?: 'logits' | 'probabilities';
  onProgress?: OnProgress;
}

/** One op of the quantized model: its resolution, its widths, and how far it is from the float model. */
export interface LayerReport {
  index: number;
  name: string;
  kind: string;
  /** Smallest and largest scale of its outputs (float value of one integer unit). */
  scale: [number, number];
  /** Bits of its largest |value|, and of its widest range check (0: none). */
  valueBits: number;
  checkBits: number;
  /** On the calibration data, when the op's output is a float layer's output. */
  worstError?: number;
  meanError?: number;
}

export interface QuantizeStepResult {
  dir: string;
  model: QModel;
  layers: LayerReport[];
  warnings: string[];
  calibration?: { source: string; samples: number };
  /** Per layer and overall, on the calibration data. */
  fidelity?: Fidelity;
  /** Overall, on held-out data. */
  holdout?: { source: string; fidelity: Fidelity };
  overflow: OverflowReport;
  constraints: number;
  /** The bit-width search, when a budget was searched. */
  search?: { target: BitTarget; bits: number[]; steps: BitSearchStep[] };
}

const constraintsOf = (model: QModel) => totalCost(planCircuit(model));

export async function quantizeStep(options: QuantizeStepOptions): Promise<QuantizeStepResult> {
  const dir = path.resolve(options.out);
  const progress = (message: string) => options.onProgress?.({ step: 'quantize', message });
  progress('loading the model');
  const loaded = await loadModel(options.model, options.onnx);
  try {
    const shape = loaded.float.inputShape;
    const bundled = path.join(path.dirname(loaded.source.modelJson), 'calibration.json');
    const calibrationSource = options.noCalibration ? undefined : (options.calibration ?? ((await exists(bundled)) ? bundled : undefined));
    const calibration: Dataset | undefined = calibrationSource ? await loadDataset(calibrationSource, shape, { split: 'train', limit: options.calibrationSamples ?? 256 }) : undefined;
    const holdoutSource = options.holdout ?? (calibrationSource && (await isIdxFolder(calibrationSource)) ? calibrationSource : undefined);
    const holdout = holdoutSource ? await loadDataset(holdoutSource, shape, { split: 'test', limit: options.holdoutSamples ?? 1000 }) : undefined;

    // The range the user gave, else the model's metadata's, else the one the calibration data's format defines.
    const givenRange = options.inputRange ?? loaded.metadata.inputRange ?? calibration?.inputRange;
    const base = {
      calibration: calibration?.inputs ?? [],
      inputRange: givenRange ?? [0, 1],
      ...(options.inputBits !== undefined ? { inputBits: options.inputBits } : {}),
      ...(options.weightBits !== undefined ? { weightBits: options.weightBits } : {}),
      ...(options.wideBits !== undefined ? { wideBits: options.wideBits } : {}),
      ...(options.output !== undefined ? { output: options.output } : {}),
    };
    const budget = options.bits ?? 8;
    let model: QModel;
    let warnings: string[];
    let search: QuantizeStepResult['search'];
    if (typeof budget === 'number') {
      ({ model, warnings } = quantizeModel(loaded.float, { ...base, activationBits: budget }));
    } else {
      if (!calibration) throw new ZkinferError('USAGE', 'a bit budget (--bits low-high) is searched on calibration data: pass --calibrate');
      progress(`searching activation widths ${budget[0]}..${budget[1]} for ${options.target ?? 'accuracy'}`);
      const found = chooseActivationBits(loaded.float, base, holdout ?? calibration, {
        range: budget,
        target: options.target ?? 'accuracy',
        ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
        constraintsOf,
      });
      model = found.model;
      warnings = [];
      search = { target: options.target ?? 'accuracy', bits: found.bits, steps: found.steps };
    }
    warnings.push(...(loaded.warnings ?? []));
    if (!givenRange) warnings.push('input range not given (--input-range), nor in metadata.json, nor defined by the calibration data: assuming [0, 1]');

    progress('analysing overflow and measuring fidelity');
    const plan = planCircuit(model);
    const overflow = analyzeOverflow(model, plan);
    const fidelity = calibration ? measureFidelity(loaded.float, model, calibration) : undefined;
    const held = holdout ? { source: holdout.source, fidelity: measureFidelity(loaded.float, model, holdout) } : undefined;

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
    await recordStage(
      dir,
      manifest,
      'quantize',
      { inputs: [], outputs: [FILES.qmodel] },
      {
        ...model.quantization,
        wideBits: options.wideBits ?? DEFAULT_WIDE_BITS,
        inputBits: model.input.bits,
        inputScale: model.input.scale,
        inputRange: base.inputRange,
        calibration: calibration?.source ?? null,
        // Where the data is, so `zkinfer report` can measure on it again.
        calibrationPath: calibrationSource ? path.resolve(calibrationSource) : null,
        holdoutPath: holdoutSource ? path.resolve(holdoutSource) : null,
        holdout: held?.source ?? null,
        target: search?.target ?? null,
        // How an ONNX model was loaded (input shape, output): `zkinfer report` loads it again the same way.
        onnx: options.onnx ?? null,
      },
      { tfjsBackend: loaded.backend, constraints: totalCost(plan), ...(fidelity ? { fidelity } : {}), ...(held ? { holdout: held } : {}), overflow },
    );
    const scales = opScales(model);
    const layers: LayerReport[] = overflow.layers.map((l) => {
      const error = fidelity?.layers.find((e) => e.op === l.index);
      return {
        index: l.index,
        name: l.name,
        kind: l.kind,
        scale: [minOf(scales[l.index]), maxOf(scales[l.index])],
        valueBits: l.valueBits,
        checkBits: l.checkBits,
        ...(error ? { worstError: error.worst, meanError: error.mean } : {}),
      };
    });
    return {
      dir,
      model,
      layers,
      warnings,
      ...(calibration ? { calibration: { source: calibration.source, samples: calibration.inputs.length } } : {}),
      ...(fidelity ? { fidelity } : {}),
      ...(held ? { holdout: held } : {}),
      overflow,
      constraints: totalCost(plan),
      ...(search ? { search } : {}),
    };
  } finally {
    loaded.dispose();
  }
}
