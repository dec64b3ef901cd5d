/**
 * bn128's fields in nine 29-bit limbs, for the prover's hot loops: Fq and Fq2 for the MSM's
 * batch-affine additions (prover/msm.ts), Fr for the QAP's FFTs (prover/fft.ts). Added to the
 * prover's WebAssembly module (prover/wasm-module.ts) beside ffjavascript's 32-bit-limb fields.
 *
 * WebAssembly has no 64×64→128-bit product, so a 256-bit field multiplication is built from
 * 32×32→64-bit ones. With 32-bit limbs every product must be split into halves before it can be
 * added to a column (ffjavascript's f1m_mul: about 5 operations per product, in one dependency
 * chain). With 29-bit limbs a product has 58 bits and a column of up to 18 of them fits in 64 bits,
 * so products are simply added and the carry is taken once per column: nine limbs instead of eight,
 * but about 1.4 times faster here, and squaring skips the repeated products.
 *
 * The representation (prefix zq for Fq, zr for Fr): 9 little-endian u32 limbs of 29 bits (36
 * bytes), Montgomery form with R = 2^261, any value in [0, 2p) (a multiplication of values below
 * 8p returns one below 2p because 64p < R, so it never needs a final subtraction). Sums for a
 * multiplication may be formed limb by limb without carrying (_addLimbs: limbs below 2^30, value
 * below 4p): a column then stays below 9·2^60 + 8·2^58 + 2^35 < 2^64. Everything else returns
 * normalized limbs.
 *
 * Fq2 ("zq2", 72 bytes) is c0 + c1·u with u² = -1, as ffjavascript's f2m for bn128. Its product
 * reduces lazily: each coordinate is two products' columns summed (x1 negated limb by limb as
 * 4p − x1) and one Montgomery reduction, four products and two reductions where Karatsuba takes
 * three and three plus subtractions. Small linear combinations (the pairing's ξx + y, 3x − 2y)
 * are carried and reduced in one pass (emitReduceSmall). The pairing's tower on top of these is
 * prover/pairing-kernels.ts.
 *
 * Conversions: _fromFf/_toFf move between ffjavascript's form (32 bytes, R = 2^256, below p) and
 * this one, zr_toNormal to a plain 32-byte integer below r (an MSM scalar). Bases and tables are
 * converted once at load; per proof only the QAP's values and the MSMs' few bucket sums are.
 */
import type { Code, CodeBuilder, FunctionBuilder, ModuleBuilder } from './wasm-module.js';
import { BASE_FIELD_MODULUS, FIELD_MODULUS } from '../core/field.js';

export const LIMBS = 9;
export const LIMB_BITS = 29;
const MASK = (1 << LIMB_BITS) - 1;
/** Bytes of one element in this form. */
export const ZQ_BYTES = LIMBS * 4;
/** Bytes of one element in ffjavascript's form. */
const FF_BYTES = 32;

/** The limbs of a plain integer below 2^261. */
export function toLimbs(value: bigint): number[] {
  return Array.from({ length: LIMBS }, (_, i) => Number((value >> BigInt(LIMB_BITS * i)) & BigInt(MASK)));
}

/** The limbs of a plain integer below 2^261, as the bytes of one element in memory. */
export function limbBytes(value: bigint): Uint8Array {
  return new Uint8Array(Uint32Array.from(toLimbs(value)).buffer);
}

function inverseMod(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [((a % m) + m) % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const k = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - k * r1, s1, s0 - k * s1];
  }
  return ((s0 % m) + m) % m;
}

const R = 1n << BigInt(LIMBS * LIMB_BITS);

/** One prime field: its function prefix, ffjavascript's prefix for it, and its modulus's limbs. */
interface Prime {
  prefix: 'zq' | 'zr';
  ff: 'f1m' | 'frm';
  modulus: bigint;
  limbs: number[];
  twice: number[];
  /** -1/p mod 2^29: the Montgomery reduction's multiplier. */
  negInverse: number;
}

function prime(prefix: Prime['prefix'], ff: Prime['ff'], modulus: bigint): Prime {
  const base = 1n << BigInt(LIMB_BITS);
  return { prefix, ff, modulus, limbs: toLimbs(modulus), twice: toLimbs(2n * modulus), negInverse: Number(base - inverseMod(modulus, base)) };
}

const PRIMES: Record<Prime['prefix'], Prime> = { zq: prime('zq', 'f1m', BASE_FIELD_MODULUS), zr: prime('zr', 'frm', FIELD_MODULUS) };

/** Add zq_*, zq2_* and zr_* (see the header) to a module that already has ffjavascript's bn128. */
export function addFields29(module: ModuleBuilder): void {
  const scratch = module.alloc(2 * FF_BYTES);
  for (const p of Object.values(PRIMES)) addPrimeField(module, p, scratch);
  addFq2(module, scratch);
}

function addPrimeField(module: ModuleBuilder, p: Prime, scratch: number): void {
  const { prefix, modulus } = p;
  const constant = (value: bigint) => module.alloc(ZQ_BYTES, limbBytes(value));
  const zero = constant(0n);
  addMul(module, p, false);
  addMul(module, p, true);
  addAddSub(module, p, 'add');
  addAddSub(module, p, 'sub');
  addUnary(module, `${prefix}_neg`, (c, x, r) => c.call(`${prefix}_sub`, c.i32_const(zero), x, r));
  addUnary(module, `${prefix}_copy`, (c, x, r) => Array.from({ length: LIMBS }, (_, i) => c.i32_store(r, i * 4, c.i32_load(x, i * 4))).flat());
  addConstant(module, `${prefix}_one`, constant(R % modulus), ZQ_BYTES);
  addAddLimbs(module, p);
  addSubLazy(module, p);
  addIsZero(module, p);
  addEqual(module, p);
  // _mul(v, 2^266 mod p) = v·2^5 turns v = a·2^256 (ffjavascript's) into a·2^261; 2^256 mod p
  // takes it back, and 1 out of Montgomery form.
  addFromFf(module, p, constant((1n << 266n) % modulus));
  addExport(module, p, `${prefix}_toFf`, constant((1n << 256n) % modulus));
  addExport(module, p, `${prefix}_toNormal`, constant(1n));
  addUnary(module, `${prefix}_inverse`, (c, x, r) => [
    ...c.call(`${prefix}_toFf`, x, c.i32_const(scratch)),
    ...c.call(`${p.ff}_inverse`, c.i32_const(scratch), c.i32_const(scratch)),
    ...c.call(`${prefix}_fromFf`, c.i32_const(scratch), r),
  ]);
  addBatchConversion(module, `${prefix}_batchFromFf`, `${prefix}_fromFf`, FF_BYTES, ZQ_BYTES);
  addBatchConversion(module, `${prefix}_batchToFf`, `${prefix}_toFf`, ZQ_BYTES, FF_BYTES);
  for (const op of ['mul', 'square', 'add', 'sub', 'neg', 'copy', 'one', 'isZero', 'equal', 'inverse', 'addLimbs', 'subLazy', 'fromFf', 'toFf', 'toNormal']) {
    module.exportFunction(`${prefix}_${op}`);
  }
}

/** name(r): r = the constant at `pointer`. */
function addConstant(module: ModuleBuilder, name: string, pointer: number, bytes: number): void {
  const f = module.addFunction(name);
  f.addParam('r', 'i32');
  const c = f.getCodeBuilder();
  for (let i = 0; i < bytes; i += 4) f.addCode(c.i32_store(c.getLocal('r'), i, c.i32_load(c.i32_const(pointer), i)));
}

function addUnary(module: ModuleBuilder, name: string, body: (c: CodeBuilder, x: Code, r: Code) => Code): void {
  const f = module.addFunction(name);
  f.addParam('x', 'i32');
  f.addParam('r', 'i32');
  const c = f.getCodeBuilder();
  f.addCode(body(c, c.getLocal('x'), c.getLocal('r')));
}

function addBinary(module: ModuleBuilder, name: string, body: (c: CodeBuilder, x: Code, y: Code, r: Code) => Code): void {
  const f = module.addFunction(name);
  f.addParam('x', 'i32');
  f.addParam('y', 'i32');
  f.addParam('r', 'i32');
  const c = f.getCodeBuilder();
  f.addCode(body(c, c.getLocal('x'), c.getLocal('y'), c.getLocal('r')));
}

/** i64 locals named prefix0 … prefix8. */
function addLimbLocals(f: FunctionBuilder, ...prefixes: string[]): void {
  for (const prefix of prefixes) for (let i = 0; i < LIMBS; i++) f.addLocal(`${prefix}${i}`, 'i64');
}

/** Limb i (of nine) of an operand, as an i64 expression. */
export type Limbs = (i: number) => Code;
/** Stores limb i (an i64 expression) of a result. */
export type StoreLimb = (i: number, value: Code) => Code;

/** The limbs of the element at `pointer` (an i32 expression), and a store of them there. */
export function limbsAt(c: CodeBuilder, pointer: () => Code): { load: Limbs; store: StoreLimb } {
  return { load: (i) => c.i64_load32_u(pointer(), i * 4), store: (i, value) => c.i64_store32(pointer(), i * 4, value) };
}

/** The limbs of the j-th element from the address in local `pointer` (an Fq2 coordinate, a point's), and a store of them there. */
export function elementAt(c: CodeBuilder, pointer: string, j = 0): { load: Limbs; store: StoreLimb } {
  return limbsAt(c, () => c.i32_add(c.getLocal(pointer), c.i32_const(j * ZQ_BYTES)));
}

/** The code that stores every limb of `from` with `to` (into locals, or memory). */
export function copyLimbs(from: Limbs, to: StoreLimb): Code {
  return Array.from({ length: LIMBS }, (_, i) => to(i, from(i))).flat();
}

function addMul(module: ModuleBuilder, p: Prime, square: boolean): void {
  const f = module.addFunction(`${p.prefix}_${square ? 'square' : 'mul'}`);
  f.addParam('x', 'i32');
  if (!square) f.addParam('y', 'i32');
  f.addParam('r', 'i32');
  const c = f.getCodeBuilder();
  const at = (name: string) => limbsAt(c, () => c.getLocal(name));
  f.addCode(emitMontgomeryMul(f, p.prefix, at('x').load, square ? undefined : at('y').load, at('r').store));
}

/**
 * The code of the Montgomery product x·y/R (x²/R without y), normalized limbs below 2p, by product
 * scanning: column k of x·y and of q·m is summed, m_k chosen (k < 9) to clear the column's low 29
 * bits, and the column's carry taken into the next. x·y's part of a column is summed apart from
 * q·m's: it does not wait on the m's, so it is ready before the carry chain reaches it (about 15%
 * faster than one balanced sum of both). Its locals' names begin with `prefix`, so that a
 * function may hold several. With `plus`, (x·y + u·w)/R: both products' columns summed before
 * one reduction (lazy reduction); then u's limbs may reach 2^31 (a lazyDifference), x's, y's and
 * w's stay below 2^29, and a column stays below 9·2^58 + 9·2^60 + 9·2^58 + 2^35 < 2^64; the
 * result is below 2p while x·y + u·w < 16p².
 */
export function emitMontgomeryMul(f: FunctionBuilder, field: Prime['prefix'], x: Limbs, y: Limbs | undefined, store: StoreLimb, prefix = '', plus?: { u: Limbs; w: Limbs }): Code {
  const p = PRIMES[field];
  const square = y === undefined;
  const name = (n: string) => `${prefix}${n}`;
  addLimbLocals(f, name('x'), name('m'));
  if (!square) addLimbLocals(f, name('y'));
  if (plus) addLimbLocals(f, name('u'), name('w'));
  f.addLocal(name('s'), 'i64');
  const c = f.getCodeBuilder();
  const k64 = (v: number) => c.i64_const(v);
  const get = (n: string) => c.getLocal(name(n));
  const set = (n: string, value: Code) => c.setLocal(name(n), value);
  const code: Code[] = [];
  for (let i = 0; i < LIMBS; i++) {
    code.push(set(`x${i}`, x(i)));
    if (!square) code.push(set(`y${i}`, y(i)));
    if (plus) code.push(set(`u${i}`, plus.u(i)), set(`w${i}`, plus.w(i)));
  }
  const products = productColumns(c, square, name);
  const extra = plus && productColumns(c, false, name, 'u', 'w');
  const columns = extra ? products.map((column, k) => c.i64_add(column, extra[k]!)) : products;
  code.push(set('s', k64(0)));
  for (let k = 0; k < 2 * LIMBS - 1; k++) {
    const first = Math.max(0, k - LIMBS + 1);
    const last = Math.min(k, LIMBS - 1);
    const terms: Code[] = [columns[k]!];
    for (let i = Math.max(1, first); i <= last; i++) terms.push(c.i64_mul(k64(p.limbs[i]!), get(`m${k - i}`)));
    code.push(set('s', c.i64_add(get('s'), balancedSum(c, terms))));
    if (k < LIMBS) {
      code.push(set(`m${k}`, c.i64_and(c.i64_mul(get('s'), k64(p.negInverse)), k64(MASK))));
      code.push(set('s', c.i64_shr_u(c.i64_add(get('s'), c.i64_mul(k64(p.limbs[0]!), get(`m${k}`))), k64(LIMB_BITS))));
    } else {
      code.push(store(k - LIMBS, c.i64_and(get('s'), k64(MASK))));
      code.push(set('s', c.i64_shr_u(get('s'), k64(LIMB_BITS))));
    }
  }
  code.push(store(LIMBS - 1, get('s')));
  return code.flat();
}

/** A balanced sum, so that the terms need not wait on each other. */
function balancedSum(c: CodeBuilder, terms: Code[]): Code {
  let sums = terms;
  while (sums.length > 1) {
    const next: Code[] = [];
    for (let i = 0; i < sums.length; i += 2) next.push(i + 1 < sums.length ? c.i64_add(sums[i]!, sums[i + 1]!) : sums[i]!);
    sums = next;
  }
  return sums[0]!;
}

/** The 17 columns of x·y (or x²) from the limbs in locals x0… and y0… (or other names), as expressions. */
function productColumns(c: CodeBuilder, square: boolean, local: (name: string) => string, x = 'x', y = 'y'): Code[] {
  const get = (name: string) => c.getLocal(local(name));
  return Array.from({ length: 2 * LIMBS - 1 }, (_, k) => {
    const terms: Code[] = [];
    for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(k, LIMBS - 1); i++) {
      const j = k - i;
      if (!square) terms.push(c.i64_mul(get(`${x}${i}`), get(`${y}${j}`)));
      else if (i < j) terms.push(c.i64_shl(c.i64_mul(get(`${x}${i}`), get(`${x}${j}`)), c.i64_const(1)));
      else if (i === j) terms.push(c.i64_mul(get(`${x}${i}`), get(`${x}${i}`)));
    }
    return balancedSum(c, terms);
  });
}

/**
 * r = t - d·[t ≥ d] for the limbs in locals t0…t8 (normalized) and a constant d: the subtraction is
 * kept unless it borrowed. Uses locals d0…d8 and b.
 */
function conditionalSubtract(c: CodeBuilder, d: readonly number[], r: Code): Code {
  const out: Code[] = [c.setLocal('b', c.i64_const(0))];
  for (let i = 0; i < LIMBS; i++) {
    out.push(c.setLocal('b', c.i64_add(c.i64_sub(c.getLocal(`t${i}`), c.i64_const(d[i]!)), c.getLocal('b'))));
    out.push(c.setLocal(`d${i}`, c.i64_and(c.getLocal('b'), c.i64_const(MASK))));
    out.push(c.setLocal('b', c.i64_shr_s(c.getLocal('b'), c.i64_const(LIMB_BITS))));
  }
  out.push(select(c, 'd', 't', c.getLocal('b'), r));
  return out.flat();
}

/** Store limbs from locals `a`0… where `mask` is 0, from `b`0… where it is all ones. */
function select(c: CodeBuilder, a: string, b: string, mask: Code, r: Code): Code {
  return selectInto(c, a, b, mask, (i, value) => c.i64_store32(r, i * 4, value));
}

function selectInto(c: CodeBuilder, a: string, b: string, mask: Code, store: StoreLimb): Code {
  return Array.from({ length: LIMBS }, (_, i) => {
    const [x, y] = [c.getLocal(`${a}${i}`), c.getLocal(`${b}${i}`)];
    return store(i, c.i64_xor(x, c.i64_and(c.i64_xor(x, y), mask)));
  }).flat();
}

function addAddSub(module: ModuleBuilder, p: Prime, op: 'add' | 'sub'): void {
  const f = module.addFunction(`${p.prefix}_${op}`);
  f.addParam('x', 'i32');
  f.addParam('y', 'i32');
  f.addParam('r', 'i32');
  const c = f.getCodeBuilder();
  const at = (name: string) => limbsAt(c, () => c.getLocal(name));
  f.addCode(emitAddOrSubtract(f, p.prefix, op, at('x').load, at('y').load, at('r').store));
}

/**
 * The code of x + y (less 2p unless that borrows) or x - y (plus 2p if that borrowed), for x, y below 2p
 * in normalized limbs: both candidates are computed side by side, two independent carry chains,
 * and one is kept (a carry chain through nine limbs is the latency of these functions). Locals
 * are named from `prefix`, as emitMontgomeryMul's.
 */
export function emitAddOrSubtract(f: FunctionBuilder, field: Prime['prefix'], op: 'add' | 'sub', x: Limbs, y: Limbs, store: StoreLimb, prefix = ''): Code {
  const p = PRIMES[field];
  const name = (n: string) => `${prefix}${n}`;
  addLimbLocals(f, name('u'), name('v'), name('e'));
  f.addLocal(name('carryU'), 'i64');
  f.addLocal(name('carryV'), 'i64');
  const c = f.getCodeBuilder();
  const k64 = (v: number) => c.i64_const(v);
  const get = (n: string) => c.getLocal(name(n));
  const set = (n: string, value: Code) => c.setLocal(name(n), value);
  const add = op === 'add';
  const code: Code[] = [];
  code.push(set('carryU', k64(0)), set('carryV', k64(0)));
  for (let i = 0; i < LIMBS; i++) {
    // e = x ± y limb by limb; u = e + carries; v = e ∓ 2p + carries.
    code.push(set(`e${i}`, add ? c.i64_add(x(i), y(i)) : c.i64_sub(x(i), y(i))));
    code.push(set('carryU', c.i64_add(get(`e${i}`), get('carryU'))));
    code.push(set(`u${i}`, c.i64_and(get('carryU'), k64(MASK))));
    code.push(set('carryU', c.i64_shr_s(get('carryU'), k64(LIMB_BITS))));
    const twoP = k64(p.twice[i]!);
    code.push(set('carryV', c.i64_add(add ? c.i64_sub(get(`e${i}`), twoP) : c.i64_add(get(`e${i}`), twoP), get('carryV'))));
    code.push(set(`v${i}`, c.i64_and(get('carryV'), k64(MASK))));
    code.push(set('carryV', c.i64_shr_s(get('carryV'), k64(LIMB_BITS))));
  }
  // add: keep u = x + y when x + y - 2p borrowed (carryV = -1), else v.
  // sub: keep u = x - y unless it borrowed (carryU = -1), else v = x - y + 2p.
  code.push(add ? selectInto(c, name('v'), name('u'), get('carryV'), store) : selectInto(c, name('u'), name('v'), get('carryU'), store));
  return code.flat();
}

/** _addLimbs: x + y limb by limb, no carries: only as an operand of _mul or _square. */
function addAddLimbs(module: ModuleBuilder, p: Prime): void {
  addBinary(module, `${p.prefix}_addLimbs`, (c, x, y, r) =>
    Array.from({ length: LIMBS }, (_, i) => c.i32_store(r, i * 4, c.i32_add(c.i32_load(x, i * 4), c.i32_load(y, i * 4)))).flat(),
  );
}

/**
 * _subLazy: x - y + 4p limb by limb, no carries, for x, y normalized: only as an operand of _mul or
 * _square whose other operand is normalized. 4p is written with limbs of at least 2^29 - 1 (each
 * limb borrowing 2^29 from the next), so no limb goes negative; they stay below 2^31, the value
 * below 6p.
 */
function addSubLazy(module: ModuleBuilder, p: Prime): void {
  addBinary(module, `${p.prefix}_subLazy`, (c, x, y, r) => {
    const [from, to] = [limbsAt(c, () => x), limbsAt(c, () => r)];
    const difference = lazyDifference(c, p.prefix, from.load, limbsAt(c, () => y).load);
    return copyLimbs(difference, to.store);
  });
}

/** x - y + 4p limb by limb, no carries, for x, y normalized (_subLazy's, as expressions). */
export function lazyDifference(c: CodeBuilder, field: Prime['prefix'], x: Limbs, y: Limbs): Limbs {
  const offset = LAZY_OFFSETS[field];
  return (i) => c.i64_add(c.i64_sub(x(i), y(i)), c.i64_const(offset[i]!));
}

/** 4p in limbs of at least 2^29 - 1 (each limb borrowing 2^29 from the next), so that no limb of x - y + 4p goes negative; they stay below 2^31. */
function lazyOffset(p: Prime): number[] {
  const limbs = toLimbs(4n * p.modulus);
  const offset = limbs.map((limb, i) => limb + (i < LIMBS - 1 ? 2 ** LIMB_BITS : 0) - (i > 0 ? 1 : 0));
  if (offset.some((limb, i) => limb < (i < LIMBS - 1 ? 2 ** LIMB_BITS - 1 : 2 ** (255 - 8 * LIMB_BITS)) || limb >= 2 ** 30)) {
    throw new Error(`${p.prefix}: 4p has no limbs for lazy subtraction`);
  }
  return offset;
}

const LAZY_OFFSETS = { zq: lazyOffset(PRIMES.zq), zr: lazyOffset(PRIMES.zr) };

/**
 * The code that stores, in normalized limbs below 2p, a small linear combination of elements given
 * limb by limb without carries (e.g. 9x − y + 2p, with modulusLimbs): its value must lie in
 * [0, 32p) and each limb in (−2^61, 2^61), negative ones too. The limbs are carried once (signed); the top limb then gives
 * k = ⌊value/p⌋ or one less (a multiplication by a rounded-down reciprocal: it never exceeds it),
 * and k·p is subtracted in a second carry chain. Locals are named from `prefix`.
 */
export function emitReduceSmall(f: FunctionBuilder, field: Prime['prefix'], terms: Limbs, store: StoreLimb, prefix: string): Code {
  const p = PRIMES[field];
  const { load: carried, store: carry } = localLimbs(f, `${prefix}v`);
  const [s, k] = [`${prefix}s`, `${prefix}k`];
  f.addLocal(s, 'i64');
  f.addLocal(k, 'i64');
  const c = f.getCodeBuilder();
  const top = LIMB_BITS * (LIMBS - 1);
  const reciprocal = Number((1n << BigInt(RECIPROCAL_BITS + top)) / p.modulus);
  const code: Code[] = [c.setLocal(s, c.i64_const(0))];
  for (let i = 0; i < LIMBS; i++) {
    code.push(c.setLocal(s, c.i64_add(c.getLocal(s), terms(i))));
    if (i === LIMBS - 1) code.push(carry(i, c.getLocal(s)));
    else code.push(carry(i, c.i64_and(c.getLocal(s), c.i64_const(MASK))), c.setLocal(s, c.i64_shr_s(c.getLocal(s), c.i64_const(LIMB_BITS))));
  }
  code.push(c.setLocal(k, c.i64_shr_u(c.i64_mul(carried(LIMBS - 1), c.i64_const(reciprocal)), c.i64_const(RECIPROCAL_BITS))));
  code.push(c.setLocal(s, c.i64_const(0)));
  for (let i = 0; i < LIMBS; i++) {
    code.push(c.setLocal(s, c.i64_add(c.getLocal(s), c.i64_sub(carried(i), c.i64_mul(c.getLocal(k), c.i64_const(p.limbs[i]!))))));
    if (i === LIMBS - 1) code.push(store(i, c.getLocal(s)));
    else code.push(store(i, c.i64_and(c.getLocal(s), c.i64_const(MASK))), c.setLocal(s, c.i64_shr_s(c.getLocal(s), c.i64_const(LIMB_BITS))));
  }
  return code.flat();
}

/**
 * Bits of emitReduceSmall's reciprocal: k's estimate from the top limb t (bits 232 on, t < 2^28
 * below 32p) is ⌊t·⌊2^(232+40)/p⌋/2^40⌋, short of t·2^232/p by less than 2^28/2^40, and t·2^232 is
 * short of the value by less than 2^232 < p/2^21: k is ⌊value/p⌋ or one less, value − kp below 2p.
 * The product stays below 2^28·2^19 = 2^47.
 */
const RECIPROCAL_BITS = 40;

/** m·p as constant limbs (normalized, so m·p below 2^261). */
export function modulusLimbs(c: CodeBuilder, field: Prime['prefix'], multiple: number): Limbs {
  const limbs = toLimbs(BigInt(multiple) * PRIMES[field].modulus);
  return (i) => c.i64_const(limbs[i]!);
}

/** 1 in Montgomery form (R mod p), as constant limbs. */
export function oneLimbs(c: CodeBuilder, field: Prime['prefix']): Limbs {
  const limbs = toLimbs(R % PRIMES[field].modulus);
  return (i) => c.i64_const(limbs[i]!);
}

/** Nine i64 locals `${prefix}0…8` of f, as limbs to read and a place to store them. */
export function localLimbs(f: FunctionBuilder, prefix: string): { load: Limbs; store: StoreLimb } {
  addLimbLocals(f, prefix);
  const c = f.getCodeBuilder();
  return { load: (i) => c.getLocal(`${prefix}${i}`), store: (i, value) => c.setLocal(`${prefix}${i}`, value) };
}

/**
 * _equal(x, y): 1 if x ≡ y (mod p), for x, y normalized: x - y is then -p, 0 or p. The low limbs
 * rule out almost every unequal pair; the rest are settled by a subtraction.
 */
function addEqual(module: ModuleBuilder, p: Prime): void {
  const f = module.addFunction(`${p.prefix}_equal`);
  f.addParam('x', 'i32');
  f.addParam('y', 'i32');
  f.setReturnType('i32');
  f.addLocal('low', 'i32');
  const c = f.getCodeBuilder();
  const scratch = module.alloc(ZQ_BYTES);
  const low = p.limbs[0]!;
  f.addCode(
    c.setLocal('low', c.i32_and(c.i32_sub(c.i32_load(c.getLocal('x')), c.i32_load(c.getLocal('y'))), c.i32_const(MASK))),
    c.if(
      c.i32_and(
        c.i32_and(c.i32_ne(c.getLocal('low'), c.i32_const(0)), c.i32_ne(c.getLocal('low'), c.i32_const(low))),
        c.i32_ne(c.getLocal('low'), c.i32_const(2 ** LIMB_BITS - low)),
      ),
      c.ret(c.i32_const(0)),
    ),
    c.call(`${p.prefix}_sub`, c.getLocal('x'), c.getLocal('y'), c.i32_const(scratch)),
    c.call(`${p.prefix}_isZero`, c.i32_const(scratch)),
  );
}

/** _isZero(x): 1 if x ≡ 0 (mod p), that is x is 0 or p. */
function addIsZero(module: ModuleBuilder, p: Prime): void {
  const f = module.addFunction(`${p.prefix}_isZero`);
  f.addParam('x', 'i32');
  f.setReturnType('i32');
  f.addLocal('zero', 'i32');
  f.addLocal('isQ', 'i32');
  f.addLocal('limb', 'i32');
  const c = f.getCodeBuilder();
  f.addCode(c.setLocal('zero', c.i32_const(0)), c.setLocal('isQ', c.i32_const(0)));
  for (let i = 0; i < LIMBS; i++) {
    f.addCode(
      c.setLocal('limb', c.i32_load(c.getLocal('x'), i * 4)),
      c.setLocal('zero', c.i32_or(c.getLocal('zero'), c.getLocal('limb'))),
      c.setLocal('isQ', c.i32_or(c.getLocal('isQ'), c.i32_xor(c.getLocal('limb'), c.i32_const(p.limbs[i]!)))),
    );
  }
  f.addCode(c.i32_or(c.i32_eqz(c.getLocal('zero')), c.i32_eqz(c.getLocal('isQ'))));
}

/** _fromFf(a, r): ffjavascript's element (32 bytes, below 2^256) into this form. */
function addFromFf(module: ModuleBuilder, p: Prime, factor: number): void {
  const scratch = module.alloc(ZQ_BYTES);
  addUnary(module, `${p.prefix}_fromFf`, (c, x, r) => {
    const limbs = limbsOfInteger(c, () => x);
    const out = Array.from({ length: LIMBS }, (_, i) => c.i64_store32(c.i32_const(scratch), i * 4, limbs(i)));
    out.push(c.call(`${p.prefix}_mul`, c.i32_const(scratch), c.i32_const(factor), r));
    return out.flat();
  });
}

/** The nine 29-bit limbs of the 256-bit little-endian integer at `pointer`. */
function limbsOfInteger(c: CodeBuilder, pointer: () => Code): Limbs {
  return (i) => {
    // Limb i is bits 29i … 29i + 28; an unaligned 8-byte load holds them. The top limb has 24.
    const bit = i * LIMB_BITS;
    const width = Math.min(LIMB_BITS, 256 - bit);
    const word = bit + 64 <= 256 ? c.i64_load(pointer(), bit >> 3) : c.i64_shr_u(c.i64_load(pointer(), 24), c.i64_const(((bit >> 3) - 24) * 8));
    return c.i64_and(c.i64_shr_u(word, c.i64_const(bit & 7)), c.i64_const(2 ** width - 1));
  };
}

/**
 * Stores the low `words` 32-bit words of an integer given in normalized limbs (29 bits each),
 * word w by store(w, value): 32 bits of the i64 value. Uses the i64 local `temp`.
 */
function packWords(c: CodeBuilder, limbs: Limbs, words: number, temp: string, store: (w: number, value: Code) => Code): Code {
  const code: Code[] = [];
  let pending: Code = c.i64_const(0);
  let pendingBits = 0;
  let word = 0;
  for (let i = 0; i < LIMBS && word < words; i++) {
    pending = c.i64_or(pending, c.i64_shl(limbs(i), c.i64_const(pendingBits)));
    pendingBits += LIMB_BITS;
    if (pendingBits >= 32) {
      code.push(c.setLocal(temp, pending));
      code.push(store(word++, c.getLocal(temp)));
      pending = c.i64_shr_u(c.getLocal(temp), c.i64_const(32));
      pendingBits -= 32;
    }
  }
  return code.flat();
}

/** name(x, r): x·factor/R, reduced below p, as 32 bytes: ffjavascript's form, or the plain integer. */
function addExport(module: ModuleBuilder, p: Prime, name: string, factor: number): void {
  const f = module.addFunction(name);
  f.addParam('x', 'i32');
  f.addParam('r', 'i32');
  addLimbLocals(f, 't', 'd');
  f.addLocal('b', 'i64');
  const c = f.getCodeBuilder();
  const reduced = module.alloc(ZQ_BYTES);
  f.addCode(c.call(`${p.prefix}_mul`, c.getLocal('x'), c.i32_const(factor), c.i32_const(reduced)));
  for (let i = 0; i < LIMBS; i++) f.addCode(c.setLocal(`t${i}`, c.i64_load32_u(c.i32_const(reduced), i * 4)));
  f.addCode(conditionalSubtract(c, p.limbs, c.i32_const(reduced)));
  // Below p the bits from 256 up are zero.
  const limbs = limbsAt(c, () => c.i32_const(reduced)).load;
  f.addCode(packWords(c, limbs, 8, 'b', (w, value) => c.i64_store32(c.getLocal('r'), w * 4, value)));
}

/** name(src, dst, count): convert `count` consecutive elements with `one`. */
function addBatchConversion(module: ModuleBuilder, name: string, one: string, fromBytes: number, toBytes: number): void {
  const f = module.addFunction(name);
  f.addParam('src', 'i32');
  f.addParam('dst', 'i32');
  f.addParam('n', 'i32');
  const c = f.getCodeBuilder();
  f.addCode(
    c.block(
      c.loop(
        c.br_if(1, c.i32_eqz(c.getLocal('n'))),
        c.call(one, c.getLocal('src'), c.getLocal('dst')),
        c.setLocal('src', c.i32_add(c.getLocal('src'), c.i32_const(fromBytes))),
        c.setLocal('dst', c.i32_add(c.getLocal('dst'), c.i32_const(toBytes))),
        c.setLocal('n', c.i32_sub(c.getLocal('n'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction(name);
}

/** zq2_*: Fq2 = Fq[u]/(u² + 1) on zq coordinates (c0 at 0, c1 at 36). */
function addFq2(module: ModuleBuilder, scratch: number): void {
  const n8 = ZQ_BYTES;
  const [t0, t1, t2, sx, sy] = [0, 0, 0, 0, 0].map(() => module.alloc(ZQ_BYTES));
  const c1 = (c: CodeBuilder, p: Code) => c.i32_add(p, c.i32_const(n8));
  const K = (c: CodeBuilder, p: number) => c.i32_const(p);
  // (x0 + x1u)(y0 + y1u) = x0y0 + (4p - x1)y1 + (x0y1 + x1y0)u: four products and two reductions
  // (lazy reduction), no subtraction; the operands are read into locals first, as r may be one.
  {
    const f = module.addFunction('zq2_mul');
    for (const param of ['x', 'y', 'r']) f.addParam(param, 'i32');
    const c = f.getCodeBuilder();
    const [x0, x1, y0, y1] = ['x0_', 'x1_', 'y0_', 'y1_'].map((name) => localLimbs(f, name));
    f.addCode(
      copyLimbs(elementAt(c, 'x', 0).load, x0!.store),
      copyLimbs(elementAt(c, 'x', 1).load, x1!.store),
      copyLimbs(elementAt(c, 'y', 0).load, y0!.store),
      copyLimbs(elementAt(c, 'y', 1).load, y1!.store),
      emitMontgomeryMul(f, 'zq', x0!.load, y0!.load, elementAt(c, 'r', 0).store, 'real_', { u: lazyDifference(c, 'zq', () => c.i64_const(0), x1!.load), w: y1!.load }),
      emitMontgomeryMul(f, 'zq', x0!.load, y1!.load, elementAt(c, 'r', 1).store, 'imaginary_', { u: x1!.load, w: y0!.load }),
    );
  }
  // (x0 + x1u)² = (x0 + x1)(x0 - x1) + 2x0x1·u: two products.
  addUnary(module, 'zq2_square', (c, x, r) => [
    ...c.call('zq_addLimbs', x, c1(c, x), K(c, sx)),
    ...c.call('zq_sub', x, c1(c, x), K(c, sy)),
    ...c.call('zq_mul', x, c1(c, x), K(c, t0)),
    ...c.call('zq_mul', K(c, sx), K(c, sy), r),
    ...c.call('zq_add', K(c, t0), K(c, t0), c1(c, r)),
  ]);
  // Both coordinates in one function (the pairing's tower calls these most): each coordinate is
  // read before it is written, so r may be x or y.
  for (const op of ['add', 'sub'] as const) {
    const f = module.addFunction(`zq2_${op}`);
    for (const param of ['x', 'y', 'r']) f.addParam(param, 'i32');
    const c = f.getCodeBuilder();
    for (const j of [0, 1]) f.addCode(emitAddOrSubtract(f, 'zq', op, elementAt(c, 'x', j).load, elementAt(c, 'y', j).load, elementAt(c, 'r', j).store, `c${j}_`));
  }
  for (const op of ['neg', 'copy'] as const) {
    addUnary(module, `zq2_${op}`, (c, x, r) => [...c.call(`zq_${op}`, x, r), ...c.call(`zq_${op}`, c1(c, x), c1(c, r))]);
  }
  const f = module.addFunction('zq2_isZero');
  f.addParam('x', 'i32');
  f.setReturnType('i32');
  const c = f.getCodeBuilder();
  f.addCode(c.i32_and(c.call('zq_isZero', c.getLocal('x')), c.call('zq_isZero', c1(c, c.getLocal('x')))));
  addUnary(module, 'zq2_inverse', (c, x, r) => [
    ...c.call('zq_toFf', x, c.i32_const(scratch)),
    ...c.call('zq_toFf', c1(c, x), c.i32_const(scratch + FF_BYTES)),
    ...c.call('f2m_inverse', c.i32_const(scratch), c.i32_const(scratch)),
    ...c.call('zq_fromFf', c.i32_const(scratch), r),
    ...c.call('zq_fromFf', c.i32_const(scratch + FF_BYTES), c1(c, r)),
  ]);
  const one = module.alloc(2 * ZQ_BYTES, new Uint8Array([...limbBytes(R % BASE_FIELD_MODULUS), ...new Uint8Array(ZQ_BYTES)]));
  addConstant(module, 'zq2_one', one, 2 * ZQ_BYTES);
  for (const op of ['mul', 'square', 'add', 'sub', 'neg', 'copy', 'one', 'isZero', 'inverse']) module.exportFunction(`zq2_${op}`);
}
