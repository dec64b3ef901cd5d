/**
 * zkinfer's Poseidon (prover/poseidon.ts, WebAssembly on field29's Fr) against two others computed
 * apart from it: poseidon-lite (BigInt arithmetic on the unoptimized constants, with dense
 * matrices in every round) and the circuit's own Poseidon (the direct path's PoseidonChain,
 * whose every wire circuits/direct's tests hold to circom's witness), on every width the
 * commitments use (1 to 16 inputs: PoseidonChain's hashes), with 0, r - 1 and random values; and
 * the commitments' chains past 16 values against the circuit's.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { poseidonChain } from '../../circuits/commitment.js';
import { poseidonChain as circuitChain } from '../../circuits/direct/poseidon.js';
import { ConstraintSystem } from '../../circuits/direct/system.js';
import { seededRandom } from '../../core/random.js';
import { poseidon } from '../../prover/poseidon.js';

const require = createRequire(import.meta.url);
/** The BN254 scalar field's order, written out so the test does not trust the code under test. */
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const WIDTHS = Array.from({ length: 16 }, (_, k) => k + 1);

function poseidonLite(inputs: bigint[]): bigint {
  const n = inputs.length;
  return (require(`poseidon-lite/poseidon${n}`) as Record<string, (x: bigint[]) => bigint>)[`poseidon${n}`]!(inputs);
}

/** The value of the circuit's PoseidonChain on `values`, built as the direct path builds the circuit. */
function circuitHash(values: bigint[]): bigint {
  const sys = new ConstraintSystem();
  const ins = values.map((v, i) => sys.wire(`main.in[${i}]`, 1 + i, v, true));
  const out = circuitChain(sys, { name: 'main.hash', base: values.length + 1 }, ins);
  if (typeof out.value !== 'bigint') throw new Error('the circuit built no value');
  return out.value;
}

function randomElements(seed: number, count: number): bigint[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    return v % P;
  });
}

/** Per width: all zeros, all r - 1, zeros and r - 1 alternating, small values, and two random draws. */
function inputsOfWidth(n: number): bigint[][] {
  return [
    new Array<bigint>(n).fill(0n),
    new Array<bigint>(n).fill(P - 1n),
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0n : P - 1n)),
    Array.from({ length: n }, (_, i) => BigInt(i + 1)),
    randomElements(n, n),
    randomElements(100 + n, n),
  ];
}

describe("zkinfer's Poseidon", () => {
  it.each(WIDTHS)('equals poseidon-lite and the circuit on %i inputs: zeros, r - 1, random', (n) => {
    for (const inputs of inputsOfWidth(n)) {
      const ours = poseidon(inputs);
      expect(ours).toBe(poseidonLite(inputs));
      expect(ours).toBe(circuitHash(inputs));
      expect(ours >= 0n && ours < P).toBe(true);
    }
  });

  it('takes values mod r, as circom takes its inputs', () => {
    const inputs = randomElements(7, 5);
    expect(poseidon(inputs.map((v) => v + P))).toBe(poseidon(inputs));
    expect(poseidon([P, P - 1n])).toBe(poseidon([0n, P - 1n]));
  });

  it('gives different hashes for inputs that differ in one place or in their number', () => {
    const base = randomElements(8, 16);
    const hashes = new Set([poseidon(base), ...base.map((_, i) => poseidon(base.map((v, j) => (j === i ? (v + 1n) % P : v)))), poseidon(base.slice(0, 15))]);
    expect(hashes.size).toBe(18);
  });

  it('refuses no inputs and more than 16, naming the limit', () => {
    expect(() => poseidon([])).toThrow(/1 to 16 inputs, not 0/);
    expect(() => poseidon(new Array<bigint>(17).fill(1n))).toThrow(/1 to 16 inputs, not 17/);
  });

  it("chains past 16 values as the circuit's PoseidonChain does", () => {
    for (const m of [17, 31, 32, 47]) {
      const values = randomElements(200 + m, m);
      expect(poseidonChain(values)).toBe(circuitHash(values));
    }
  });
});
