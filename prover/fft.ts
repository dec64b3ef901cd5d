/**
 * The QAP's FFTs over the scalar field, in the prover's WebAssembly module, on Fr in 29-bit limbs
 * (prover/field29.ts's zr_*): iterative radix-2 FFTs reading their twiddle factors from a table
 * made once per domain, so a butterfly costs one multiplication. (wasmcurves' frm_fft updates its
 * twiddle with a second multiplication per butterfly.) A proof's inverse FFT goes from natural
 * order to bit-reversed order (decimation in frequency) and its coset FFT from bit-reversed order
 * to natural order, so no bit-reversal pass is made; between them, the inverse FFT's division by
 * n and the coset shift are one pointwise product with a table of g^i/n, itself in bit-reversed
 * order. Both use the Gentleman-Sande butterfly (a + b, ω(a - b)), whose difference needs no
 * reduction before the multiplication.
 */
import { writeUintLE } from '../core/binfile.js';
import { FIELD_MODULUS } from '../core/field.js';
import { ZQ_BYTES, copyLimbs, emitAddOrSubtract, emitMontgomeryMul, lazyDifference, limbsAt, localLimbs } from './field29.js';
import { FR_BYTES } from './bn128-layout.js';
import type { WasmArena } from './wasm-arena.js';
import type { Code, FunctionBuilder, ModuleBuilder } from './wasm-module.js';

const ELEMENT = ZQ_BYTES;

/** Add zr_zkReverse, zr_zkFftDif, zr_zkFftFromReversed, zr_zkMulPointwise and zr_zkQuotient (after prover/field29.ts's functions). */
export function addFft(module: ModuleBuilder): void {
  addReverse(module);
  addDif(module);
  addFromReversed(module);
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
 * The butterflies of the FFTs, between the elements at locals a and b, as code: `plain` (a, b) ←
 * (a + b, a - b), and `twiddled` (a, b) ← (a + b, ω(a - b)) with ω at local w (Gentleman-Sande).
 * The twiddled difference only feeds the multiplication, so it is left unreduced (field29's
 * lazyDifference: nine additions instead of a subtraction's two carry chains); the product and
 * the sum are stored normalized, below 2p, as every element between rounds.
 */
function butterflies(f: FunctionBuilder): { plain: Code; twiddled: Code } {
  const c = f.getCodeBuilder();
  const at = (pointer: string) => limbsAt(c, () => c.getLocal(pointer));
  const sum = localLimbs(f, 'sum');
  const storeSum = copyLimbs(sum.load, at('a').store);
  return {
    plain: [
      ...emitAddOrSubtract(f, 'zr', 'add', at('a').load, at('b').load, sum.store, 'pa_'),
      ...emitAddOrSubtract(f, 'zr', 'sub', at('a').load, at('b').load, at('b').store, 'ps_'),
      ...storeSum,
    ],
    twiddled: [
      ...emitAddOrSubtract(f, 'zr', 'add', at('a').load, at('b').load, sum.store, 'ta_'),
      // The multiplication loads its operands before it stores: b may be overwritten.
      ...emitMontgomeryMul(f, 'zr', lazyDifference(c, 'zr', at('a').load, at('b').load), at('w').load, at('b').store, 'tm_'),
      ...storeSum,
    ],
  };
}

/**
 * `zr_zkFftDif(px, bits, twiddles)`: in place, the n = 2^bits elements at px, in natural order, to
 * their transform Σⱼ xⱼ ω^(ij) in bit-reversed order (decimation in frequency), twiddles[j] = ω^j
 * for j < n/2. Rounds of blocks of m = n, n/2, …, 2 elements: in a block, butterflies between j
 * and j + m/2 with ω^(j·n/m); the first of every block has ω⁰ = 1 and no multiplication (the whole
 * of the last round, 2/17 of the multiplications of 2^17 elements).
 */
function addDif(module: ModuleBuilder): void {
  const f = module.addFunction('zr_zkFftDif');
  for (const param of ['px', 'bits', 'twiddles']) f.addParam(param, 'i32');
  for (const local of ['n', 'm', 'half', 'step', 'k', 'a', 'b', 'w', 'end']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const add = (a: Code, b: Code) => c.i32_add(a, b);
  const bytes = (count: Code) => c.i32_mul(count, c.i32_const(ELEMENT));
  const { plain, twiddled } = butterflies(f);
  // `step`: n/m twiddles, in bytes.
  f.addCode(
    set('n', c.i32_shl(c.i32_const(1), local('bits'))),
    set('m', local('n')),
    set('step', c.i32_const(ELEMENT)),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eqz(c.i32_ge_u(local('m'), c.i32_const(2)))),
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
        set('m', c.i32_shr_u(local('m'), c.i32_const(1))),
        set('step', c.i32_shl(local('step'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction('zr_zkFftDif');
}

/**
 * `zr_zkFftFromReversed(px, bits, twiddles)`: in place, the n = 2^bits elements at px, in
 * bit-reversed order, to the transform Σⱼ xⱼ ω^(ij) of the natural order, in natural order, by
 * the same butterflies as the DIF's: twiddles[b] = ω^bitrev(b) (bits - 1 bits) for b < n/2.
 * Rounds of blocks of 2, 4, …, n elements; in block b of a round, butterflies between j and
 * j + m/2, all with twiddles[b]. (This undoes, without its halvings, a Cooley-Tukey FFT for ω⁻¹
 * from natural to bit-reversed order, whose block b multiplies by ω^-bitrev(b): the
 * Gentleman-Sande butterfly is the Cooley-Tukey one's inverse.) Block 0 has ω⁰ = 1 and no
 * multiplication.
 */
function addFromReversed(module: ModuleBuilder): void {
  const f = module.addFunction('zr_zkFftFromReversed');
  for (const param of ['px', 'bits', 'twiddles']) f.addParam(param, 'i32');
  for (const local of ['last', 'half', 'k', 'a', 'b', 'w', 'end']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const add = (a: Code, b: Code) => c.i32_add(a, b);
  const { plain, twiddled } = butterflies(f);
  /** The butterflies of the block at k (half its bytes apart). */
  const block = (butterfly: Code) => [
    ...set('a', local('k')),
    ...set('b', add(local('k'), local('half'))),
    ...set('end', local('b')),
    ...c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('a'), local('end'))),
        butterfly,
        set('a', add(local('a'), c.i32_const(ELEMENT))),
        set('b', add(local('b'), c.i32_const(ELEMENT))),
        c.br(0),
      ),
    ),
  ];
  // `half`: m/2 elements in bytes; `last`: the end of the elements.
  f.addCode(
    set('last', add(local('px'), c.i32_mul(c.i32_shl(c.i32_const(1), local('bits')), c.i32_const(ELEMENT)))),
    set('half', c.i32_const(ELEMENT)),
    c.block(
      c.loop(
        c.br_if(1, c.i32_ge_u(add(local('px'), local('half')), local('last'))),
        set('k', local('px')),
        block(plain),
        set('k', add(local('k'), add(local('half'), local('half')))),
        set('w', add(local('twiddles'), c.i32_const(ELEMENT))),
        c.block(
          c.loop(
            c.br_if(1, c.i32_ge_u(local('k'), local('last'))),
            block(twiddled),
            set('k', add(local('k'), add(local('half'), local('half')))),
            set('w', add(local('w'), c.i32_const(ELEMENT))),
            c.br(0),
          ),
        ),
        set('half', c.i32_shl(local('half'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction('zr_zkFftFromReversed');
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
  /** ω^bitrev(j) for j < n/2 (bits - 1 bits reversed): zr_zkFftFromReversed's twiddles. */
  forward: number;
  /** ω^-j for j < n/2: zr_zkFftDif's twiddles for the inverse FFT. */
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
  arena.fn('zr_zkReverse')(tables.forward, bits - 1);
  powers(tables.inverse, half, 1n, inverseRootAt);
  // n divides r - 1, so 1/n = r - (r - 1)/n.
  powers(tables.coset, n, FIELD_MODULUS - (FIELD_MODULUS - 1n) / BigInt(n), cosetAt);
  arena.fn('zr_zkReverse')(tables.coset, bits);
  arena.release(mark);
  return tables;
}
