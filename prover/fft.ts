/**
 * The QAP's FFTs over the scalar field, in the prover's WebAssembly module: an iterative radix-2
 * FFT (bit reversal, then log₂ n rounds of butterflies) reading its twiddle factors from a table
 * made once per domain, so a butterfly costs one multiplication. (wasmcurves' frm_fft updates its
 * twiddle with a second multiplication per butterfly.) The inverse FFT is the same transform with
 * the inverse root's table; its division by n is left to the caller, who folds it into the
 * coset shift that follows.
 */
import { writeUintLE } from '../core/binfile.js';
import { FR_BYTES, type WasmArena } from './wasm-arena.js';
import type { Code, ModuleBuilder } from './wasm-module.js';

/**
 * `frm_zkFft(px, bits, twiddles)`: in place, x ← (Σⱼ xⱼ ω^(ij))ᵢ for the n = 2^bits elements at px
 * (Montgomery form), where twiddles[j] = ω^j for j < n/2.
 */
export function addFft(module: ModuleBuilder): void {
  const name = 'frm_zkFft';
  const f = module.addFunction(name);
  f.addParam('px', 'i32');
  f.addParam('bits', 'i32');
  f.addParam('twiddles', 'i32');
  for (const local of ['n', 'm', 'half', 'step', 'k', 'a', 'b', 'w', 'end']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const t = c.i32_const(module.alloc(FR_BYTES));
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const add = (a: Code, b: Code) => c.i32_add(a, b);
  const bytes = (count: Code) => c.i32_mul(count, c.i32_const(FR_BYTES));
  f.addCode(
    set('n', c.i32_shl(c.i32_const(1), local('bits'))),
    c.call('frm__reversePermutation', local('px'), local('bits')),
    // Rounds m = 2, 4, …, n: butterflies between k + j and k + j + m/2 with ω^(j·n/m); `step` is
    // n/m twiddles, in bytes.
    set('m', c.i32_const(2)),
    set('step', bytes(c.i32_shr_u(local('n'), c.i32_const(1)))),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eqz(c.i32_ge_u(local('n'), local('m')))),
        set('half', c.i32_shr_u(local('m'), c.i32_const(1))),
        set('k', c.i32_const(0)),
        c.block(
          c.loop(
            c.br_if(1, c.i32_ge_u(local('k'), local('n'))),
            set('a', add(local('px'), bytes(local('k')))),
            set('b', add(local('a'), bytes(local('half')))),
            set('end', local('b')),
            set('w', local('twiddles')),
            c.block(
              c.loop(
                c.br_if(1, c.i32_eq(local('a'), local('end'))),
                c.call('frm_mul', local('b'), local('w'), t),
                c.call('frm_sub', local('a'), t, local('b')),
                c.call('frm_add', local('a'), t, local('a')),
                set('a', add(local('a'), c.i32_const(FR_BYTES))),
                set('b', add(local('b'), c.i32_const(FR_BYTES))),
                set('w', add(local('w'), local('step'))),
                c.br(0),
              ),
            ),
            set('k', add(local('k'), local('m'))),
            c.br(0),
          ),
        ),
        set('m', c.i32_shl(local('m'), c.i32_const(1))),
        set('step', c.i32_shr_u(local('step'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction(name);
}

/** The twiddle tables of one domain in an arena: powers of ω and of ω⁻¹, n/2 each. */
export interface Twiddles {
  bits: number;
  forward: number;
  inverse: number;
}

/** Tables for the domain of 2^bits points whose root is `root` (of order 2^bits). */
export function twiddles(arena: WasmArena, bits: number, root: bigint): Twiddles {
  const half = 2 ** (bits - 1);
  const forward = arena.alloc(half * FR_BYTES);
  const inverse = arena.alloc(half * FR_BYTES);
  const mul = arena.fn('frm_mul');
  const rootAt = arena.alloc(FR_BYTES);
  const inverseRootAt = arena.alloc(FR_BYTES);
  arena.write(rootAt, writeUintLE(root, FR_BYTES));
  arena.fn('frm_toMontgomery')(rootAt, rootAt);
  arena.fn('frm_inverse')(rootAt, inverseRootAt);
  for (const [table, step] of [
    [forward, rootAt],
    [inverse, inverseRootAt],
  ] as const) {
    arena.fn('frm_one')(table);
    for (let j = 1; j < half; j++) mul(table + (j - 1) * FR_BYTES, step, table + j * FR_BYTES);
  }
  return { bits, forward, inverse };
}
