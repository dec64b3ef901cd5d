/**
 * Test circuits around the hand-written templates, one per template with a case per option: the
 * template tests hold them to the reference semantics, the audit tests attack them.
 */
import { type InputPlan, type MaxPairParams, type RequantizeParams, planMaxChain, planRequantize } from '../../circuits/plan.js';
import type { RescaleActivation } from '../../model/ir.js';

const relu: RescaleActivation = { kind: 'relu' };
const linear: RescaleActivation = { kind: 'linear' };
const clip = (max: number): RescaleActivation => ({ kind: 'relu', max: [max] });
const leaky: RescaleActivation = { kind: 'leaky', numerator: 77, bits: 8 };

/** Requantize cases: the range [lo, hi] of the value, the shift, the activation, what it tests. */
export type RequantizeCase = [number, number, number, RescaleActivation, string];

export const REQUANTIZE_CASES: RequantizeCase[] = [
  [-1000, 1000, 3, relu, 'relu'],
  [-1000, 1000, 3, linear, 'linear'],
  [-5, 700, 0, relu, 'relu without rounding'],
  [-300, -1, 2, relu, 'relu of a value never positive: constant 0'],
  [16, 300, 4, relu, 'relu of a value never negative: the identity'],
  [-129, 126, 1, linear, 'linear, small'],
  [-40, 39, 6, linear, 'linear, q in {-1, 0, 1}'],
  [-7, 7, 4, linear, 'linear, q always 0: constant'],
  [-(2 ** 40), 2 ** 40, 20, relu, 'relu over 2^40'],
  [-1000, 1000, 3, clip(60), 'clipped relu'],
  [-1000, 1000, 3, clip(200), 'a clip that never acts'],
  [16, 1000, 2, clip(50), 'a clip on a value never negative'],
  [100, 200, 2, clip(3), 'always clipped: constant'],
  [-1000, 1000, 3, leaky, 'leaky relu'],
  [10, 500, 1, leaky, 'leaky relu of a value never negative'],
];

/**
 * One Requantize per case, r[k], with out[k] its output. Each reads two terms of one input,
 * value = -7 + 3 * in - 2 * (in - 7) = in + 7, so the dot product and bias are exercised too.
 */
export function requantizeCircuit(cases: readonly RequantizeCase[]): { source: string; params: RequantizeParams[] } {
  const params = cases.map(([lo, hi, shift, activation]) => planRequantize(lo, hi, shift, activation));
  const n = cases.length;
  const body = params.map((p, k) => {
    const a = cases[k]![3];
    const [num, bits] = a.kind === 'leaky' ? [a.numerator, a.bits] : [0, 0];
    return `    r[${k}] = Requantize(2, [3, -2], -7, ${p.shift}, ${p.nq}, ${p.offset}, ${p.mode}, ${num}, ${bits}, ${p.clipNq}, ${p.clipMax});
    r[${k}].x[0] <== in[${k}];
    r[${k}].x[1] <== in[${k}] - 7;
    out[${k}] <== r[${k}].out;`;
  });
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
template T() {
    signal input in[${n}];
    signal output out[${n}];
    component r[${n}];
${body.join('\n')}
}
component main = T();
`;
  return { source, params };
}

/** MaxPair cases [a range, b range]: overlapping (compared), a always larger, a always smaller, a tie possible. */
export const MAXPAIR_CASES: [[number, number], [number, number]][] = [
  [[-100, 100], [-50, 70]],
  [[20, 30], [-5, 19]],
  [[-9, 0], [0, 4]],
  [[0, 1], [0, 1]],
];

/** One MaxPair per case, m[k] = max(a[k], b[k]). */
export function maxPairCircuit(cases: typeof MAXPAIR_CASES): { source: string; pairs: MaxPairParams[] } {
  const pairs = cases.map(([a, b]) => planMaxChain([{ lo: b[0], hi: b[1] }, { lo: a[0], hi: a[1] }])[0]!);
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
template T() {
    signal input a[${cases.length}];
    signal input b[${cases.length}];
    signal output out[${cases.length}];
    component m[${cases.length}];
${pairs.map((p, k) => `    m[${k}] = MaxPair(${p.nq}, ${p.mode});\n    m[${k}].a <== a[${k}];\n    m[${k}].b <== b[${k}];\n    out[${k}] <== m[${k}].out;`).join('\n')}
}
// Public inputs: an output equal to a *private* input would be as free as that input (circom
// rightly substitutes it away); in a model, MaxPair reads computed signals, never free inputs.
component main {public [a, b]} = T();
`;
  return { source, pairs };
}

export function argMaxCircuit(n: number, diffBits: number): string {
  return `pragma circom 2.1.0;
include "zkinfer.circom";
component main = ArgMax(${n}, ${diffBits});
`;
}

export function inputCommitmentCircuit(plan: InputPlan): string {
  return `pragma circom 2.1.0;
include "zkinfer.circom";
component main = InputCommitment(${plan.size}, ${plan.bits}, ${plan.min}, ${plan.perElement});
`;
}
