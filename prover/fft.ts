/**
 * The QAP's FFTs over the scalar field, in the prover's WebAssembly module, on Fr in 29-bit limbs
 * (prover/field29.ts's zr_*): an iterative radix-2 FFT (bit reversal, then log₂ n rounds of
 * butterflies) reading its twiddle factors from a table made once per domain, so a butterfly
 * costs one multiplication. (wasmcurves' frm_fft updates its twiddle with a second multiplication
 * per butterfly.) The inverse FFT is the same transform with the inverse root's table; its
 * division by n is folded into the coset shift that follows, a pointwise product with a table of
 * g^i/n.
 */
import { writeUintLE } from '../core/binfile.js';
import { FIELD_MODULUS } from '../core/field.js';
import { ZQ_BYTES } from './field29.js';
import { FR_BYTES } from './bn128-layout.js';
import type { WasmArena } from './wasm-arena.js';
import type { Code, ModuleBuilder } from './wasm-module.js';

const ELEMENT = ZQ_BYTES;

/** Add zr_zkFft, zr_zkMulPointwise and zr_zkQuotient (after prover/field29.ts's functions). */
export function addFft(module: ModuleBuilder): void {
  addReverse(module);
  addTransform(module);
  addPointwise(module);
}

/** `zr_zkReverse(px, bits)`: the 2^bits elements at px in bit-reversed order. */
function addReverse(module: ModuleBuilder): void {
  const f = module.addFunction('zr_zkReverse');
  f.addParam('px', 'i32');
  f.addParam('bits', 'i32');
  for (const local of ['i', 'j', 'n', 'k', 't', 'a', 'b', 'w']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const swapWord = (offset: number) => [
    ...set('w', c.i32_load(local('a'), offset)),
    ...c.i32_store(local('a'), offset, c.i32_load(local('b'), offset)),
    ...c.i32_store(local('b'), offset, local('w')),
  ];
  f.addCode(
    set('n', c.i32_shl(c.i32_const(1), local('bits'))),
    set('i', c.i32_const(0)),
    c.block(
      c.loop(
        c.br_if(1, c.i32_ge_u(local('i'), local('n'))),
        // j = i with its `bits` low bits reversed
        set('j', c.i32_const(0)),
        set('t', local('i')),
        set('k', local('bits')),
        c.block(
          c.loop(
            c.br_if(1, c.i32_eqz(local('k'))),
            set('j', c.i32_or(c.i32_shl(local('j'), c.i32_const(1)), c.i32_and(local('t'), c.i32_const(1)))),
            set('t', c.i32_shr_u(local('t'), c.i32_const(1))),
            set('k', c.i32_sub(local('k'), c.i32_const(1))),
            c.br(0),
          ),
        ),
        c.if(c.i32_eqz(c.i32_ge_u(local('i'), local('j'))), [
          ...set('a', c.i32_add(local('px'), c.i32_mul(local('i'), c.i32_const(ELEMENT)))),
          ...set('b', c.i32_add(local('px'), c.i32_mul(local('j'), c.i32_const(ELEMENT)))),
          ...Array.from({ length: ELEMENT / 4 }, (_, w) => swapWord(w * 4)).flat(),
        ]),
        set('i', c.i32_add(local('i'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
}

/**
 * `zr_zkFft(px, bits, twiddles)`: in place, x ← (Σⱼ xⱼ ω^(ij))ᵢ for the n = 2^bits elements at px,
 * where twiddles[j] = ω^j for j < n/2.
 */
function addTransform(module: ModuleBuilder): void {
  const name = 'zr_zkFft';
  const f = module.addFunction(name);
  f.addParam('px', 'i32');
  f.addParam('bits', 'i32');
  f.addParam('twiddles', 'i32');
  for (const local of ['n', 'm', 'half', 'step', 'k', 'a', 'b', 'w', 'end']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const t = c.i32_const(module.alloc(ELEMENT));
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const add = (a: Code, b: Code) => c.i32_add(a, b);
  const bytes = (count: Code) => c.i32_mul(count, c.i32_const(ELEMENT));
  f.addCode(
    set('n', c.i32_shl(c.i32_const(1), local('bits'))),
    c.call('zr_zkReverse', local('px'), local('bits')),
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
                c.call('zr_mul', local('b'), local('w'), t),
                c.call('zr_sub', local('a'), t, local('b')),
                c.call('zr_add', local('a'), t, local('a')),
                set('a', add(local('a'), c.i32_const(ELEMENT))),
                set('b', add(local('b'), c.i32_const(ELEMENT))),
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

/**
 * `zr_zkMulPointwise(a, b, n)`: aᵢ ← aᵢ·bᵢ. `zr_zkQuotient(a, b, c, n, out)`: outᵢ = aᵢ·bᵢ - cᵢ as
 * a plain 32-byte integer (the H MSM's scalars).
 */
function addPointwise(module: ModuleBuilder): void {
  const t = module.alloc(ELEMENT);
  for (const name of ['zr_zkMulPointwise', 'zr_zkQuotient'] as const) {
    const quotient = name === 'zr_zkQuotient';
    const f = module.addFunction(name);
    for (const param of quotient ? ['a', 'b', 'c', 'n', 'out'] : ['a', 'b', 'n']) f.addParam(param, 'i32');
    const c = f.getCodeBuilder();
    const local = (n: string) => c.getLocal(n);
    const advance = (pointer: string, bytes: number) => c.setLocal(pointer, c.i32_add(local(pointer), c.i32_const(bytes)));
    f.addCode(
      c.block(
        c.loop(
          c.br_if(1, c.i32_eqz(local('n'))),
          ...(quotient
            ? [
                c.call('zr_mul', local('a'), local('b'), c.i32_const(t)),
                c.call('zr_sub', c.i32_const(t), local('c'), c.i32_const(t)),
                c.call('zr_toNormal', c.i32_const(t), local('out')),
                advance('c', ELEMENT),
                advance('out', FR_BYTES),
              ]
            : [c.call('zr_mul', local('a'), local('b'), local('a'))]),
          advance('a', ELEMENT),
          advance('b', ELEMENT),
          c.setLocal('n', c.i32_sub(local('n'), c.i32_const(1))),
          c.br(0),
        ),
      ),
    );
    module.exportFunction(name);
  }
}

/** The tables of one domain in an arena (zr form): powers of ω and of ω⁻¹, n/2 each, and g^i/n. */
export interface DomainTables {
  bits: number;
  forward: number;
  inverse: number;
  /** g^i/n for i < n: the coset shift and the inverse FFT's division. */
  coset: number;
}

/** Tables for the domain of 2^bits points whose root is `root` (of order 2^bits), coset generator `coset`. */
export function domainTables(arena: WasmArena, bits: number, root: bigint, coset: bigint): DomainTables {
  const n = 2 ** bits;
  const half = n / 2;
  const tables = { bits, forward: arena.alloc(half * ELEMENT), inverse: arena.alloc(half * ELEMENT), coset: arena.alloc(n * ELEMENT) };
  const mark = arena.top;
  const mul = arena.fn('frm_mul');
  const ff = arena.alloc(n * FR_BYTES);
  const at = arena.alloc(3 * FR_BYTES);
  const [rootAt, inverseRootAt, cosetAt] = [at, at + FR_BYTES, at + 2 * FR_BYTES];
  arena.write(rootAt, writeUintLE(root, FR_BYTES));
  arena.write(cosetAt, writeUintLE(coset, FR_BYTES));
  arena.fn('frm_toMontgomery')(rootAt, rootAt);
  arena.fn('frm_toMontgomery')(cosetAt, cosetAt);
  arena.fn('frm_inverse')(rootAt, inverseRootAt);
  /** ff[j] = first·step^j for j < count, then into zr form at `table`. */
  const powers = (table: number, count: number, first: bigint, step: number) => {
    arena.write(ff, writeUintLE(first, FR_BYTES));
    arena.fn('frm_toMontgomery')(ff, ff);
    for (let j = 1; j < count; j++) mul(ff + (j - 1) * FR_BYTES, step, ff + j * FR_BYTES);
    arena.fn('zr_batchFromFf')(ff, table, count);
  };
  powers(tables.forward, half, 1n, rootAt);
  powers(tables.inverse, half, 1n, inverseRootAt);
  // n divides r - 1, so 1/n = r - (r - 1)/n.
  powers(tables.coset, n, FIELD_MODULUS - (FIELD_MODULUS - 1n) / BigInt(n), cosetAt);
  arena.release(mark);
  return tables;
}
