/**
 * The QAP's evaluations at the constraints, A·w, B·w and C = A∘B, on Fr in 29-bit limbs
 * (prover/field29.ts's zr form), straight into the arrays the FFTs (prover/fft.ts) transform. The
 * key's coefficients are converted to that form once, when the key is loaded; a proof's witness
 * once per proof, with each value's kind: a witness is mostly zeros and ones (bits, ReLU signs),
 * so a coefficient on a zero signal costs nothing and one on a one signal an addition; only the
 * rest take a multiplication. (ffjavascript's qap_buildABC multiplies every coefficient, in
 * 32-bit limbs, and its output needs a conversion before the FFTs.)
 *
 * Representations: an element x is held as x·2^261 mod p (zr form). The key's coefficient values
 * are c·2^512 mod r (snarkjs writes them so that its 256-bit Montgomery product with a plain
 * witness value is w·c in its form); a witness value is plain.
 */
import { FIELD_MODULUS } from '../core/field.js';
import { FR_BYTES } from './bn128-layout.js';
import { LIMBS, ZQ_BYTES, emitAddOrSubtract, emitMontgomeryMul, limbsAt, limbBytes, localLimbs } from './field29.js';
import type { Code, CodeBuilder, ModuleBuilder } from './wasm-module.js';

/** A coefficient of the key's section 4: matrix, constraint, signal (u32 each), value. */
export const KEY_COEFFICIENT_BYTES = 12 + FR_BYTES;
/** A converted coefficient: constraint·2 + matrix, signal (u32 each), value in zr form. */
export const COEFFICIENT_BYTES = 8 + ZQ_BYTES;
/** A witness value's kind (u32 each): zero, one, or other (its zr form then written). */
export const WITNESS_KIND_BYTES = 4;
const KIND = { zero: 0, one: 1, other: 2 } as const;

/** Add zr_zkCoefficients, zr_zkWitness and zr_zkBuildABC (after prover/field29.ts's functions). */
export function addQap(module: ModuleBuilder): void {
  addCoefficients(module);
  addWitness(module);
  addBuildABC(module);
}

/** A constant in zr's limbs, as module data. */
function constant(module: ModuleBuilder, value: bigint): number {
  return module.alloc(ZQ_BYTES, limbBytes(value));
}

/**
 * `zr_zkCoefficients(src, n, dst)`: the key's n coefficients at src into the converted layout at
 * dst. zr_fromFf reads the value V = c·2^512 as 256-bit Montgomery form, giving V·2^5 (zr form of
 * V·2^-256); times 2^5 (a Montgomery product: ·2^5/2^261) that is V·2^-251 = c·2^261, c's zr form.
 */
function addCoefficients(module: ModuleBuilder): void {
  const factor = constant(module, 32n);
  const f = module.addFunction('zr_zkCoefficients');
  for (const param of ['src', 'n', 'dst']) f.addParam(param, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const value = c.i32_add(local('dst'), c.i32_const(8));
  f.addCode(
    eachElement(c, { src: KEY_COEFFICIENT_BYTES, dst: COEFFICIENT_BYTES }, [
      // constraint·2 + matrix (the key's loader has checked matrix ≤ 1 and constraint < 2^28)
      ...c.i32_store(local('dst'), 0, c.i32_or(c.i32_shl(c.i32_load(local('src'), 4), c.i32_const(1)), c.i32_load(local('src')))),
      ...c.i32_store(local('dst'), 4, c.i32_load(local('src'), 8)),
      ...c.call('zr_fromFf', c.i32_add(local('src'), c.i32_const(12)), value),
      ...c.call('zr_mul', value, c.i32_const(factor), value),
    ]),
  );
  module.exportFunction('zr_zkCoefficients');
}

/** A loop of `body` over n elements (param n, counted down), each pointer param advanced by its element's bytes after each. */
function eachElement(c: CodeBuilder, pointers: Record<string, number>, body: Code): Code {
  const advance = Object.entries(pointers).flatMap(([pointer, bytes]) => c.setLocal(pointer, c.i32_add(c.getLocal(pointer), c.i32_const(bytes))));
  return c.block(
    c.loop(
      c.br_if(1, c.i32_eqz(c.getLocal('n'))),
      body,
      advance,
      c.setLocal('n', c.i32_sub(c.getLocal('n'), c.i32_const(1))),
      c.br(0),
    ),
  );
}

/**
 * `zr_zkWitness(plain, values, kinds, n)`: n plain 32-byte witness values to their kinds (u32:
 * 0, 1, or 2 for any other value), and the others to zr form at values (zr_fromFf gives w·2^5,
 * times 2^517 mod p makes w·2^261). Zeros and ones leave their place in values as it was.
 */
function addWitness(module: ModuleBuilder): void {
  const factor = constant(module, (1n << 517n) % FIELD_MODULUS);
  const f = module.addFunction('zr_zkWitness');
  for (const param of ['plain', 'values', 'kinds', 'n']) f.addParam(param, 'i32');
  f.addLocal('high', 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const word = (i: number) => c.i32_load(local('plain'), 4 * i);
  // high: the OR of words 1…7; the value is 0 or 1 when it is 0 and word 0 is.
  const high = Array.from({ length: 7 }, (_, i) => word(i + 1)).reduce((a, b) => c.i32_or(a, b));
  f.addCode(
    eachElement(c, { plain: FR_BYTES, values: ZQ_BYTES, kinds: WITNESS_KIND_BYTES }, [
      ...c.setLocal('high', high),
      ...c.if(
        c.i32_and(c.i32_eqz(local('high')), c.i32_eqz(c.i32_and(word(0), c.i32_const(-2)))),
        c.i32_store(local('kinds'), 0, word(0)),
        [
          ...c.i32_store(local('kinds'), 0, c.i32_const(KIND.other)),
          ...c.call('zr_fromFf', local('plain'), local('values')),
          ...c.call('zr_mul', local('values'), c.i32_const(factor), local('values')),
        ],
      ),
    ]),
  );
  module.exportFunction('zr_zkWitness');
}

/**
 * `zr_zkBuildABC(coefficients, nCoefficients, values, kinds, a, b, c, from, count)`: for the
 * constraints from … from + count - 1, A·w and B·w at a and b (zr form, element k at k·36), Σ of
 * the coefficients of matrix 0 (A) or 1 (B) at that constraint times their signal's value (zr_zkWitness's
 * values and kinds), and C = A∘B at c. Every coefficient is read; those outside the range are
 * skipped, so that a proof's threads each take a range.
 */
function addBuildABC(module: ModuleBuilder): void {
  const f = module.addFunction('zr_zkBuildABC');
  for (const param of ['coefficients', 'nCoefficients', 'values', 'kinds', 'a', 'b', 'c', 'from', 'count']) f.addParam(param, 'i32');
  for (const local of ['entry', 'end', 'word', 'kind', 'out', 'signal', 'k', 'pa', 'pb', 'pc']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const set = (n: string, value: Code) => c.setLocal(n, value);
  const add = (x: Code, y: Code) => c.i32_add(x, y);
  const elementAt = (array: string, index: Code) => add(local(array), c.i32_mul(index, c.i32_const(ZQ_BYTES)));
  const at = (pointer: string, offset = 0) => limbsAt(c, () => add(local(pointer), c.i32_const(offset)));
  const product = localLimbs(f, 'product');
  const value = at('entry', 8);
  /** Loops k over the range's constraints, pa, pb and pc pointing at element from + k of a, b and c. */
  const overRange = (body: Code[]) => [
    ...set('k', c.i32_const(0)),
    ...c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('k'), local('count'))),
        set('pa', elementAt('a', add(local('from'), local('k')))),
        set('pb', elementAt('b', add(local('from'), local('k')))),
        set('pc', elementAt('c', add(local('from'), local('k')))),
        ...body,
        set('k', add(local('k'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  ];
  const zero = (pointer: string) => Array.from({ length: LIMBS }, (_, i) => c.i32_store(local(pointer), i * 4, c.i32_const(0))).flat();
  f.addCode(
    overRange([zero('pa'), zero('pb')]),
    set('entry', local('coefficients')),
    set('end', add(local('coefficients'), c.i32_mul(local('nCoefficients'), c.i32_const(COEFFICIENT_BYTES)))),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('entry'), local('end'))),
        set('word', c.i32_load(local('entry'))),
        set('k', c.i32_sub(c.i32_shr_u(local('word'), c.i32_const(1)), local('from'))),
        set('signal', c.i32_load(local('entry'), 4)),
        // In the range (k < count, unsigned) and on a nonzero signal.
        c.if(
          c.i32_eqz(c.i32_ge_u(local('k'), local('count'))),
          [
            ...set('kind', c.i32_load(add(local('kinds'), c.i32_mul(local('signal'), c.i32_const(WITNESS_KIND_BYTES))))),
            ...c.if(c.i32_ne(local('kind'), c.i32_const(KIND.zero)), [
              ...set('out', elementAt('a', add(local('from'), local('k')))),
              ...c.if(c.i32_and(local('word'), c.i32_const(1)), set('out', elementAt('b', add(local('from'), local('k'))))),
              ...c.if(
                c.i32_eq(local('kind'), c.i32_const(KIND.one)),
                emitAddOrSubtract(f, 'zr', 'add', at('out').load, value.load, at('out').store, 'one_'),
                [
                  ...set('signal', elementAt('values', local('signal'))),
                  ...emitMontgomeryMul(f, 'zr', value.load, at('signal').load, product.store, 'mul_'),
                  ...emitAddOrSubtract(f, 'zr', 'add', at('out').load, product.load, at('out').store, 'sum_'),
                ],
              ),
            ]),
          ],
        ),
        set('entry', add(local('entry'), c.i32_const(COEFFICIENT_BYTES))),
        c.br(0),
      ),
    ),
    overRange([c.call('zr_mul', local('pa'), local('pb'), local('pc'))]),
  );
  module.exportFunction('zr_zkBuildABC');
}
