/**
 * The QAP's FFTs over the scalar field, in the prover's WebAssembly module, on Fr in 29-bit limbs
 * (prover/field29.ts's zr_*): iterative radix-2 FFTs reading their twiddle factors from a table
 * made once per domain, so a butterfly costs one multiplication. (wasmcurves' frm_fft updates its
 * twiddle with a second multiplication per butterfly.) A proof's inverse FFT is a decimation in
 * frequency (natural order in, bit-reversed out) and its coset FFT a decimation in time
 * (bit-reversed in, natural out), so no bit-reversal pass is made; between them, the inverse FFT's
 * division by n and the coset shift are one pointwise product with a table of g^i/n, itself in
 * bit-reversed order.
 */
import { writeUintLE } from '../core/binfile.js';
import { FIELD_MODULUS } from '../core/field.js';
import { LIMBS, ZQ_BYTES, emitAddOrSubtract, emitMontgomeryMul, limbsAt, localLimbs } from './field29.js';
import { FR_BYTES } from './bn128-layout.js';
import type { WasmArena } from './wasm-arena.js';
import type { Code, ModuleBuilder } from './wasm-module.js';

const ELEMENT = ZQ_BYTES;

/** Add zr_zkReverse, zr_zkFftDif, zr_zkFftDit, zr_zkMulPointwise and zr_zkQuotient (after prover/field29.ts's functions). */
export function addFft(module: ModuleBuilder): void {
  addReverse(module);
  addTransform(module, 'dif');
  addTransform(module, 'dit');
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
  module.exportFunction('zr_zkReverse');
}

/**
 * `zr_zkFftDif(px, bits, twiddles)`: in place, the n = 2^bits elements at px, in natural order, to
 * their transform Σⱼ xⱼ ω^(ij) in bit-reversed order (decimation in frequency). `zr_zkFftDit(px,
 * bits, twiddles)`: the same from bit-reversed order to natural order (decimation in time).
 * twiddles[j] = ω^j for j < n/2. A proof's inverse FFT is a DIF and its coset FFT a DIT, so the
 * coefficients between them stay bit-reversed and neither needs a bit-reversal pass.
 *
 * A butterfly is one function's code: the multiplication's result stays in locals for the sum and
 * difference. The first butterfly of every block has ω⁰ = 1 and no multiplication (the whole of
 * the round of 2-element blocks, 2/17 of the multiplications of 2^17 elements).
 */
function addTransform(module: ModuleBuilder, order: 'dif' | 'dit'): void {
  const name = order === 'dif' ? 'zr_zkFftDif' : 'zr_zkFftDit';
  const f = module.addFunction(name);
  f.addParam('px', 'i32');
  f.addParam('bits', 'i32');
  f.addParam('twiddles', 'i32');
  for (const local of ['n', 'm', 'half', 'step', 'k', 'a', 'b', 'w', 'end']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const add = (a: Code, b: Code) => c.i32_add(a, b);
  const bytes = (count: Code) => c.i32_mul(count, c.i32_const(ELEMENT));
  const at = (pointer: string) => limbsAt(c, () => local(pointer));
  const [sum, difference, product] = [localLimbs(f, 'sum'), localLimbs(f, 'difference'), localLimbs(f, 'product')];
  // (a, b) ← (a + b, a - b)
  const plain = [
    ...emitAddOrSubtract(f, 'zr', 'add', at('a').load, at('b').load, sum.store, 'pa_'),
    ...emitAddOrSubtract(f, 'zr', 'sub', at('a').load, at('b').load, at('b').store, 'ps_'),
    ...Array.from({ length: LIMBS }, (_, i) => at('a').store(i, sum.load(i))).flat(),
  ];
  const twiddled =
    order === 'dit'
      ? [
          // (a, b) ← (a + ωb, a - ωb)
          ...emitMontgomeryMul(f, 'zr', at('b').load, at('w').load, product.store, 'tm_'),
          ...emitAddOrSubtract(f, 'zr', 'sub', at('a').load, product.load, at('b').store, 'ts_'),
          ...emitAddOrSubtract(f, 'zr', 'add', at('a').load, product.load, at('a').store, 'ta_'),
        ]
      : [
          // (a, b) ← (a + b, ω(a - b))
          ...emitAddOrSubtract(f, 'zr', 'sub', at('a').load, at('b').load, difference.store, 'ts_'),
          ...emitAddOrSubtract(f, 'zr', 'add', at('a').load, at('b').load, at('a').store, 'ta_'),
          ...emitMontgomeryMul(f, 'zr', difference.load, at('w').load, at('b').store, 'tm_'),
        ];
  // Rounds of blocks of m elements: m = 2, 4, …, n (DIT) or n, n/2, …, 2 (DIF); in a block,
  // butterflies between j and j + m/2 with ω^(j·n/m), `step` being n/m twiddles in bytes.
  const dit = order === 'dit';
  f.addCode(
    set('n', c.i32_shl(c.i32_const(1), local('bits'))),
    set('m', dit ? c.i32_const(2) : local('n')),
    set('step', dit ? bytes(c.i32_shr_u(local('n'), c.i32_const(1))) : c.i32_const(ELEMENT)),
    c.block(
      c.loop(
        c.br_if(1, dit ? c.i32_eqz(c.i32_ge_u(local('n'), local('m'))) : c.i32_eqz(c.i32_ge_u(local('m'), c.i32_const(2)))),
        set('half', c.i32_shr_u(local('m'), c.i32_const(1))),
        set('k', c.i32_const(0)),
        c.block(
          c.loop(
            c.br_if(1, c.i32_ge_u(local('k'), local('n'))),
            set('a', add(local('px'), bytes(local('k')))),
            set('b', add(local('a'), bytes(local('half')))),
            set('end', local('b')),
            set('w', add(local('twiddles'), local('step'))),
            plain,
            set('a', add(local('a'), c.i32_const(ELEMENT))),
            set('b', add(local('b'), c.i32_const(ELEMENT))),
            c.block(
              c.loop(
                c.br_if(1, c.i32_eq(local('a'), local('end'))),
                twiddled,
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
        dit ? set('m', c.i32_shl(local('m'), c.i32_const(1))) : set('m', c.i32_shr_u(local('m'), c.i32_const(1))),
        dit ? set('step', c.i32_shr_u(local('step'), c.i32_const(1))) : set('step', c.i32_shl(local('step'), c.i32_const(1))),
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
  /** g^i/n for i < n, in bit-reversed order (at bitrev(i)): the coset shift and the inverse FFT's division. */
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
  arena.fn('zr_zkReverse')(tables.coset, bits);
  arena.release(mark);
  return tables;
}
