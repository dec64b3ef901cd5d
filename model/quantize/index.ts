/**
 * Float graph → QModel.
 *
 * Scheme: symmetric, zero-point-free integers. Each activation channel gets a scale from its
 * measured range (per channel: it is free, the next layer's weights absorb it). Each dense output
 * channel j picks a weight scale s_acc[j] = s_out[j] / 2^k[j], so requantizing its accumulator to
 * the activation scale is an exact power-of-two shift (cheap in a circuit: it shares the ReLU's bit
 * decomposition), while the weights still use nearly all of their bits. The last layer keeps one
 * common scale for all its outputs, so an argmax over them compares like with like, and is not
 * rescaled at all: logits keep their full precision at no constraint cost.
 */
import { ModelError } from '../../core/errors.js';
import { analyzeBounds } from '../bounds.js';
import type { DenseLayer, FloatLayer, FloatModel } from '../float.js';
import { type QInput, type QModel, type QOp, QMODEL_FORMAT } from '../ir.js';
import { type LayerRanges, calibrationRanges, weightDerivedRanges } from './ranges.js';

export interface QuantizeOptions {
  /** Weight width in bits, signed (default 8). */
  weightBits?: number;
  /** Target activation width in bits (default 8); activations are not clipped, so this sets resolution. */
  activationBits?: number;
  /** Input width in bits (default 8). */
  inputBits?: number;
  /** The float range of input values (default [0, 1]). */
  inputRange?: [number, number];
  /** Float inputs to measure activation ranges on; without them, worst-case ranges from the weights. */
  calibration?: readonly ArrayLike<number>[];
}

export interface QuantizeResult {
  model: QModel;
  warnings: string[];
}

interface LayerContext {
  index: number;
  /** Scale of each element of the layer's input. */
  inScales: number[];
  /** Measured or derived |output| per channel. */
  range: Float64Array;
  /** Whether this is the last layer that computes anything (its output is the logits). */
  isFinal: boolean;
  weightMax: number;
  activationMax: { unsigned: number; signed: number };
}

interface LayerQuantization {
  ops: QOp[];
  outScales: number[];
}

type LayerQuantizer<K extends FloatLayer['kind']> = (layer: Extract<FloatLayer, { kind: K }>, ctx: LayerContext) => LayerQuantization;

function quantizeInputSpec(model: FloatModel, bits: number, [lo, hi]: [number, number]): QInput {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new ModelError('QUANTIZATION', `input range [${lo}, ${hi}] must be two finite numbers, low < high`);
  }
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new ModelError('QUANTIZATION', `input bits must be 2..16, found ${bits}`);
  const signed = lo < 0;
  const scale = signed ? Math.max(-lo, hi) / (2 ** (bits - 1) - 1) : hi / (2 ** bits - 1);
  return { shape: [...model.inputShape], bits, signed, scale };
}

/** Largest |W[i][j] * inScale[i]| over inputs i, per output j. */
function weightMagnitudes(layer: DenseLayer, inScales: number[]): number[] {
  const m = new Array<number>(layer.units).fill(0);
  for (let i = 0; i < layer.inputSize; i++) {
    for (let j = 0; j < layer.units; j++) {
      m[j] = Math.max(m[j], Math.abs(layer.kernel[i * layer.units + j] * inScales[i]));
    }
  }
  return m;
}

function denseOp(layer: DenseLayer, inScales: number[], accScales: number[]): QOp {
  const weights = accScales.map((s, j) => {
    const row = new Array<number>(layer.inputSize);
    for (let i = 0; i < layer.inputSize; i++) row[i] = Math.round((layer.kernel[i * layer.units + j] * inScales[i]) / s) || 0;
    return row;
  });
  const bias = accScales.map((s, j) => Math.round(layer.bias[j] / s) || 0);
  return { kind: 'dense', name: layer.name, inputSize: layer.inputSize, outputSize: layer.units, weights, bias, scale: accScales };
}

const quantizers: { [K in FloatLayer['kind']]: LayerQuantizer<K> } = {
  reshape: (_layer, ctx) => ({ ops: [], outScales: ctx.inScales }),

  dense(layer, ctx) {
    if (layer.inputSize !== ctx.inScales.length) {
      throw new ModelError('MODEL_INVALID', `expects ${layer.inputSize} inputs, its input has ${ctx.inScales.length}`, {
        name: layer.name,
        index: ctx.index,
      });
    }
    const relu = layer.activation === 'relu';
    const m = weightMagnitudes(layer, ctx.inScales);
    if (ctx.isFinal) {
      const common = Math.max(...m) / ctx.weightMax || 1;
      const accScales = m.map(() => common);
      const ops: QOp[] = [denseOp(layer, ctx.inScales, accScales)];
      if (relu) ops.push({ kind: 'rescale', name: `${layer.name}/relu`, shift: accScales.map(() => 0), relu: true });
      return { ops, outScales: accScales };
    }
    const levels = relu ? ctx.activationMax.unsigned : ctx.activationMax.signed;
    const layerMax = Math.max(...ctx.range);
    const shifts: number[] = [];
    const accScales = m.map((mj, j) => {
      const target = (ctx.range[j] || layerMax || 1) / levels;
      const k = mj === 0 ? 0 : Math.floor(Math.log2((target * ctx.weightMax) / mj));
      shifts.push(Math.max(0, k));
      // k < 0: the weights need a finer scale than the activation target; keep weight precision.
      return k >= 0 ? target / 2 ** k : mj / ctx.weightMax;
    });
    const ops: QOp[] = [denseOp(layer, ctx.inScales, accScales)];
    if (relu || shifts.some((s) => s > 0)) ops.push({ kind: 'rescale', name: `${layer.name}/rescale`, shift: shifts, relu });
    return { ops, outScales: accScales.map((s, j) => s * 2 ** shifts[j]) };
  },
};

export function quantizeModel(model: FloatModel, options: QuantizeOptions = {}): QuantizeResult {
  const weightBits = options.weightBits ?? 8;
  const activationBits = options.activationBits ?? 8;
  for (const [what, bits] of [['weight', weightBits], ['activation', activationBits]] as const) {
    if (!Number.isInteger(bits) || bits < 2 || bits > 24) throw new ModelError('QUANTIZATION', `${what} bits must be 2..24, found ${bits}`);
  }
  const inputRange = options.inputRange ?? [0, 1];
  const input = quantizeInputSpec(model, options.inputBits ?? 8, inputRange);
  const warnings: string[] = [];
  const calibration = options.calibration ?? [];
  let ranges: LayerRanges;
  if (calibration.length > 0) {
    ranges = calibrationRanges(model, calibration);
  } else {
    ranges = weightDerivedRanges(model, inputRange[0], inputRange[1]);
    warnings.push('no calibration data: activation scales come from worst-case weight bounds, which costs accuracy; pass calibration inputs');
  }

  const finalIndex = model.layers.map((l) => l.kind).lastIndexOf('dense');
  if (finalIndex < 0) throw new ModelError('MODEL_UNSUPPORTED', 'the model has no Dense layer: nothing to prove');
  const ops: QOp[] = [];
  let scales = new Array<number>(model.inputShape.reduce((a, b) => a * b, 1)).fill(input.scale);
  model.layers.forEach((layer, index) => {
    const ctx: LayerContext = {
      index,
      inScales: scales,
      range: ranges[index],
      isFinal: index === finalIndex,
      weightMax: 2 ** (weightBits - 1) - 1,
      activationMax: { unsigned: 2 ** activationBits - 1, signed: 2 ** (activationBits - 1) - 1 },
    };
    const result = (quantizers[layer.kind] as LayerQuantizer<FloatLayer['kind']>)(layer, ctx);
    ops.push(...result.ops);
    scales = result.outScales;
  });
  if (scales.length >= 2) ops.push({ kind: 'argmax', name: 'argmax' });

  const qmodel: QModel = {
    format: QMODEL_FORMAT,
    name: model.name,
    input,
    ops,
    ...(model.labels ? { labels: model.labels } : {}),
    quantization: { weightBits, activationBits, ranges: calibration.length > 0 ? 'calibration' : 'weights', calibrationSamples: calibration.length },
  };
  analyzeBounds(qmodel); // refuses models whose integers could outgrow exact arithmetic
  return { model: qmodel, warnings };
}
