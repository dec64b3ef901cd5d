/**
 * The input commitment outside the circuit, exactly as InputCommitment computes it inside:
 * pack (value - min) as bits-wide digits, perElement to a field element, then PoseidonChain over
 * [salt, packed...]. A verifier who holds the input recomputes it and compares it to the proof's
 * first public signal.
 */
import * as poseidon from 'poseidon-lite';
import type { InputPlan } from './plan.js';

const byArity = [
  poseidon.poseidon1, poseidon.poseidon2, poseidon.poseidon3, poseidon.poseidon4,
  poseidon.poseidon5, poseidon.poseidon6, poseidon.poseidon7, poseidon.poseidon8,
  poseidon.poseidon9, poseidon.poseidon10, poseidon.poseidon11, poseidon.poseidon12,
  poseidon.poseidon13, poseidon.poseidon14, poseidon.poseidon15, poseidon.poseidon16,
];

function hash(values: bigint[]): bigint {
  return byArity[values.length - 1](values);
}

/** Mirrors PoseidonChain in circuits/templates/zkinfer.circom. */
export function poseidonChain(values: readonly bigint[]): bigint {
  let h = hash(values.slice(0, 16));
  for (let used = 16; used < values.length; used += 15) h = hash([h, ...values.slice(used, used + 15)]);
  return h;
}

export function packInput(plan: InputPlan, input: readonly number[]): bigint[] {
  const packed: bigint[] = [];
  input.forEach((x, i) => {
    const p = Math.floor(i / plan.perElement);
    packed[p] = (packed[p] ?? 0n) + (BigInt(x - plan.min) << BigInt(plan.bits * (i % plan.perElement)));
  });
  return packed;
}

export function inputCommitment(plan: InputPlan, input: readonly number[], salt: bigint = 0n): bigint {
  return poseidonChain([salt, ...packInput(plan, input)]);
}
