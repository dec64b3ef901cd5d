/**
 * The Poseidon hash's WebAssembly kernels (prover/poseidon.ts sequences them): a round's work on
 * the t elements of the state at once, on field29's Fr (zr_mul, zr_square, zr_add, zr_copy), apart
 * from the runtime as msm-kernels.ts is from msm.ts.
 */
import { ZQ_BYTES } from './field29.js';
import type { Code, CodeBuilder, ModuleBuilder } from './wasm-module.js';

/** The kernels' export names, for the generator and the caller alike. */
export const POSEIDON_KERNELS = {
  /** (t, state, c): state[i] += c[i]. */
  ark: 'zr_poseidonArk',
  /** (t, state): state[i] = state[i]^5. */
  sigma: 'zr_poseidonSigma',
  /** (t, row, state, r): r = Σ_j row[j]·state[j] (r apart from state). */
  dot: 'zr_poseidonDot',
  /** (t, matrix, state, scratch): state[i] = Σ_j matrix[i][j]·state[j] (the matrix row-major, as Mix's columns). */
  mix: 'zr_poseidonMix',
  /** (t, c, s, state, scratch): a partial round: state[0] = state[0]^5 + c, then MixS with s. */
  partial: 'zr_poseidonPartial',
} as const;

/** Add the kernels (after prover/field29.ts's zr_ functions). */
export function addPoseidon(module: ModuleBuilder): void {
  const scratch = module.alloc(2 * ZQ_BYTES);
  const [power, product] = [scratch, scratch + ZQ_BYTES];
  const kernel = (name: string, params: string[], body: (c: CodeBuilder, at: (pointer: string, index: Code) => Code) => Code[]) => {
    const f = module.addFunction(name);
    for (const p of params) f.addParam(p, 'i32');
    f.addLocal('i', 'i32');
    const c = f.getCodeBuilder();
    const at = (pointer: string, index: Code) => c.i32_add(c.getLocal(pointer), c.i32_mul(index, c.i32_const(ZQ_BYTES)));
    f.addCode(...body(c, at));
    module.exportFunction(name);
  };
  /** for (i = from; i < t; i++) body */
  const each = (c: CodeBuilder, from: number, body: Code[]): Code => [
    ...c.setLocal('i', c.i32_const(from)),
    ...c.block(c.loop(c.br_if(1, c.i32_ge_u(c.getLocal('i'), c.getLocal('t'))), ...body, c.setLocal('i', c.i32_add(c.getLocal('i'), c.i32_const(1))), c.br(0))),
  ];
  const i = (c: CodeBuilder) => c.getLocal('i');
  /** x = x^5, through x² and x⁴. */
  const pow5 = (c: CodeBuilder, x: Code): Code => [
    ...c.call('zr_square', x, c.i32_const(power)),
    ...c.call('zr_square', c.i32_const(power), c.i32_const(power)),
    ...c.call('zr_mul', c.i32_const(power), x, x),
  ];

  kernel(POSEIDON_KERNELS.ark, ['t', 'state', 'c'], (c, at) => [each(c, 0, [c.call('zr_add', at('state', i(c)), at('c', i(c)), at('state', i(c)))])]);
  kernel(POSEIDON_KERNELS.sigma, ['t', 'state'], (c, at) => [each(c, 0, [pow5(c, at('state', i(c)))])]);
  kernel(POSEIDON_KERNELS.dot, ['t', 'row', 'state', 'r'], (c, at) => [
    c.call('zr_mul', c.getLocal('row'), c.getLocal('state'), c.getLocal('r')),
    each(c, 1, [c.call('zr_mul', at('row', i(c)), at('state', i(c)), c.i32_const(product)), c.call('zr_add', c.getLocal('r'), c.i32_const(product), c.getLocal('r'))]),
  ]);
  kernel(POSEIDON_KERNELS.mix, ['t', 'matrix', 'state', 'scratch'], (c, at) => [
    each(c, 0, [c.call(POSEIDON_KERNELS.dot, c.getLocal('t'), at('matrix', c.i32_mul(i(c), c.getLocal('t'))), c.getLocal('state'), at('scratch', i(c)))]),
    each(c, 0, [c.call('zr_copy', at('scratch', i(c)), at('state', i(c)))]),
  ]);
  // MixS: out[0] = Σ_i s[i]·in[i], out[i] = in[i] + in[0]·s[t + i - 1] (poseidon.circom).
  kernel(POSEIDON_KERNELS.partial, ['t', 'c', 's', 'state', 'scratch'], (c, at) => [
    pow5(c, c.getLocal('state')),
    c.call('zr_add', c.getLocal('state'), c.getLocal('c'), c.getLocal('state')),
    c.call(POSEIDON_KERNELS.dot, c.getLocal('t'), c.getLocal('s'), c.getLocal('state'), c.getLocal('scratch')),
    each(c, 1, [
      c.call('zr_mul', c.getLocal('state'), at('s', c.i32_add(c.getLocal('t'), c.i32_sub(i(c), c.i32_const(1)))), c.i32_const(product)),
      c.call('zr_add', at('state', i(c)), c.i32_const(product), at('state', i(c))),
    ]),
    c.call('zr_copy', c.getLocal('scratch'), c.getLocal('state')),
  ]);
}
