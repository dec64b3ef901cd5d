/**
 * circomlib's Poseidon (poseidon.circom: PoseidonEx with Ark, Sigma, Mix, MixS, MixLast) and
 * zkinfer's PoseidonChain, RangePack and InputCommitment, as circom --O2 leaves them. Unlike the
 * templates of templates.ts, every signal here is a wire held by its linear constraint, ranked
 * where circom numbers it (a component's outputs, inputs and other signals, then its
 * subcomponents, arrays in name order): which of them survive, and under which name, is then
 * circom's own elimination (ConstraintSystem.define and finish), not a second description of it.
 * The round constants are circomlib's own (../poseidon-constants.ts).
 */
import { N_ROUNDS_F, N_ROUNDS_P, poseidonConstants } from '../poseidon-constants.js';
import { type ConstraintSystem, type Expr, type Rank, combine, constant } from './system.js';
import { rangeCheck } from './templates.js';

/** A component's place: its name prefix and the first rank of its block of signals. */
export interface Block {
  name: string;
  base: Rank;
}

/** Signals of each template (circom's numbering: outputs, inputs, others, then subcomponents). */
const arkSize = (t: number) => 2 * t;
const poseidonExSize = (t: number) => {
  const nP = N_ROUNDS_P[t - 2];
  return 1 + (t - 1) + 1 + N_ROUNDS_F * arkSize(t) + (N_ROUNDS_F - 1) * 2 * t + (1 + t) + nP * 2 * t + 4 * (N_ROUNDS_F * t + nP);
};
const poseidonSize = (n: number) => 1 + n + poseidonExSize(n + 1);
const chainArities = (m: number): number[] => {
  const first = Math.min(m, 16);
  return [first, ...Array.from({ length: Math.ceil((m - first) / 15) }, (_, c) => Math.min(15, m - first - 15 * c) + 1)];
};
const poseidonChainSize = (m: number) => 1 + m + chainArities(m).reduce((sum, n) => sum + poseidonSize(n), 0);

/** `name <== e` for a template's signal: a wire held by a linear constraint (or, for a constant or a signal, substituted). */
const assign = (sys: ConstraintSystem, at: Block, name: string, offset: number, e: Expr) => sys.define(`${at.name}.${name}`, at.base + offset, e);

/** Sigma: in^5 through in2 and in4 (a constant in gives constants). */
function sigma(sys: ConstraintSystem, at: Block, input: Expr): Expr {
  const x = assign(sys, at, 'in', 1, input);
  const in2 = sys.product(`${at.name}.in2`, at.base + 2, x, x);
  const in4 = sys.product(`${at.name}.in4`, at.base + 3, in2, in2);
  return sys.product(`${at.name}.out`, at.base, in4, x);
}

/** PoseidonEx(nInputs, 1) with initialState 0, as Poseidon(nInputs) wraps it: out. */
function poseidon(sys: ConstraintSystem, at: Block, inputs: readonly Expr[]): Expr {
  const n = inputs.length;
  const t = n + 1;
  const nP = N_ROUNDS_P[t - 2];
  const { C, S, M, P } = poseidonConstants(t);
  const ins = inputs.map((e, i) => assign(sys, at, `inputs[${i}]`, 1 + i, e));
  const ex: Block = { name: `${at.name}.pEx`, base: at.base + 1 + n };
  const exIn = ins.map((e, i) => assign(sys, ex, `inputs[${i}]`, 1 + i, e));
  const initial = assign(sys, ex, 'initialState', t, constant(0));
  // Blocks of the subcomponents, in circom's order: ark, mix, mixLast, mixS, sigmaF, sigmaP.
  const arkBase = ex.base + t + 1;
  const mixBase = arkBase + N_ROUNDS_F * 2 * t;
  const mixLastBase = mixBase + (N_ROUNDS_F - 1) * 2 * t;
  const mixSBase = mixLastBase + 1 + t;
  const sigmaFBase = mixSBase + nP * 2 * t;
  const sigmaPBase = sigmaFBase + 4 * N_ROUNDS_F * t;
  const block = (name: string, base: Rank): Block => ({ name: `${ex.name}.${name}`, base });

  const ark = (r: number, offset: number, state: Expr[]): Expr[] => {
    const b = block(`ark[${r}]`, arkBase + r * 2 * t);
    const inp = state.map((e, i) => assign(sys, b, `in[${i}]`, t + i, e));
    return inp.map((e, i) => assign(sys, b, `out[${i}]`, i, combine([[1, e], [C[i + offset], constant(1)]])));
  };
  const mix = (r: number, matrix: bigint[][], state: Expr[]): Expr[] => {
    const b = block(`mix[${r}]`, mixBase + r * 2 * t);
    const inp = state.map((e, i) => assign(sys, b, `in[${i}]`, t + i, e));
    return inp.map((_, i) => assign(sys, b, `out[${i}]`, i, combine(inp.map((e, j): [bigint, Expr] => [matrix[j][i], e]))));
  };
  const sigmas = (r: number, state: Expr[]): Expr[] => state.map((e, j) => sigma(sys, block(`sigmaF[${r}][${j}]`, sigmaFBase + 4 * (r * t + j)), e));

  let state = ark(0, 0, [initial, ...exIn]);
  for (let r = 0; r < N_ROUNDS_F / 2; r++) {
    const out = sigmas(r, state);
    state = mix(r, r < N_ROUNDS_F / 2 - 1 ? M : P, ark(r + 1, (r + 1) * t, out));
  }
  for (let r = 0; r < nP; r++) {
    const x = sigma(sys, block(`sigmaP[${r}]`, sigmaPBase + 4 * r), state[0]);
    const b = block(`mixS[${r}]`, mixSBase + r * 2 * t);
    const inp = state.map((e, j) => assign(sys, b, `in[${j}]`, t + j, j === 0 ? combine([[1, x], [C[(N_ROUNDS_F / 2 + 1) * t + r], constant(1)]]) : e));
    const s = (2 * t - 1) * r;
    const first = assign(sys, b, 'out[0]', 0, combine(inp.map((e, i): [bigint, Expr] => [S[s + i], e])));
    state = [first, ...inp.slice(1).map((e, i) => assign(sys, b, `out[${i + 1}]`, i + 1, combine([[1, e], [S[s + t + i], inp[0]]])))];
  }
  for (let r = 0; r < N_ROUNDS_F / 2 - 1; r++) {
    const out = sigmas(N_ROUNDS_F / 2 + r, state);
    state = mix(N_ROUNDS_F / 2 + r, M, ark(N_ROUNDS_F / 2 + r + 1, (N_ROUNDS_F / 2 + 1) * t + nP + r * t, out));
  }
  const last = sigmas(N_ROUNDS_F - 1, state);
  const b = block('mixLast[0]', mixLastBase);
  const inp = last.map((e, j) => assign(sys, b, `in[${j}]`, 1 + j, e));
  const mixed = assign(sys, b, 'out', 0, combine(inp.map((e, j): [bigint, Expr] => [M[j][0], e])));
  const exOut = assign(sys, ex, 'out[0]', 0, mixed);
  return assign(sys, at, 'out', 0, exOut);
}

/** PoseidonChain(m): Poseidon of up to 16 values, then of the hash and up to 15 more, and so on. */
export function poseidonChain(sys: ConstraintSystem, at: Block, values: readonly Expr[]): Expr {
  const m = values.length;
  const ins = values.map((e, i) => assign(sys, at, `in[${i}]`, 1 + i, e));
  let base = at.base + 1 + m;
  let used = 0;
  let h: Expr | undefined;
  chainArities(m).forEach((arity, c) => {
    const take = c === 0 ? arity : arity - 1;
    h = poseidon(sys, { name: `${at.name}.h[${c}]`, base }, [...(h ? [h] : []), ...ins.slice(used, used + take)]);
    used += take;
    base += poseidonSize(arity);
  });
  return assign(sys, at, 'out', 0, h!);
}

/** RangePack(n, bits, min, perElement): range checks, and the packed field elements. */
export function rangePack(sys: ConstraintSystem, at: Block, values: readonly Expr[], bits: number, min: number, perElement: number): Expr[] {
  const n = values.length;
  const nPacked = Math.ceil(n / perElement);
  const ins = values.map((e, i) => assign(sys, at, `in[${i}]`, nPacked + i, e));
  const digits = ins.map((e) => combine([[1, e], [-min, constant(1)]]));
  const rangeBase = at.base + nPacked + n;
  digits.forEach((d, i) => rangeCheck(sys, { name: `${at.name}.range[${i}]`, rank: (k) => rangeBase + i * bits + k }, d, bits));
  return Array.from({ length: nPacked }, (_, p) => {
    const part = digits.slice(p * perElement, (p + 1) * perElement);
    return assign(sys, at, `packed[${p}]`, p, combine(part.map((d, k): [bigint, Expr] => [1n << BigInt(bits * k), d])));
  });
}

/** InputCommitment(n, bits, min, perElement): commitment = PoseidonChain(salt, RangePack(in)). */
export function inputCommitment(sys: ConstraintSystem, at: Block, values: readonly Expr[], salt: Expr, plan: { bits: number; min: number; perElement: number }): Expr {
  const n = values.length;
  const ins = values.map((e, i) => assign(sys, at, `in[${i}]`, 1 + i, e));
  const s = assign(sys, at, 'salt', 1 + n, salt);
  const nPacked = Math.ceil(n / plan.perElement);
  const hashBase = at.base + n + 2;
  const packBase = hashBase + poseidonChainSize(nPacked + 1);
  const packed = rangePack(sys, { name: `${at.name}.pack`, base: packBase }, ins, plan.bits, plan.min, plan.perElement);
  const hash = poseidonChain(sys, { name: `${at.name}.hash`, base: hashBase }, [s, ...packed]);
  return assign(sys, at, 'commitment', 0, hash);
}
