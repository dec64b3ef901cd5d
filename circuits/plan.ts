/**
 * The circuit plan: every bit width and offset the templates need, derived from the exact bounds
 * of model/bounds.ts, and what each op should cost in constraints (the cost model that
 * `zkinfer inspect` prints beside the measured counts).
 */
import { type Interval, activate, analyzeBounds, rescaleValue } from '../model/bounds.js';
import { poolWindow, windowPositions } from '../model/geometry.js';
import { type QModel, type QOp, type QOpKind, type RescaleActivation, inputRange, inputSize } from '../model/ir.js';

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

export type OpPlan =
  | { kind: 'dense' | 'conv2d' | 'avgPool' | 'pad' }
  | { kind: 'rescale'; elements: RequantizeParams[]; leak: { numerator: number; bits: number } }
  | { kind: 'maxPool'; pairs: MaxPairParams[][] }
  | { kind: 'argmax'; size: number; diffBits: number };

export interface CircuitPlan {
  input: InputPlan;
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
function signedBits(lo: number, hi: number): number {
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

type Planner<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, input: Interval) => OpPlan;

const linear = <K extends 'dense' | 'conv2d' | 'avgPool' | 'pad'>(kind: K): Planner<K> => () => ({ kind });

const planners: { [K in QOpKind]: Planner<K> } = {
  dense: linear('dense'),
  conv2d: linear('conv2d'),
  avgPool: linear('avgPool'),
  pad: linear('pad'),
  rescale: (op, input) => ({
    kind: 'rescale',
    elements: op.shift.map((shift, j) => planRequantize(input.lo[j], input.hi[j], shift, op.activation, j)),
    leak: op.activation.kind === 'leaky' ? { numerator: op.activation.numerator, bits: op.activation.bits } : { numerator: 0, bits: 0 },
  }),
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
    diffBits: Math.max(1, bitLength(Math.max(...input.hi) - Math.min(...input.lo))),
  }),
};

export function planCircuit(model: QModel): CircuitPlan {
  const bounds = analyzeBounds(model);
  const { min } = inputRange(model.input);
  const size = inputSize(model.input);
  const perElement = Math.floor(PACK_BITS / model.input.bits);
  const input: InputPlan = { size, bits: model.input.bits, min, perElement, hashed: 1 + Math.ceil(size / perElement) };
  const ops = model.ops.map((op, k) => (planners[op.kind] as Planner<QOpKind>)(op, bounds[k]));
  return { input, ops, bounds };
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

export function inputCost(plan: InputPlan): number {
  return plan.size * plan.bits + poseidonChainCost(plan.hashed);
}

/** One constraint per bit, one for the activation's product, and the clip's bits and product. */
export function requantizeCost(p: RequantizeParams): number {
  if (p.nq === 0) return 0;
  return p.shift + p.nq + (p.mode === 0 ? 0 : 1) + (p.clipNq > 0 ? p.clipNq + 1 : 0);
}

export function maxPairCost(p: MaxPairParams): number {
  return p.mode === 2 ? p.nq + 1 : 0;
}

export function opCost(plan: OpPlan): number {
  switch (plan.kind) {
    case 'rescale':
      return plan.elements.reduce((sum, p) => sum + requantizeCost(p), 0);
    case 'maxPool':
      return plan.pairs.flat().reduce((sum, p) => sum + maxPairCost(p), 0);
    case 'argmax':
      return plan.size * (plan.diffBits + 2);
    default:
      return 0;
  }
}

export function totalCost(plan: CircuitPlan): number {
  return inputCost(plan.input) + plan.ops.reduce((sum, op) => sum + opCost(op), 0);
}
