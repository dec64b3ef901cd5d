/**
 * The pairing check's arithmetic on field29 (prover/field29.ts's 29-bit limbs), generated into the
 * prover's WebAssembly module after field29's functions; prover/pairing.ts drives it.
 *
 * The tower is ffjavascript's for bn128, so that elements convert limb for limb (zq_toFf on each
 * of twelve coordinates) and results can be held to its functions exactly: Fq2 = Fq[u]/(u² + 1),
 * Fq6 = Fq2[v]/(v³ − ξ) with ξ = 9 + u, Fq12 = Fq6[w]/(w² − v). An Fq12 element is its twelve Fq
 * coordinates in ffjavascript's order, c0.c0.c0 … c1.c2.c1 (432 bytes); slot s (0…5) of its six
 * Fq2 coordinates holds the coefficient of w^[0, 2, 4, 1, 3, 5][s].
 *
 * The Miller loop applies the lines whose coefficients ffjavascript's `bn128_prepareG2` computes
 * (libff's projective doubling and addition steps, then the Frobenius steps Q₁ = π(Q), Q₂ = −π²(Q)):
 * a coefficient (ℓ₀, ℓ_VW, ℓ_VV) and a G1 point P = (x, y) give the sparse element
 * ℓ₀ + ℓ_VV·x·w⁴ + ℓ_VW·y·w³. Lines and squarings are the same values as ffjavascript's
 * `bn128_millerLoop`, so its result is the same element. The final exponentiation raises to
 * (q⁶ − 1)(q² + 1) (conjugate over inverse, then times its q²-Frobenius) and then to
 * λ₀ + λ₁q + λ₂q² + λ₃q³ with λ₃ = 12x³ + 6x² + 4x − 1, λ₁ = λ₃ + 1, λ₂ = λ₁ + 2x and
 * λ₀ = λ₂ + 6x² + 1 (x the curve's seed): 2x(6x² + 3x + 1)·(q⁴ − q² + 1)/r, the multiple of the hard
 * part that Fuentes-Castañeda, Knapp and Rodríguez-Henríquez (SAC 2011) give, and the exponent
 * ffjavascript's `bn128_finalExponentiation` uses, so its results are the same elements too. Powers
 * of x are taken with cyclotomic squarings (Granger and Scott, PKC 2010), valid after the easy part.
 *
 * Functions here keep static scratch of their own and write their result last, so a result may be
 * an operand's place; none is reentrant (one module instance serves one thread).
 */
import { BASE_FIELD_MODULUS } from '../core/field.js';
import { BN254_SEED } from './g2-subgroup.js';
import { LIMBS, LIMB_BITS, type Limbs, ZQ_BYTES, copyLimbs, elementAt, emitReduceSmall, limbBytes, localLimbs, modulusLimbs } from './field29.js';
import type { Code, CodeBuilder, FunctionBuilder, ModuleBuilder } from './wasm-module.js';

const q = BASE_FIELD_MODULUS;
const F2 = 2 * ZQ_BYTES;
const F6 = 3 * F2;
/** Bytes of an Fq12 element on field29. */
export const ZQ12_BYTES = 2 * F6;
/** Bytes of one line's coefficients (ℓ₀, ℓ_VW, ℓ_VV) on field29. */
export const LINE_BYTES = 3 * F2;
/** Bytes of an affine G1 point (x, y) on field29. */
export const ZG1_BYTES = 2 * ZQ_BYTES;
/** Bytes of one pair's entry in a Miller loop's table: the G1 point's address, then its next line's (advanced as the loop goes). */
export const PAIR_ENTRY_BYTES = 8;

/** The optimal ate loop count of BN254, 6x + 2, from the least significant bit. */
export const ATE_BITS: readonly number[] = (() => {
  const bits: number[] = [];
  for (let e = 6n * BN254_SEED + 2n; e > 0n; e >>= 1n) bits.push(Number(e & 1n));
  return bits;
})();
/** Lines per G2 point: one per doubling, one per set bit below the top, two for the Frobenius steps. */
export const LINES = ATE_BITS.length - 1 + ATE_BITS.slice(0, -1).filter((b) => b === 1).length + 2;

/** The kernels' export names, for the generator and the caller alike. */
export const PAIRING_KERNELS = {
  /** (x, y, r): r = x·y in Fq12. */
  mul: 'zq12_mul',
  /** (x, r): r = x² in Fq12. */
  square: 'zq12_square',
  /** (x, r): r = x² for x in the cyclotomic subgroup (after the easy part). */
  cyclotomicSquare: 'zq12_cyclotomicSquare',
  /** (r): r = 1. */
  one: 'zq12_one',
  /** (x, y): 1 if x = y in Fq12. */
  equal: 'zq12_equal',
  /** (pairs, n, r): r = ∏ Miller(Pᵢ, Qᵢ) over the n entries of `pairs` (PAIR_ENTRY_BYTES each); each entry's line address is advanced past its LINES lines. */
  millerLoop: 'zq12_millerLoop',
  /** (x, r): r = x^((q¹² − 1)/r · 2x(6x² + 3x + 1)), ffjavascript's final exponentiation. */
  finalExponentiation: 'zq12_finalExponentiation',
  /** (x, r): r = x in ffjavascript's form (384 bytes). */
  toFf: 'zq12_toFf',
  /** (x, r): r = x from ffjavascript's form. */
  fromFf: 'zq12_fromFf',
} as const;

// ---- Constants, computed here with bigints ----

export type Fq2 = readonly [bigint, bigint];
const mod = (a: bigint) => ((a % q) + q) % q;
const mul2 = (a: Fq2, b: Fq2): Fq2 => [mod(a[0] * b[0] - a[1] * b[1]), mod(a[0] * b[1] + a[1] * b[0])];
export function pow2(a: Fq2, e: bigint): Fq2 {
  let result: Fq2 = [1n, 0n];
  for (let base = a; e > 0n; e >>= 1n, base = mul2(base, base)) if (e & 1n) result = mul2(result, base);
  return result;
}
/** 1/a in Fq2: ā/(a₀² + a₁²). */
export const fq2Inverse = (a: Fq2): Fq2 => {
  const norm = pow2([mod(a[0] * a[0] + a[1] * a[1]), 0n], q - 2n)[0];
  return [mod(a[0] * norm), mod(-a[1] * norm)];
};
export const XI: Fq2 = [9n, 1n];
/** The power of w that each of an Fq12 element's six Fq2 slots multiplies. */
const SLOT_POWER = [0, 2, 4, 1, 3, 5];
/** π^k(Σ g w^i) = Σ ḡ^(k odd) · ξ^(i(q^k − 1)/6) · w^i: the constant of each slot for k = 1, 2, 3. */
const frobeniusConstants = (k: number) => SLOT_POWER.map((i) => pow2(XI, (BigInt(i) * (q ** BigInt(k) - 1n)) / 6n));
const R29 = 1n << BigInt(LIMBS * LIMB_BITS);
const montgomery = (a: bigint) => limbBytes((mod(a) * R29) % q);

/** x's width-w non-adjacent form, from the least significant digit: 0 or odd, below 2^(w−1) in size, nonzero digits w apart at least. */
function windowedNaf(x: bigint, w: number): number[] {
  const digits: number[] = [];
  const full = 1n << BigInt(w);
  for (let e = x; e > 0n; e >>= 1n) {
    let digit = 0;
    if (e & 1n) {
      digit = Number(e % full);
      if (digit >= Number(full) / 2) digit -= Number(full);
      e -= BigInt(digit);
    }
    digits.push(digit);
  }
  return digits;
}

/** Adds functions to a module being built: `define` a function, `scratch` static bytes, a `constant` of Fq2 on field29. */
export function definer(module: ModuleBuilder): { define: Define; scratch: Scratch; constant: (value: Fq2) => number } {
  const define: Define = (name, params, body, options = {}) => {
    const f = module.addFunction(name);
    for (const p of params) f.addParam(p, 'i32');
    for (const local of options.locals ?? []) f.addLocal(local, 'i32');
    if (options.returns) f.setReturnType('i32');
    const c = f.getCodeBuilder();
    const at = (param: string, offset = 0) => (offset === 0 ? c.getLocal(param) : c.i32_add(c.getLocal(param), c.i32_const(offset)));
    f.addCode(...body(c, at, f));
  };
  const constant = (value: Fq2) => module.alloc(F2, new Uint8Array([...montgomery(value[0]), ...montgomery(value[1])]));
  return { define, scratch: (bytes) => module.alloc(bytes), constant };
}

/** Add the kernels to a module being built (after prover/field29.ts's functions, which they call). */
export function addPairing(module: ModuleBuilder): void {
  const { define, scratch, constant } = definer(module);
  addFq2Extras(define);
  addFq6(define, scratch);
  addFq12(module, define, scratch, constant);
  addMillerLoop(define, scratch);
  addFinalExponentiation(define, scratch);
  for (const name of Object.values(PAIRING_KERNELS)) module.exportFunction(name);
  // Exported for their tests.
  for (const name of ['zq2_mulXi', 'zq2_mulXiAdd', 'zq2_threeMinusTwo', 'zq2_threePlusTwo', 'zq2_triple', 'zq12_mulLine']) module.exportFunction(name);
}

/** Adds a function of i32 parameters (pointers, counts); `at(param, offset)` is the address param + offset. */
export type Define = (name: string, params: string[], body: (c: CodeBuilder, at: (param: string, offset?: number) => Code, f: FunctionBuilder) => Code[], options?: { locals?: string[]; returns?: boolean }) => void;
export type Scratch = (bytes: number) => number;

/**
 * Linear maps of Fq2 elements, each one pass over the limbs (field29's emitReduceSmall):
 * zq2_mulXi (r = ξx = (9x₀ − x₁) + (x₀ + 9x₁)u), zq2_mulXiAdd (r = ξx + y), and the cyclotomic
 * squaring's zq2_threeMinusTwo (r = 3x − 2y) and zq2_threePlusTwo (r = 3x + 2y); and zq2_conjugate.
 */
function addFq2Extras(define: Define): void {
  type Linear = (x: Limbs[], y: Limbs[], twoP: Limbs) => [Limbs, Limbs];
  const linear = (name: string, params: string[], map: (c: CodeBuilder) => Linear) =>
    define(name, params, (c, _at, f) => {
      // Operands into locals first: the result may be an operand's place.
      const operands = params.slice(0, -1).map((param) => [0, 1].map((j) => {
        const local = localLimbs(f, `${param}${j}_`);
        return { load: local.load, code: copyLimbs(elementAt(c, param, j).load, local.store) };
      }));
      const zero: Limbs = () => c.i64_const(0);
      const [x, y] = [operands[0]!.map((o) => o.load), operands[1]?.map((o) => o.load) ?? [zero, zero]];
      const terms = map(c)(x, y, modulusLimbs(c, 'zq', 2));
      const out = (j: number) => elementAt(c, 'r', j).store;
      return [...operands.flat().map((o) => o.code), emitReduceSmall(f, 'zq', terms[0], out(0), 'a'), emitReduceSmall(f, 'zq', terms[1], out(1), 'b')];
    });
  const add = (c: CodeBuilder, ...terms: Code[]) => terms.reduce((sum, term) => c.i64_add(sum, term));
  const times = (c: CodeBuilder, k: number, term: Code) => c.i64_mul(term, c.i64_const(k));
  // Values (operands below 2p): 9x₀ − x₁ + y₀ + 2p below 24p, x₀ + 9x₁ + y₁ below 22p, 3x − 2y + 4p
  // and 3x + 2y below 10p, 3x below 6p: emitReduceSmall's [0, 32p). Limbs may go negative (−2y).
  const xi: (c: CodeBuilder) => Linear = (c) => (x, y, twoP) => [
    (i) => add(c, times(c, 9, x[0]!(i)), c.i64_sub(y[0]!(i), x[1]!(i)), twoP(i)),
    (i) => add(c, times(c, 9, x[1]!(i)), x[0]!(i), y[1]!(i)),
  ];
  linear('zq2_mulXi', ['x', 'r'], xi);
  linear('zq2_mulXiAdd', ['x', 'y', 'r'], xi);
  linear('zq2_threeMinusTwo', ['x', 'y', 'r'], (c) => (x, y, twoP) => [0, 1].map((j) => (i: number) => add(c, times(c, 3, x[j]!(i)), times(c, -2, y[j]!(i)), times(c, 2, twoP(i)))) as [Limbs, Limbs]);
  linear('zq2_triple', ['x', 'r'], (c) => (x) => [0, 1].map((j) => (i: number) => times(c, 3, x[j]!(i))) as [Limbs, Limbs]);
  linear('zq2_threePlusTwo', ['x', 'y', 'r'], (c) => (x, y) => [0, 1].map((j) => (i: number) => add(c, times(c, 3, x[j]!(i)), times(c, 2, y[j]!(i)))) as [Limbs, Limbs]);
  define('zq2_conjugate', ['x', 'r'], (c, at) => [c.call('zq_copy', at('x'), at('r')), c.call('zq_neg', at('x', ZQ_BYTES), at('r', ZQ_BYTES))]);
}

/** zq6_add, _sub, _neg, _copy, _mul, _square, _mulByV (r = x·v: (ξx₂, x₀, x₁)). */
function addFq6(define: Define, scratch: Scratch): void {
  for (const op of ['add', 'sub'] as const) {
    define(`zq6_${op}`, ['x', 'y', 'r'], (c, at) => [0, 1, 2].map((i) => c.call(`zq2_${op}`, at('x', i * F2), at('y', i * F2), at('r', i * F2))));
  }
  for (const op of ['neg', 'copy'] as const) define(`zq6_${op}`, ['x', 'r'], (c, at) => [0, 1, 2].map((i) => c.call(`zq2_${op}`, at('x', i * F2), at('r', i * F2))));
  {
    const t = scratch(F2);
    define('zq6_mulByV', ['x', 'r'], (c, at) => [
      c.call('zq2_mulXi', at('x', 2 * F2), c.i32_const(t)),
      c.call('zq2_copy', at('x', F2), at('r', 2 * F2)),
      c.call('zq2_copy', at('x'), at('r', F2)),
      c.call('zq2_copy', c.i32_const(t), at('r')),
    ]);
  }
  {
    // Karatsuba: v_i = a_i·b_i; r₀ = v₀ + ξ((a₁ + a₂)(b₁ + b₂) − v₁ − v₂), r₁ = (a₀ + a₁)(b₀ + b₁) − v₀ − v₁ + ξv₂, r₂ = (a₀ + a₂)(b₀ + b₂) − v₀ − v₂ + v₁.
    const [v0, v1, v2, s, t, m, r0, r1] = Array.from({ length: 8 }, () => scratch(F2));
    define('zq6_mul', ['x', 'y', 'r'], (c, at) => {
      const K = (p: number) => c.i32_const(p);
      const f = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
      const cross = (i: number, j: number) => [f('add', at('x', i * F2), at('x', j * F2), K(s)), f('add', at('y', i * F2), at('y', j * F2), K(t)), f('mul', K(s), K(t), K(m))];
      return [
        f('mul', at('x'), at('y'), K(v0)),
        f('mul', at('x', F2), at('y', F2), K(v1)),
        f('mul', at('x', 2 * F2), at('y', 2 * F2), K(v2)),
        ...cross(1, 2),
        f('sub', K(m), K(v1), K(m)),
        f('sub', K(m), K(v2), K(m)),
        f('mulXiAdd', K(m), K(v0), K(r0)),
        ...cross(0, 1),
        f('sub', K(m), K(v0), K(m)),
        f('sub', K(m), K(v1), K(m)),
        f('mulXiAdd', K(v2), K(m), K(r1)),
        ...cross(0, 2),
        f('sub', K(m), K(v0), K(m)),
        f('sub', K(m), K(v2), K(m)),
        f('add', K(m), K(v1), at('r', 2 * F2)),
        f('copy', K(r0), at('r')),
        f('copy', K(r1), at('r', F2)),
      ];
    });
  }
  {
    // Chung and Hasan's SQR2: s₀ = a₀², s₁ = 2a₀a₁, s₂ = (a₀ − a₁ + a₂)², s₃ = 2a₁a₂, s₄ = a₂²;
    // r₀ = s₀ + ξs₃, r₁ = s₁ + ξs₄, r₂ = s₁ + s₂ + s₃ − s₀ − s₄.
    const [s0, s1, s2, s3, s4, t] = Array.from({ length: 6 }, () => scratch(F2));
    define('zq6_square', ['x', 'r'], (c, at) => {
      const K = (p: number) => c.i32_const(p);
      const f = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
      return [
        f('square', at('x'), K(s0)),
        f('mul', at('x'), at('x', F2), K(s1)),
        f('add', K(s1), K(s1), K(s1)),
        f('sub', at('x'), at('x', F2), K(s2)),
        f('add', K(s2), at('x', 2 * F2), K(s2)),
        f('square', K(s2), K(s2)),
        f('mul', at('x', F2), at('x', 2 * F2), K(s3)),
        f('add', K(s3), K(s3), K(s3)),
        f('square', at('x', 2 * F2), K(s4)),
        // r₂ first: x is read no more.
        f('add', K(s1), K(s2), K(t)),
        f('add', K(t), K(s3), K(t)),
        f('sub', K(t), K(s0), K(t)),
        f('sub', K(t), K(s4), at('r', 2 * F2)),
        f('mulXiAdd', K(s3), K(s0), at('r')),
        f('mulXiAdd', K(s4), K(s1), at('r', F2)),
      ];
    });
  }
}

/** zq12_*: the field's operations, conjugation, the Frobenius maps, the sparse product by a line, conversions. */
function addFq12(module: ModuleBuilder, define: Define, scratch: Scratch, constant: (value: Fq2) => number): void {
  const K = (c: CodeBuilder, p: number) => c.i32_const(p);
  /** r = t0 + v·t1 + (s − t0 − t1)w from Karatsuba's three Fq6 products t0 = ac, t1 = bd, s = (a + b)(c + d); s and t1 are overwritten. */
  const karatsuba = (c: CodeBuilder, s: number, t0: number, t1: number, r0: Code, r1: Code): Code[] => [
    c.call('zq6_sub', K(c, s), K(c, t0), K(c, s)),
    c.call('zq6_sub', K(c, s), K(c, t1), r1),
    c.call('zq6_mulByV', K(c, t1), K(c, t1)),
    c.call('zq6_add', K(c, t0), K(c, t1), r0),
  ];
  {
    // (a + bw)(c + dw) = ac + v·bd + ((a + b)(c + d) − ac − bd)w.
    const [t0, t1, s, t] = Array.from({ length: 4 }, () => scratch(F6));
    define(PAIRING_KERNELS.mul, ['x', 'y', 'r'], (c, at) => [
      c.call('zq6_mul', at('x'), at('y'), K(c, t0)),
      c.call('zq6_mul', at('x', F6), at('y', F6), K(c, t1)),
      c.call('zq6_add', at('x'), at('x', F6), K(c, s)),
      c.call('zq6_add', at('y'), at('y', F6), K(c, t)),
      c.call('zq6_mul', K(c, s), K(c, t), K(c, s)),
      ...karatsuba(c, s, t0, t1, at('r'), at('r', F6)),
    ]);
  }
  {
    // (a + bw)² = (a + b)(a + vb) − ab − v·ab + 2ab·w.
    const [ab, s, t] = Array.from({ length: 3 }, () => scratch(F6));
    define(PAIRING_KERNELS.square, ['x', 'r'], (c, at) => [
      c.call('zq6_mul', at('x'), at('x', F6), K(c, ab)),
      c.call('zq6_add', at('x'), at('x', F6), K(c, s)),
      c.call('zq6_mulByV', at('x', F6), K(c, t)),
      c.call('zq6_add', at('x'), K(c, t), K(c, t)),
      c.call('zq6_mul', K(c, s), K(c, t), K(c, s)),
      c.call('zq6_sub', K(c, s), K(c, ab), K(c, s)),
      c.call('zq6_add', K(c, ab), K(c, ab), at('r', F6)),
      c.call('zq6_mulByV', K(c, ab), K(c, ab)),
      c.call('zq6_sub', K(c, s), K(c, ab), at('r')),
    ]);
  }
  define('zq12_conjugate', ['x', 'r'], (c, at) => [c.call('zq6_copy', at('x'), at('r')), c.call('zq6_neg', at('x', F6), at('r', F6))]);
  {
    const one = module.alloc(ZQ12_BYTES, new Uint8Array([...montgomery(1n), ...new Uint8Array(ZQ12_BYTES - ZQ_BYTES)]));
    define(PAIRING_KERNELS.one, ['r'], (c, at) => [c.call('zq6_copy', K(c, one), at('r')), c.call('zq6_copy', K(c, one + F6), at('r', F6))]);
  }
  define(
    PAIRING_KERNELS.equal,
    ['x', 'y'],
    (c, at) => {
      let all: Code = c.i32_const(1);
      for (let i = 0; i < 12; i++) all = c.i32_and(all, c.call('zq_equal', at('x', i * ZQ_BYTES), at('y', i * ZQ_BYTES)));
      return [all];
    },
    { returns: true },
  );
  define(PAIRING_KERNELS.toFf, ['x', 'r'], (c, at) => [c.call('zq_batchToFf', at('x'), at('r'), c.i32_const(12))]);
  define(PAIRING_KERNELS.fromFf, ['x', 'r'], (c, at) => [c.call('zq_batchFromFf', at('x'), at('r'), c.i32_const(12))]);
  {
    // The inverse, once a check: through ffjavascript's, on its form.
    const ff = scratch(12 * 32);
    define('zq12_inverse', ['x', 'r'], (c, at) => [c.call(PAIRING_KERNELS.toFf, at('x'), K(c, ff)), c.call('ftm_inverse', K(c, ff), K(c, ff)), c.call(PAIRING_KERNELS.fromFf, K(c, ff), at('r'))]);
  }
  for (const k of [1, 2, 3]) {
    const constants = frobeniusConstants(k);
    define(`zq12_frobenius${k}`, ['x', 'r'], (c, at) =>
      constants.map((value, s) => {
        const [x, r] = [at('x', s * F2), at('r', s * F2)];
        // Slot 0's constant is 1. For k = 2 every constant is in Fq (q² ≡ 1 mod 6): it multiplies each coordinate.
        if (s === 0) return c.call(k % 2 === 1 ? 'zq2_conjugate' : 'zq2_copy', x, r);
        const p = K(c, constant(value));
        if (k % 2 === 1) return [...c.call('zq2_conjugate', x, r), ...c.call('zq2_mul', at('r', s * F2), p, at('r', s * F2))];
        if (value[1] !== 0n) throw new Error('a q²-Frobenius constant outside Fq');
        return [...c.call('zq_mul', x, p, r), ...c.call('zq_mul', at('x', s * F2 + ZQ_BYTES), p, at('r', s * F2 + ZQ_BYTES))];
      }),
    );
  }
  {
    // f·ℓ with ℓ = (ℓ₀, 0, ℓ_VV) + (0, ℓ_VW, 0)w: A·(ℓ₀, 0, ℓ_VV) in 5 products, B·ℓ_VW·v in 3, (A + B)(ℓ₀, ℓ_VW, ℓ_VV) in 6.
    const [t0, t1, s, l, m0, m2, m, u] = [scratch(F6), scratch(F6), scratch(F6), scratch(F6), scratch(F2), scratch(F2), scratch(F2), scratch(F2)];
    define('zq12_mulLine', ['f', 'l0', 'lvw', 'lvv'], (c, at) => {
      const f2 = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
      const A = (i: number) => at('f', i * F2);
      const B = (i: number) => at('f', F6 + i * F2);
      const T0 = (i: number) => K(c, t0 + i * F2);
      const T1 = (i: number) => K(c, t1 + i * F2);
      return [
        // t0 = A·(ℓ₀ + ℓ_VV v²) = (a₀ℓ₀ + ξa₁ℓ_VV, a₁ℓ₀ + ξa₂ℓ_VV, a₂ℓ₀ + a₀ℓ_VV).
        f2('mul', A(0), at('l0'), K(c, m0)),
        f2('mul', A(2), at('lvv'), K(c, m2)),
        f2('add', A(0), A(2), K(c, m)),
        f2('add', at('l0'), at('lvv'), K(c, u)),
        f2('mul', K(c, m), K(c, u), K(c, m)),
        f2('sub', K(c, m), K(c, m0), K(c, m)),
        f2('sub', K(c, m), K(c, m2), T0(2)),
        f2('mul', A(1), at('lvv'), K(c, m)),
        f2('mulXiAdd', K(c, m), K(c, m0), T0(0)),
        f2('mul', A(1), at('l0'), K(c, m)),
        f2('mulXiAdd', K(c, m2), K(c, m), T0(1)),
        // t1 = B·ℓ_VW·v = (ξb₂ℓ_VW, b₀ℓ_VW, b₁ℓ_VW).
        f2('mul', B(2), at('lvw'), T1(0)),
        f2('mulXi', T1(0), T1(0)),
        f2('mul', B(0), at('lvw'), T1(1)),
        f2('mul', B(1), at('lvw'), T1(2)),
        // f.c1 = (A + B)(ℓ₀, ℓ_VW, ℓ_VV) − t0 − t1; f.c0 = t0 + v·t1.
        f2('copy', at('l0'), K(c, l)),
        f2('copy', at('lvw'), K(c, l + F2)),
        f2('copy', at('lvv'), K(c, l + 2 * F2)),
        c.call('zq6_add', at('f'), at('f', F6), K(c, s)),
        c.call('zq6_mul', K(c, s), K(c, l), K(c, s)),
        ...karatsuba(c, s, t0, t1, at('f'), at('f', F6)),
      ];
    });
  }
  {
    // Granger and Scott: with f = A + Bw + Cw², A, B, C in Fq4 = Fq2[s]/(s² − ξ) (s = w³),
    // f² = (3A² − 2Ā) + (3sC² + 2B̄)w + (3B² − 2C̄)w² in the cyclotomic subgroup.
    // A = (slot 0, slot 4), B = (slot 3, slot 2), C = (slot 1, slot 5).
    const [a, b, sum] = [scratch(F2), scratch(F2), scratch(F2)];
    const squares = Array.from({ length: 6 }, () => scratch(F2));
    define(PAIRING_KERNELS.cyclotomicSquare, ['x', 'r'], (c, at) => {
      const f2 = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
      const slot = (p: string, s: number) => at(p, s * F2);
      /** (x + ys)² = (x² + ξy²) + ((x + y)² − x² − y²)s, into squares[2k], squares[2k + 1]. */
      const fq4Square = (x: number, y: number, k: number) => [
        f2('square', slot('x', x), K(c, a)),
        f2('square', slot('x', y), K(c, b)),
        f2('add', slot('x', x), slot('x', y), K(c, sum)),
        f2('square', K(c, sum), K(c, sum)),
        f2('sub', K(c, sum), K(c, a), K(c, sum)),
        f2('sub', K(c, sum), K(c, b), K(c, squares[2 * k + 1]!)),
        f2('mulXiAdd', K(c, b), K(c, a), K(c, squares[2 * k]!)),
      ];
      /** r = 3t − 2x (sign −1) or 3t + 2x (sign 1). */
      const combine = (square: Code, x: number, sign: 1 | -1, r: number) => f2(sign === 1 ? 'threePlusTwo' : 'threeMinusTwo', square, slot('x', x), slot('r', r));
      const [A0, A1, B0, B1, C0, C1] = squares.map((p) => K(c, p));
      return [
        ...fq4Square(0, 4, 0),
        ...fq4Square(3, 2, 1),
        ...fq4Square(1, 5, 2),
        // s·C² = ξ·C1 + C0·s.
        f2('mulXi', C1!, C1!),
        combine(A0!, 0, -1, 0),
        combine(A1!, 4, 1, 4),
        combine(C1!, 3, 1, 3),
        combine(C0!, 2, -1, 2),
        combine(B0!, 1, -1, 1),
        combine(B1!, 5, 1, 5),
      ];
    });
  }
}

/** zq12_millerLoop: the shared loop of several pairs, lines applied in ffjavascript's order. */
function addMillerLoop(define: Define, scratch: Scratch): void {
  const [vw, vv] = [scratch(F2), scratch(F2)];
  // zq12_lines(pairs, n, f): f ← f·ℓᵢ for each pair's next line, advancing its line address.
  define('zq12_lines', ['pairs', 'n', 'f'], (c, at) => {
    const entry = () => c.i32_add(c.getLocal('pairs'), c.i32_mul(c.getLocal('i'), c.i32_const(PAIR_ENTRY_BYTES)));
    const point = () => c.i32_load(entry(), 0);
    const line = () => c.i32_load(entry(), 4);
    const lineAt = (offset: number) => c.i32_add(line(), c.i32_const(offset));
    const K = (p: number) => c.i32_const(p);
    return [
      c.setLocal('i', c.i32_const(0)),
      c.block(
        c.loop(
          c.br_if(1, c.i32_eq(c.getLocal('i'), c.getLocal('n'))),
          // ℓ_VW·y and ℓ_VV·x, coordinate by coordinate.
          c.call('zq_mul', lineAt(F2), c.i32_add(point(), c.i32_const(ZQ_BYTES)), K(vw)),
          c.call('zq_mul', lineAt(F2 + ZQ_BYTES), c.i32_add(point(), c.i32_const(ZQ_BYTES)), K(vw + ZQ_BYTES)),
          c.call('zq_mul', lineAt(2 * F2), point(), K(vv)),
          c.call('zq_mul', lineAt(2 * F2 + ZQ_BYTES), point(), K(vv + ZQ_BYTES)),
          c.call('zq12_mulLine', at('f'), line(), K(vw), K(vv)),
          c.i32_store(entry(), 4, c.i32_add(line(), c.i32_const(LINE_BYTES))),
          c.setLocal('i', c.i32_add(c.getLocal('i'), c.i32_const(1))),
          c.br(0),
        ),
      ),
    ];
  }, { locals: ['i'] });
  define(PAIRING_KERNELS.millerLoop, ['pairs', 'n', 'r'], (c, at) => {
    const lines = () => c.call('zq12_lines', at('pairs'), at('n'), at('r'));
    const code: Code[] = [c.call(PAIRING_KERNELS.one, at('r'))];
    for (let i = ATE_BITS.length - 2; i >= 0; i--) {
      code.push(c.call(PAIRING_KERNELS.square, at('r'), at('r')), lines());
      if (ATE_BITS[i]) code.push(lines());
    }
    code.push(lines(), lines());
    return code;
  });
}

/** zq12_finalExponentiation, by the schedule in the header. */
function addFinalExponentiation(define: Define, scratch: Scratch): void {
  // The seed's width-4 NAF: 14 nonzero digits in ±{1, 3, 5, 7}, where its NAF has 24.
  const digits = windowedNaf(BN254_SEED, 4);
  {
    /** x^k for k = 1, 3, 5, 7 at powers[(k − 1)/2], and their inverses (conjugates) after them. */
    const powers = scratch(8 * ZQ12_BYTES);
    const power = (k: number) => powers + ((Math.abs(k) - 1) / 2 + (k < 0 ? 4 : 0)) * ZQ12_BYTES;
    const [square, t] = [scratch(ZQ12_BYTES), scratch(ZQ12_BYTES)];
    // zq12_expBySeed(x, r): r = x^x₀ (x₀ the seed) for x in the cyclotomic subgroup, where x⁻¹ = x̄.
    define('zq12_expBySeed', ['x', 'r'], (c, at) => {
      const K = (p: number) => c.i32_const(p);
      const copy = (from: Code, to: Code) => [c.call('zq6_copy', from, to), c.call('zq6_copy', c.i32_add(from, c.i32_const(F6)), c.i32_add(to, c.i32_const(F6)))];
      const code: Code[] = [
        ...copy(at('x'), K(power(1))),
        c.call(PAIRING_KERNELS.cyclotomicSquare, at('x'), K(square)),
        ...[3, 5, 7].map((k) => c.call(PAIRING_KERNELS.mul, K(power(k - 2)), K(square), K(power(k)))),
        ...[1, 3, 5, 7].map((k) => c.call('zq12_conjugate', K(power(k)), K(power(-k)))),
      ];
      const top = digits.length - 1;
      code.push(...copy(K(power(digits[top]!)), K(t)));
      for (let i = top - 1; i >= 0; i--) {
        code.push(c.call(PAIRING_KERNELS.cyclotomicSquare, K(t), K(t)));
        if (digits[i] !== 0) code.push(c.call(PAIRING_KERNELS.mul, K(t), K(power(digits[i]!)), K(t)));
      }
      code.push(...copy(K(t), at('r')));
      return code;
    });
  }
  const [y, a, b, c2, d, e, g, h, l0, l1, l2, l3, t] = Array.from({ length: 13 }, () => scratch(ZQ12_BYTES));
  define(PAIRING_KERNELS.finalExponentiation, ['x', 'r'], (c, at) => {
    const K = (p: number) => c.i32_const(p);
    const mul = (x: number, z: number, r: number) => c.call(PAIRING_KERNELS.mul, K(x), K(z), K(r));
    const square = (x: number, r: number) => c.call(PAIRING_KERNELS.cyclotomicSquare, K(x), K(r));
    const exp = (x: number, r: number) => c.call('zq12_expBySeed', K(x), K(r));
    return [
      // Easy part: y = x^((q⁶ − 1)(q² + 1)) = π²(x̄/x)·(x̄/x).
      c.call('zq12_inverse', at('x'), K(t)),
      c.call('zq12_conjugate', at('x'), K(y)),
      mul(y, t, y),
      c.call('zq12_frobenius2', K(y), K(t)),
      mul(y, t, y),
      // Hard part: a = y^x, b = y^2x, c = y^4x, d = y^6x, e = y^6x², g = y^12x², h = y^12x³.
      exp(y, a),
      square(a, b),
      square(b, c2),
      mul(c2, b, d),
      exp(d, e),
      square(e, g),
      exp(g, h),
      // λ₁ = 12x³ + 6x² + 4x, λ₃ = λ₁ − 1, λ₂ = λ₁ + 2x, λ₀ = λ₂ + 6x² + 1.
      mul(h, e, l1),
      mul(l1, c2, l1),
      c.call('zq12_conjugate', K(y), K(t)),
      mul(l1, t, l3),
      mul(l1, b, l2),
      mul(l2, e, l0),
      mul(l0, y, l0),
      c.call('zq12_frobenius1', K(l1), K(t)),
      mul(l0, t, l0),
      c.call('zq12_frobenius2', K(l2), K(t)),
      mul(l0, t, l0),
      c.call('zq12_frobenius3', K(l3), K(t)),
      c.call(PAIRING_KERNELS.mul, K(l0), K(t), at('r')),
    ];
  });
}
