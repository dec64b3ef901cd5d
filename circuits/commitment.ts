/**
 * The circuit's commitments outside the circuit, exactly as its templates compute them inside:
 * - input: PoseidonChain(salt, packed input), the input packed as in RangePack (bits-wide digits
 *   value - min, perElement to a field element);
 * - params: PoseidonChain(packed weights of every layer, then each layer's packed biases);
 * - output: PoseidonChain(salt, label, logits) (logits as field elements).
 * A verifier who holds the data recomputes them and compares them to the proof's public signals.
 * The hash is circomlib's Poseidon in the prover's WebAssembly (prover/poseidon.ts): field
 * arithmetic, not proving, the one thing circuits/ takes from prover/.
 */
import { toField } from '../core/field.js';
import type { QModel } from '../model/ir.js';
import { poseidon as hash } from '../prover/poseidon.js';
import type { InputPlan, PackedValues, ParamsPlan } from './plan.js';

/** Mirrors PoseidonChain in circuits/templates/zkinfer.circom. */
export function poseidonChain(values: readonly bigint[]): bigint {
  let h = hash(values.slice(0, 16));
  for (let used = 16; used < values.length; used += 15) h = hash([h, ...values.slice(used, used + 15)]);
  return h;
}

/** Mirrors RangePack: (value - min) as bits-wide digits, perElement to a field element. */
export function pack(values: readonly number[], bits: number, min: number, perElement: number): bigint[] {
  const packed: bigint[] = [];
  values.forEach((x, i) => {
    const p = Math.floor(i / perElement);
    packed[p] = (packed[p] ?? 0n) + (BigInt(x - min) << BigInt(bits * (i % perElement)));
  });
  return packed;
}

export function inputCommitment(plan: InputPlan, input: readonly number[], salt: bigint = 0n): bigint {
  return poseidonChain([salt, ...pack(input, plan.bits, plan.min, plan.perElement)]);
}

const packSigned = (values: readonly number[], p: PackedValues) => pack(values, p.bits, -(2 ** (p.bits - 1)), p.perElement);

/** The dense and convolution ops' weights and biases, in the order the circuit takes them. */
export function modelParams(model: QModel): { weights: number[]; biases: number[][] } {
  const layers = model.ops.flatMap((op) => (op.kind === 'dense' || op.kind === 'conv2d' ? [op] : []));
  return { weights: layers.flatMap((op) => op.weights.flat()), biases: layers.map((op) => op.bias) };
}

export function paramsCommitment(plan: ParamsPlan, model: QModel): bigint {
  const { weights, biases } = modelParams(model);
  return poseidonChain([...packSigned(weights, plan.weights), ...biases.flatMap((b, k) => packSigned(b, plan.biases[k]))]);
}

export function outputCommitment(salt: bigint, label: number | undefined, logits: readonly number[]): bigint {
  return poseidonChain([salt, ...(label !== undefined ? [BigInt(label)] : []), ...logits.map((v) => toField(BigInt(v)))]);
}
