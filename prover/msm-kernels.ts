/**
 * The WebAssembly kernels of the MSM (prover/msm.ts), generated into ffjavascript's bn128 module
 * by prover/wasm-module.ts after prover/field29.ts's functions: `${group}_zkBatchAddAffine`, a
 * batch of affine additions sharing one field inversion, `${group}_zkBatchDoubleAffine`, and the
 * operands' copies into bucket order (`${group}_zkScatter`, `${group}_zkGather`), for both groups,
 * on field29's fields. Code generation only; msm.ts schedules the calls.
 */
import { LIMBS, type Limbs, ZQ_BYTES, copyLimbs, elementAt, emitAddOrSubtract, emitMontgomeryMul, lazyDifference, limbsAt, localLimbs, oneLimbs } from './field29.js';
import type { Code, CodeBuilder, FunctionBuilder, ModuleBuilder } from './wasm-module.js';

export type Group = 'G1' | 'G2';

export interface GroupCode {
  /** Function prefix of the group in ffjavascript's form (g1m_addMixed, …) and of its base field. */
  group: 'g1m' | 'g2m';
  ffField: 'f1m' | 'f2m';
  /** Prefix of the base field in the MSM's own form (prover/field29.ts). */
  field: 'zq' | 'zq2';
  /** Fq elements per base-field element (1 or 2). */
  degree: number;
}

export const CODE: Record<Group, GroupCode> = {
  G1: { group: 'g1m', ffField: 'f1m', field: 'zq', degree: 1 },
  G2: { group: 'g2m', ffField: 'f2m', field: 'zq2', degree: 2 },
};

/** Most additions in one batch (the module's static scratch holds two field elements per entry). */
export const MAX_BATCH = 4096;
/** A batch entry: out, a, b (pointers), flags (0 from the caller; the batch sets 2 where x is equal: redo). */
export const ENTRY_BYTES = 16;

/** Add the batch-affine addition and doubling, the scatter and the gather of both groups to a module being built (after prover/field29.ts's functions). */
export function addBatchAddAffine(module: ModuleBuilder): void {
  for (const code of Object.values(CODE)) {
    addBatchAddAffineTo(module, code);
    addBatchDoubleAffineTo(module, code);
    addGatherTo(module, code);
    addScatterTo(module, code);
  }
}

/**
 * `${group}_zkScatter(points, used, slotOf, m, slots)`: for k < m with slotOf[k] ≥ 0 (i32 each),
 * copies the affine point points + used[k]·size (MSM field form) to slots + (slotOf[k] >> 1)·size,
 * negated where slotOf[k] is odd. The bases are read in order, and each written where its digit
 * sorts it: the reads of a gather in bucket order wait on memory, the writes of a scatter do not.
 */
function addScatterTo(module: ModuleBuilder, { group, degree }: GroupCode): void {
  const n8 = degree * ZQ_BYTES;
  const name = `${group}_zkScatter`;
  const f = module.addFunction(name);
  for (const param of ['points', 'used', 'slotOf', 'm', 'slots']) f.addParam(param, 'i32');
  for (const local of ['k', 'slot', 'from', 'to']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const at = (array: string) => c.i32_load(c.i32_add(local(array), c.i32_shl(local('k'), c.i32_const(2))));
  // The copies inlined (a call per coordinate cost about a fifth of the scatter), y negated as zq_neg does (0 - y, plus 2p if it borrows).
  const element = (pointer: string, offset: number) => limbsAt(c, () => c.i32_add(local(pointer), c.i32_const(offset)));
  const copy = (offset: number) => Array.from({ length: LIMBS }, (_, i) => c.i32_store(local('to'), offset + 4 * i, c.i32_load(local('from'), offset + 4 * i))).flat();
  const coordinates = (first: number) => Array.from({ length: degree }, (_, d) => first + d * ZQ_BYTES);
  const negate = (offset: number, d: number) => emitAddOrSubtract(f, 'zq', 'sub', () => c.i64_const(0), element('from', offset).load, element('to', offset).store, `neg${d}_`);
  f.addCode(
    c.setLocal('k', c.i32_const(0)),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('k'), local('m'))),
        c.setLocal('slot', at('slotOf')),
        c.if(c.i32_ge_s(local('slot'), c.i32_const(0)), [
          ...c.setLocal('from', c.i32_add(local('points'), c.i32_mul(at('used'), c.i32_const(2 * n8)))),
          ...c.setLocal('to', c.i32_add(local('slots'), c.i32_mul(c.i32_shr_u(local('slot'), c.i32_const(1)), c.i32_const(2 * n8)))),
          ...coordinates(0).flatMap(copy),
          ...c.if(c.i32_and(local('slot'), c.i32_const(1)), coordinates(n8).flatMap(negate), coordinates(n8).flatMap(copy)),
        ]),
        c.setLocal('k', c.i32_add(local('k'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction(name);
}

/**
 * `${group}_zkGather(sources, negate, n, out)`: copies n affine points in the MSM's field form,
 * from the pointers sources[k] (i32) to out + k·size, negating those whose negate[k] (u8) is 1.
 * The MSM gathers the points whose scalar is 1 into their bucket this way (the other operands by
 * zkScatter): the copies' loads are independent and overlap, where the additions would wait on
 * each of them in turn.
 */
function addGatherTo(module: ModuleBuilder, { group, field, degree }: GroupCode): void {
  const n8 = degree * ZQ_BYTES;
  const name = `${group}_zkGather`;
  const f = module.addFunction(name);
  for (const param of ['sources', 'negate', 'n', 'out']) f.addParam(param, 'i32');
  for (const local of ['k', 'from', 'to']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const F = (op: string, ...args: Code[]) => c.call(`${field}_${op}`, ...args);
  const local = (n: string) => c.getLocal(n);
  f.addCode(
    c.setLocal('k', c.i32_const(0)),
    c.setLocal('to', local('out')),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('k'), local('n'))),
        c.setLocal('from', c.i32_load(c.i32_add(local('sources'), c.i32_shl(local('k'), c.i32_const(2))))),
        F('copy', local('from'), local('to')),
        c.if(
          c.i32_load8_u(c.i32_add(local('negate'), local('k'))),
          F('neg', c.i32_add(local('from'), c.i32_const(n8)), c.i32_add(local('to'), c.i32_const(n8))),
          F('copy', c.i32_add(local('from'), c.i32_const(n8)), c.i32_add(local('to'), c.i32_const(n8))),
        ),
        c.setLocal('to', c.i32_add(local('to'), c.i32_const(2 * n8))),
        c.setLocal('k', c.i32_add(local('k'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction(name);
}

/**
 * The body of a batch function over n entries that each need 1/denominator, by Montgomery's
 * trick: pass 1 runs `locate` (which may set locals from local k) and `denominator` (which writes
 * entry k's nonzero denominator at local 'denominator') and keeps the running products; one
 * inversion; pass 2 goes backwards, runs `locate` and then `use` with local `t` = 1/denominator.
 * Returns the body; it adds the locals k, denominator and product to the function.
 */
function batchInversion(
  module: ModuleBuilder,
  f: FunctionBuilder,
  field: GroupCode['field'],
  n8: number,
  parts: (t: Code) => { locate: Code; denominator: Code; use: Code },
): Code {
  for (const local of ['k', 'denominator', 'product']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const denominators = module.alloc(MAX_BATCH * n8);
  const products = module.alloc(MAX_BATCH * n8);
  const [inverse, t] = [c.i32_const(module.alloc(n8)), c.i32_const(module.alloc(n8))];
  const F = (op: string, ...args: Code[]) => c.call(`${field}_${op}`, ...args);
  const local = (n: string) => c.getLocal(n);
  const { locate, denominator, use } = parts(t);
  const at = [
    ...c.setLocal('denominator', c.i32_add(c.i32_const(denominators), c.i32_mul(local('k'), c.i32_const(n8)))),
    ...c.setLocal('product', c.i32_add(c.i32_const(products), c.i32_mul(local('k'), c.i32_const(n8)))),
    ...locate,
  ];
  const previousProduct = c.i32_sub(local('product'), c.i32_const(n8));
  return [
    // Pass 1: product_k = product_(k-1)·denominator_k, from product_(-1) = 1, so that a product
    // is normalized even when the denominators are lazy (a multiplication takes one lazy operand).
    ...c.setLocal('k', c.i32_const(0)),
    ...c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('k'), local('n'))),
        at,
        denominator,
        c.if(c.i32_eqz(local('k')), F('one', local('product'))),
        F('mul', c.i32_sub(local('product'), c.i32_mul(c.i32_ne(local('k'), c.i32_const(0)), c.i32_const(n8))), local('denominator'), local('product')),
        c.setLocal('k', c.i32_add(local('k'), c.i32_const(1))),
        c.br(0),
      ),
    ),
    ...F('inverse', c.i32_add(c.i32_const(products), c.i32_mul(c.i32_sub(local('n'), c.i32_const(1)), c.i32_const(n8))), inverse),
    // Pass 2, backwards: 1/denominator_k from the inverse of the product so far.
    ...c.setLocal('k', local('n')),
    ...c.block(
      c.loop(
        c.br_if(1, c.i32_eqz(local('k'))),
        c.setLocal('k', c.i32_sub(local('k'), c.i32_const(1))),
        at,
        c.if(c.i32_eqz(local('k')), F('copy', inverse, t), F('mul', inverse, previousProduct, t)),
        F('mul', inverse, local('denominator'), inverse),
        use,
        c.br(0),
      ),
    ),
  ];
}

/**
 * `${group}_zkBatchAddAffine(entries, n, specials) → count`: for each of n entries (out, a, b,
 * flags), out = a + b, affine points in the MSM's field form, all with one inversion; out may be
 * a; flags are 0. Entries whose x coordinates are equal are left alone, flagged 2, and their
 * indices written to `specials`; the count of them is returned. G1's is generated with its
 * multiplications inlined (addG1BatchAddAffine); G2's calls Fq2's functions.
 */
function addBatchAddAffineTo(module: ModuleBuilder, code: GroupCode): void {
  if (code.degree === 1) addG1BatchAddAffine(module);
  else addCalledBatchAddAffine(module, code);
}

/** The batch addition by calls on the field's functions, values in the module's scratch (G2's). */
function addCalledBatchAddAffine(module: ModuleBuilder, { group, field, degree }: GroupCode): void {
  const n8 = degree * ZQ_BYTES;
  const name = `${group}_zkBatchAddAffine`;
  const f = module.addFunction(name);
  f.addParam('entries', 'i32');
  f.addParam('n', 'i32');
  f.addParam('specials', 'i32');
  f.setReturnType('i32');
  for (const local of ['entry', 'out', 'a', 'b', 'nSpecial']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const [lambda, x3] = [c.i32_const(module.alloc(n8)), c.i32_const(module.alloc(n8))];
  const F = (op: string, ...args: Code[]) => c.call(`${field}_${op}`, ...args);
  const local = (n: string) => c.getLocal(n);
  const y = (point: string) => c.i32_add(local(point), c.i32_const(n8));
  const body = batchInversion(module, f, field, n8, (t) => ({
    locate: locateEntry(c),
    // The denominator x_b - x_a; an equal x is set aside (denominator := 1).
    denominator: [
      ...F('sub', local('b'), local('a'), local('denominator')),
      ...c.if(F('isZero', local('denominator')), [...setAside(c), ...F('one', local('denominator'))]),
    ],
    // λ = (y_b - y_a)·t, x₃ = λ² - x_a - x_b, y₃ = λ(x_a - x₃) - y_a.
    use: c.if(c.i32_eqz(c.i32_and(c.i32_load(local('entry'), 12), c.i32_const(2))), [
      ...F('sub', y('b'), y('a'), lambda),
      ...F('mul', lambda, t, lambda),
      ...F('square', lambda, x3),
      ...F('sub', x3, local('a'), x3),
      ...F('sub', x3, local('b'), x3),
      ...F('sub', local('a'), x3, t),
      ...F('mul', t, lambda, t),
      ...F('sub', t, y('a'), y('out')),
      ...F('copy', x3, local('out')),
    ]),
  }));
  f.addCode(c.if(c.i32_eqz(local('n')), c.ret(c.i32_const(0))), c.setLocal('nSpecial', c.i32_const(0)), body, local('nSpecial'));
  module.exportFunction(name);
}

/** Sets locals entry, out, a and b from entry k of the batch (locals entries, k). */
function locateEntry(c: CodeBuilder): Code {
  const local = (n: string) => c.getLocal(n);
  return [
    ...c.setLocal('entry', c.i32_add(local('entries'), c.i32_mul(local('k'), c.i32_const(ENTRY_BYTES)))),
    ...c.setLocal('out', c.i32_load(local('entry'))),
    ...c.setLocal('a', c.i32_load(local('entry'), 4)),
    ...c.setLocal('b', c.i32_load(local('entry'), 8)),
  ];
}

/** Entry k (locals entry, k) set aside for its equal x: listed in specials, flagged 2. */
function setAside(c: CodeBuilder): Code {
  const local = (n: string) => c.getLocal(n);
  return [
    ...c.i32_store(c.i32_add(local('specials'), c.i32_shl(local('nSpecial'), c.i32_const(2))), 0, local('k')),
    ...c.setLocal('nSpecial', c.i32_add(local('nSpecial'), c.i32_const(1))),
    ...c.i32_store(local('entry'), 12, c.i32_or(c.i32_load(local('entry'), 12), c.i32_const(2))),
  ];
}

/**
 * G1's batch addition with every field multiplication inlined (field29's emitMontgomeryMul) and
 * its values in locals: pass 1 keeps the running product of the denominators x_b - x_a in locals
 * and stores it per entry; pass 2 keeps the inverse in locals, recomputes each denominator (a lazy
 * difference, no carries) instead of reading it back, and adds (plainAddition). Calls cost about
 * a fifth of a multiplication, and each multiplication on memory stores and reloads its limbs.
 * Product k is stored at slot k + 1; slot 0 holds 1, so that entry 0 needs no case of its own.
 */
function addG1BatchAddAffine(module: ModuleBuilder): void {
  const name = 'g1m_zkBatchAddAffine';
  const f = module.addFunction(name);
  f.addParam('entries', 'i32');
  f.addParam('n', 'i32');
  f.addParam('specials', 'i32');
  f.setReturnType('i32');
  for (const local of ['k', 'entry', 'out', 'a', 'b', 'nSpecial', 'product']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const products = module.alloc((MAX_BATCH + 1) * ZQ_BYTES);
  const inverse = module.alloc(ZQ_BYTES);
  // The running product in pass 1, the inverse of the product so far in pass 2.
  const running = localLimbs(f, 'running');
  const t = localLimbs(f, 't');
  const xOf = (point: string) => limbsAt(c, () => local(point)).load;
  const denominator = lazyDifference(c, 'zq', xOf('b'), xOf('a'));
  const product = limbsAt(c, () => local('product'));
  const previous = limbsAt(c, () => c.i32_sub(local('product'), c.i32_const(ZQ_BYTES)));
  const productAt = (k: Code) => c.i32_add(c.i32_const(products + ZQ_BYTES), c.i32_mul(k, c.i32_const(ZQ_BYTES)));
  const locate = [...locateEntry(c), ...c.setLocal('product', productAt(local('k')))];
  const loop = (...body: Code[]) => c.block(c.loop(...body, c.br(0)));
  f.addCode(
    c.if(c.i32_eqz(local('n')), c.ret(c.i32_const(0))),
    c.setLocal('nSpecial', c.i32_const(0)),
    // Pass 1: product_k = product_(k-1)·denominator_k (1 for an equal x), from product_(-1) = 1.
    copyLimbs(oneLimbs(c, 'zq'), running.store),
    copyLimbs(running.load, limbsAt(c, () => c.i32_const(products)).store),
    c.setLocal('k', c.i32_const(0)),
    loop(
      c.br_if(1, c.i32_eq(local('k'), local('n'))),
      locate,
      c.if(c.call('zq_equal', local('a'), local('b')), setAside(c), emitMontgomeryMul(f, 'zq', denominator, running.load, running.store, 'forward_')),
      copyLimbs(running.load, product.store),
      c.setLocal('k', c.i32_add(local('k'), c.i32_const(1))),
    ),
    c.call('zq_inverse', productAt(c.i32_sub(local('n'), c.i32_const(1))), c.i32_const(inverse)),
    copyLimbs(limbsAt(c, () => c.i32_const(inverse)).load, running.store),
    // Pass 2, backwards: t = 1/denominator_k = inverse·product_(k-1); inverse ·= denominator_k.
    c.setLocal('k', local('n')),
    loop(
      c.br_if(1, c.i32_eqz(local('k'))),
      c.setLocal('k', c.i32_sub(local('k'), c.i32_const(1))),
      locate,
      c.if(c.i32_eqz(c.i32_and(c.i32_load(local('entry'), 12), c.i32_const(2))), [
        ...emitMontgomeryMul(f, 'zq', running.load, previous.load, t.store, 'backward_'),
        ...emitMontgomeryMul(f, 'zq', denominator, running.load, running.store, 'inverse_'),
        ...plainAddition(f, t.load),
      ]),
    ),
    local('nSpecial'),
  );
  module.exportFunction(name);
}

/**
 * out = a + b for the G1 entry in locals a, b, out, with t = 1/(x_b - x_a): λ = (y_b - y_a)·t,
 * x₃ = λ² - x_a - x_b, y₃ = λ(x_a - x₃) - y_a, inlined, values in locals.
 */
function plainAddition(f: FunctionBuilder, t: Limbs): Code {
  const c = f.getCodeBuilder();
  const point = (name: string, coordinate: 0 | 1) => elementAt(c, name, coordinate);
  const [lambda, square, x3a, x3, product] = ['plambda', 'psquare', 'px3a_', 'px3_', 'pm_'].map((prefix) => localLimbs(f, prefix)) as [Local, Local, Local, Local, Local];
  return [
    ...emitMontgomeryMul(f, 'zq', lazyDifference(c, 'zq', point('b', 1).load, point('a', 1).load), t, lambda.store, 'p1_'),
    ...emitMontgomeryMul(f, 'zq', lambda.load, undefined, square.store, 'p2_'),
    ...emitAddOrSubtract(f, 'zq', 'sub', square.load, point('a', 0).load, x3a.store, 'p3_'),
    ...emitAddOrSubtract(f, 'zq', 'sub', x3a.load, point('b', 0).load, x3.store, 'p4_'),
    ...emitMontgomeryMul(f, 'zq', lazyDifference(c, 'zq', point('a', 0).load, x3.load), lambda.load, product.store, 'p5_'),
    ...emitAddOrSubtract(f, 'zq', 'sub', product.load, point('a', 1).load, point('out', 1).store, 'p6_'),
    ...Array.from({ length: LIMBS }, (_, i) => point('out', 0).store(i, x3.load(i))).flat(),
  ];
}

type Local = ReturnType<typeof localLimbs>;

/**
 * `${group}_zkBatchDoubleAffine(points, n)`: doubles in place each of n ≤ MAX_BATCH contiguous
 * affine points in the MSM's field form, all with one inversion: λ = 3x² / 2y, x' = λ² - 2x,
 * y' = λ(x - x') - y. A point at infinity, stored as (0, 0), stays so (the groups have no other
 * point with y = 0). For the precomputed window multiples (Msm.bases).
 */
function addBatchDoubleAffineTo(module: ModuleBuilder, { group, field, degree }: GroupCode): void {
  const n8 = degree * ZQ_BYTES;
  const name = `${group}_zkBatchDoubleAffine`;
  const f = module.addFunction(name);
  f.addParam('points', 'i32');
  f.addParam('n', 'i32');
  for (const local of ['x', 'y']) f.addLocal(local, 'i32');
  const c = f.getCodeBuilder();
  const [lambda, x2] = [c.i32_const(module.alloc(n8)), c.i32_const(module.alloc(n8))];
  const F = (op: string, ...args: Code[]) => c.call(`${field}_${op}`, ...args);
  const local = (n: string) => c.getLocal(n);
  const body = batchInversion(module, f, field, n8, (t) => ({
    locate: [
      ...c.setLocal('x', c.i32_add(local('points'), c.i32_mul(local('k'), c.i32_const(2 * n8)))),
      ...c.setLocal('y', c.i32_add(local('x'), c.i32_const(n8))),
    ],
    // The denominator 2y (1 for a point at infinity).
    denominator: c.if(F('isZero', local('y')), F('one', local('denominator')), F('add', local('y'), local('y'), local('denominator'))),
    use: c.if(c.i32_eqz(F('isZero', local('y'))), [
      ...F('square', local('x'), lambda),
      ...F('add', lambda, lambda, x2),
      ...F('add', x2, lambda, lambda),
      ...F('mul', lambda, t, lambda),
      ...F('square', lambda, x2),
      ...F('sub', x2, local('x'), x2),
      ...F('sub', x2, local('x'), x2),
      ...F('sub', local('x'), x2, t),
      ...F('mul', t, lambda, t),
      ...F('sub', t, local('y'), local('y')),
      ...F('copy', x2, local('x')),
    ]),
  }));
  f.addCode(c.if(c.i32_eqz(local('n')), c.ret([])), body);
  module.exportFunction(name);
}
