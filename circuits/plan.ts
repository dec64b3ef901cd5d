/**
 * The circuit plan: every bit width and offset the templates need, derived from the exact bounds
 * of model/bounds.ts, and what each op should cost in constraints (the cost model that
 * `zkinfer inspect` prints beside the measured counts).
 */
import { ModelError } from '../core/errors.js';
import { type Interval, activate, analyzeBounds, anyWeightsBounds, rescaleValue } from '../model/bounds.js';
import { convTerms, poolWindow, windowPositions } from '../model/geometry.js';
import { type QModel, type QOp, type QOpKind, type RescaleActivation, hasArgmax, inputRange, inputSize, logitsOpIndex, opInputs, opSizes } from '../model/ir.js';
import { DEFAULT_VISIBILITY, type Visibility, bindsRecipient } from './visibility.js';
import { maxOf, minOf } from '../core/numbers.js';
import { type NormPlan, type SoftmaxPlan, type TablePlan, normCost, planNormOp, planSoftmaxOp, planTable, softmaxCost, tableActivationCost } from './table-plan.js';

/** Parameters of one Requantize instance (see circuits/templates/zkinfer.circom). */
export interface RequantizeParams {
  shift: number;
  /** 0: the result is the constant `offset`. */
  nq: number;
  offset: number;
  /** 0 linear, 1 relu, 2 leaky. */
  mode: 0 | 1 | 2;
  /** Width of the clip's decomposition; 0 when the clip can never act. */
  clipNq: number;
  clipMax: number;
}

/** One max(a, b) of a max-pool chain: mode 0 takes b, 1 takes a, 2 compares in nq bits. */
export interface MaxPairParams {
  nq: number;
  mode: 0 | 1 | 2;
}

export interface InputPlan {
  size: number;
  bits: number;
  min: number;
  /** Inputs packed into one field element before hashing. */
  perElement: number;
  /** Field elements hashed: the salt and the packed inputs. */
  hashed: number;
}

/** Values range-checked to `bits` signed bits and packed, perElement to a field element. */
export interface PackedValues {
  count: number;
  bits: number;
  perElement: number;
}

/**
 * params hashed: every weight (one width for all) and each layer's biases (a width of its own) are
 * private inputs, range-checked, packed and hashed together into the parameters' commitment.
 */
export interface ParamsPlan {
  weights: PackedValues;
  /** Per dense or convolution op, in order. */
  biases: (PackedValues & { op: number })[];
  /** Field elements hashed. */
  hashed: number;
}

/** Terms of each output of a dense or convolution op whose input is not a constant (params hashed: one product each). */
export type OpPlan =
  | { kind: 'dense' | 'conv2d'; products: number }
  | { kind: 'avgPool' | 'pad' | 'add' | 'concat' | 'transpose' }
  /** Elements whose two factors both vary: one multiplication constraint each (a constant factor makes a product linear, which circom --O2 eliminates). */
  | { kind: 'mul'; products: number }
  /** Terms (over every output) whose two factors both vary: one multiplication constraint each, as mul's. */
  | { kind: 'matmul'; products: number }
  /** leak: the leaky slope, one numerator or one per element (model/ir.ts's RescaleActivation). */
  | { kind: 'rescale'; elements: RequantizeParams[]; leak: { numerator: number | number[]; bits: number } }
  | TablePlan
  | SoftmaxPlan
  | NormPlan
  | { kind: 'maxPool'; pairs: MaxPairParams[][] }
  | { kind: 'argmax'; size: number; diffBits: number };

export interface CircuitPlan {
  visibility: Visibility;
  input: InputPlan;
  params?: ParamsPlan;
  /** output hashed: field elements hashed (the salt, the label when there is one, the logits). */
  outputHashed?: number;
  ops: OpPlan[];
  bounds: Interval[];
}

/** Bits to write any integer in [0, v]: 0 for v = 0. */
export function bitLength(v: number): number {
  let n = 0;
  while (v >= 2 ** n) n++;
  return n;
}

/** Bits of a signed decomposition holding [lo, hi] around 2^(nq-1), sign bit included. */
export function signedBits(lo: number, hi: number): number {
  return 1 + bitLength(Math.max(-lo, hi + 1) - 1);
}

/** Packing leaves headroom below the ~2^253.6 field modulus. */
const PACK_BITS = 248;

export function planRequantize(lo: number, hi: number, shift: number, activation: RescaleActivation, j = 0): RequantizeParams {
  const qlo = rescaleValue(lo, shift);
  const qhi = rescaleValue(hi, shift);
  const none = { clipNq: 0, clipMax: 0 };
  const constant = (value: number): RequantizeParams => ({ shift, nq: 0, offset: value, mode: 0, ...none });
  if (qlo === qhi || (activation.kind === 'relu' && qhi <= 0)) return constant(activate(qlo, activation, j));
  if (activation.kind === 'leaky') {
    const nq = signedBits(qlo, qhi);
    return { shift, nq, offset: 2 ** (nq - 1), mode: 2, ...none };
  }
  let params: RequantizeParams;
  if (activation.kind === 'linear' || qlo >= 0) params = { shift, nq: bitLength(qhi - qlo), offset: -qlo, mode: 0, ...none };
  else {
    const nq = signedBits(qlo, qhi);
    params = { shift, nq, offset: 2 ** (nq - 1), mode: 1, ...none };
  }
  const max = activation.kind === 'relu' ? activation.max?.[j] : undefined;
  if (max === undefined) return params;
  const [rlo, rhi] = [Math.max(0, qlo), Math.max(0, qhi)];
  if (rlo >= max) return constant(max);
  if (rhi <= max) return params;
  // A linear decomposition has no relu signal to clip: use the relu form (the sign bit is then known 1).
  const relu = params.mode === 0 ? { ...params, nq: signedBits(qlo, qhi), offset: 2 ** (signedBits(qlo, qhi) - 1), mode: 1 as const } : params;
  return { ...relu, clipNq: signedBits(rlo - max, rhi - max), clipMax: max };
}

/** The max(a, b) chain of one max-pool output, over the window's valid inputs in order. */
export function planMaxChain(values: readonly { lo: number; hi: number }[]): MaxPairParams[] {
  const pairs: MaxPairParams[] = [];
  let running = values[0];
  for (const next of values.slice(1)) {
    const [dlo, dhi] = [next.lo - running.hi, next.hi - running.lo];
    pairs.push(dlo >= 0 ? { nq: 0, mode: 1 } : dhi <= 0 ? { nq: 0, mode: 0 } : { nq: signedBits(dlo, dhi), mode: 2 });
    running = { lo: Math.max(running.lo, next.lo), hi: Math.max(running.hi, next.hi) };
  }
  return pairs;
}

type Planner<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, input: Interval, hashedParams: boolean, all: Interval[], index: number) => OpPlan;

const linear = <K extends 'avgPool' | 'pad' | 'add' | 'concat' | 'transpose'>(kind: K): Planner<K> => () => ({ kind });
const varies = (x: Interval, i: number) => i >= 0 && x.lo[i] !== x.hi[i];

const planners: { [K in QOpKind]: Planner<K> } = {
  dense: (op, x, hashed) => ({ kind: 'dense', products: hashed ? op.outputSize * x.lo.filter((_, i) => varies(x, i)).length : 0 }),
  conv2d(op, x, hashed) {
    let products = 0;
    const [oh, ow, oc] = op.outShape;
    if (hashed) for (let j = 0; j < oh * ow * oc; j++) products += convTerms(op, Math.floor(j / (ow * oc)), Math.floor(j / oc) % ow, j % oc).filter((i) => varies(x, i)).length;
    return { kind: 'conv2d', products };
  },
  avgPool: linear('avgPool'),
  pad: linear('pad'),
  add: linear('add'),
  concat: linear('concat'),
  mul: (_op, a, _hashed, [, b]) => ({ kind: 'mul', products: a.lo.filter((_, j) => varies(a, j) && varies(b, j)).length }),
  matmul(op, a, _hashed, [, b]) {
    let products = 0;
    for (let h = 0; h < op.batch; h++) {
      for (let t = 0; t < op.inner; t++) {
        // Term (h, i, j, t) multiplies a[h, i, t] by b[h, t, j]: count the varying pairs per (h, t).
        let rows = 0;
        let cols = 0;
        for (let i = 0; i < op.rows; i++) if (varies(a, (h * op.rows + i) * op.inner + t)) rows++;
        for (let j = 0; j < op.cols; j++) if (varies(b, (h * op.inner + t) * op.cols + j)) cols++;
        products += rows * cols;
      }
    }
    return { kind: 'matmul', products };
  },
  transpose: linear('transpose'),
  rescale: (op, input) => ({
    kind: 'rescale',
    elements: op.shift.map((shift, j) => planRequantize(input.lo[j], input.hi[j], shift, op.activation, j)),
    leak: op.activation.kind === 'leaky' ? { numerator: op.activation.numerator, bits: op.activation.bits } : { numerator: 0, bits: 0 },
  }),
  table: (op, input) => planTable(op, input),
  softmax: (op, input) => planSoftmaxOp(op, input),
  norm: (op, input, _hashed, _all, index) => planNormOp(op, input, { name: op.name, index }),
  maxPool(op, input) {
    const [oh, ow, channels] = op.outShape;
    const pairs: MaxPairParams[][] = [];
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const window = windowPositions(poolWindow(op), oy, ox).filter((p) => p >= 0);
        for (let c = 0; c < channels; c++) pairs.push(planMaxChain(window.map((p) => ({ lo: input.lo[p + c], hi: input.hi[p + c] }))));
      }
    }
    return { kind: 'maxPool', pairs };
  },
  argmax: (_op, input) => ({
    kind: 'argmax',
    size: input.lo.length,
    diffBits: Math.max(1, bitLength(maxOf(input.hi) - minOf(input.lo))),
  }),
};

const packed = (count: number, bits: number): PackedValues => ({ count, bits, perElement: Math.floor(PACK_BITS / bits) });
const elements = (p: PackedValues) => Math.ceil(p.count / p.perElement);

/** The parameters' widths (params hashed); the model's own weights and biases must fit them. */
function planParams(model: QModel, bounds: Interval[]): ParamsPlan {
  const bits = model.quantization.weightBits;
  const biases: ParamsPlan['biases'] = [];
  let weights = 0;
  model.ops.forEach((op, k) => {
    if (op.kind !== 'dense' && op.kind !== 'conv2d') return;
    const where = { name: op.name, index: k };
    const { biasBits } = anyWeightsBounds(op, bounds[opInputs(model, k)[0] + 1], bits, where);
    const fits = (v: number, b: number) => v >= -(2 ** (b - 1)) && v < 2 ** (b - 1);
    const flat = op.weights.flat();
    const bad = flat.findIndex((w) => !fits(w, bits));
    if (bad >= 0) throw new ModelError('QUANTIZATION', `weight ${bad} is ${flat[bad]}, outside the ${bits}-bit range the model declares`, where);
    const badBias = op.bias.findIndex((b) => !fits(b, biasBits));
    if (badBias >= 0) throw new ModelError('QUANTIZATION', `bias ${badBias} is ${op.bias[badBias]}, beyond the ${biasBits} bits that --params hashed allows at this layer (as far as any dot product reaches)`, where);
    weights += flat.length;
    biases.push({ op: k, ...packed(op.bias.length, biasBits) });
  });
  const weightsPacked = packed(weights, bits);
  return { weights: weightsPacked, biases, hashed: elements(weightsPacked) + biases.reduce((sum, b) => sum + elements(b), 0) };
}

export function planCircuit(model: QModel, visibility: Visibility = DEFAULT_VISIBILITY): CircuitPlan {
  const hashedParams = visibility.params === 'hashed';
  const bounds = analyzeBounds(model, hashedParams ? { anyWeightBits: model.quantization.weightBits } : {});
  const { min } = inputRange(model.input);
  const size = inputSize(model.input);
  const perElement = Math.floor(PACK_BITS / model.input.bits);
  const input: InputPlan = { size, bits: model.input.bits, min, perElement, hashed: visibility.input === 'hashed' ? 1 + Math.ceil(size / perElement) : 0 };
  const add = model.ops.findIndex((op) => op.kind === 'add');
  if (hashedParams && add >= 0) {
    throw new ModelError('MODEL_UNSUPPORTED', "--params hashed keeps weights private, but an add's weights (its scale alignment or constants) would be public constants of the circuit; compile with --params fixed", { name: model.ops[add].name, index: add });
  }
  const ops = model.ops.map((op, k) => {
    const inputs = opInputs(model, k).map((i) => bounds[i + 1]);
    return (planners[op.kind] as Planner<QOpKind>)(op, inputs[0], hashedParams, inputs, k);
  });
  const outputHashed = visibility.output === 'hashed' ? 1 + (hasArgmax(model) ? 1 : 0) + opSizes(model)[logitsOpIndex(model)] : undefined;
  return {
    visibility,
    input,
    ...(hashedParams ? { params: planParams(model, bounds) } : {}),
    ...(outputHashed !== undefined ? { outputHashed } : {}),
    ops,
    bounds,
  };
}

// ---------------------------------------------------------------------------------------------
// Cost model: what each part should cost in R1CS constraints after circom's --O2 simplification
// (linear combinations are free, so weights, sums and pooling averages cost nothing). One case
// costs more than modelled: when the logits are a linear map of fewer values than there are
// logits (say a last 1x1 convolution from 3 channels to 4, averaged), they obey linear relations
// of their own, and circom keeps each as a constraint.

/** Partial rounds of circomlib's Poseidon for t = 2..17 (the Poseidon paper's parameters for BN254). */
const POSEIDON_PARTIAL_ROUNDS = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/** Poseidon(n): 8 full rounds of t = n + 1 S-boxes and the partial rounds' one each, 3 constraints per x^5; the first S-box acts on a constant. */
export function poseidonCost(nInputs: number): number {
  const t = nInputs + 1;
  return 3 * (8 * t + POSEIDON_PARTIAL_ROUNDS[t - 2] - 1);
}

export function poseidonChainCost(m: number): number {
  let cost = poseidonCost(Math.min(m, 16));
  for (let used = Math.min(m, 16); used < m; used += 15) cost += poseidonCost(Math.min(m - used, 15) + 1);
  return cost;
}

/** The input's range checks, and its commitment when hashed. */
export function inputCost(plan: InputPlan): number {
  return plan.size * plan.bits + (plan.hashed > 0 ? poseidonChainCost(plan.hashed) : 0);
}

/** params hashed: the parameters' range checks and commitment (their products count with their ops). */
export function paramsCost(plan: ParamsPlan | undefined): number {
  if (!plan) return 0;
  return [plan.weights, ...plan.biases].reduce((sum, p) => sum + p.count * p.bits, 0) + poseidonChainCost(plan.hashed);
}

/** output hashed: the commitment to label and logits. */
export function outputCost(plan: CircuitPlan): number {
  return plan.outputHashed ? poseidonChainCost(plan.outputHashed) : 0;
}

/** recipient public: the one product that ties the recipient into the constraints (circuits/emit). */
export function recipientCost(plan: CircuitPlan): number {
  return bindsRecipient(plan.visibility) ? 1 : 0;
}

/** One constraint per bit, the sum check, one for the activation's product, and the clip's bits and product. */
export function requantizeCost(p: RequantizeParams): number {
  if (p.nq === 0) return 0;
  return p.shift + p.nq + 1 + (p.mode === 0 ? 0 : 1) + (p.clipNq > 0 ? p.clipNq + 1 : 0);
}

export function maxPairCost(p: MaxPairParams): number {
  return p.mode === 2 ? p.nq + 1 : 0;
}

export function opCost(plan: OpPlan): number {
  switch (plan.kind) {
    case 'rescale':
      return plan.elements.reduce((sum, p) => sum + requantizeCost(p), 0);
    case 'table':
      return plan.elements.reduce((sum, p) => sum + tableActivationCost(p), 0);
    case 'softmax':
      return softmaxCost(plan);
    case 'norm':
      return normCost(plan);
    case 'maxPool':
      return plan.pairs.flat().reduce((sum, p) => sum + maxPairCost(p), 0);
    case 'argmax':
      return plan.size * (plan.diffBits + 2);
    case 'dense':
    case 'conv2d':
    case 'mul':
    case 'matmul':
      return plan.products;
    default:
      return 0;
  }
}

export function totalCost(plan: CircuitPlan): number {
  return inputCost(plan.input) + paramsCost(plan.params) + outputCost(plan) + recipientCost(plan) + plan.ops.reduce((sum, op) => sum + opCost(op), 0);
}
