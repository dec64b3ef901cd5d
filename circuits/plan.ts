/**
 * The circuit plan: every bit width and offset the templates need, derived from the exact bounds
 * of model/bounds.ts, and what each op should cost in constraints (the cost model that
 * `zkinfer inspect` prints beside the measured counts).
 */
import { type Interval, analyzeBounds, rescaleValue } from '../model/bounds.js';
import { type QModel, type QOp, type QOpKind, inputRange, inputSize } from '../model/ir.js';

/** Parameters of one Requantize instance (see circuits/templates/zkinfer.circom). */
export interface RequantizeParams {
  shift: number;
  nq: number;
  offset: number;
  relu: 0 | 1;
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
  | { kind: 'dense' }
  | { kind: 'rescale'; elements: RequantizeParams[] }
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

/** Packing leaves headroom below the ~2^253.6 field modulus. */
const PACK_BITS = 248;

export function planRequantize(lo: number, hi: number, shift: number, relu: boolean): RequantizeParams {
  const qlo = rescaleValue(lo, shift);
  const qhi = rescaleValue(hi, shift);
  if (relu && qhi <= 0) return { shift, nq: 0, offset: 0, relu: 1 };
  if (!relu || qlo >= 0) return { shift, nq: bitLength(qhi - qlo), offset: -qlo, relu: 0 };
  const nq = 1 + bitLength(Math.max(-qlo, qhi + 1) - 1);
  return { shift, nq, offset: 2 ** (nq - 1), relu: 1 };
}

type Planner<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, input: Interval) => OpPlan;

const planners: { [K in QOpKind]: Planner<K> } = {
  dense: () => ({ kind: 'dense' }),
  rescale: (op, input) => ({
    kind: 'rescale',
    elements: op.shift.map((shift, j) => planRequantize(input.lo[j], input.hi[j], shift, op.relu)),
  }),
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
// (linear constraints are substituted away, so weights and sums are free).

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

export function requantizeCost(p: RequantizeParams): number {
  return p.nq === 0 ? 0 : p.shift + p.nq + p.relu;
}

export function opCost(plan: OpPlan): number {
  switch (plan.kind) {
    case 'dense':
      return 0;
    case 'rescale':
      return plan.elements.reduce((sum, p) => sum + requantizeCost(p), 0);
    case 'argmax':
      return plan.size * (plan.diffBits + 2);
  }
}

export function totalCost(plan: CircuitPlan): number {
  return inputCost(plan.input) + plan.ops.reduce((sum, op) => sum + opCost(op), 0);
}
