/**
 * The GLV endomorphism of bn128's G1, for MSMs with full-width scalars (H's): φ(x, y) = (βx, y)
 * is the point λ·(x, y), β being a cube root of unity in Fq and λ one in Fr. A scalar k splits
 * into k₁ + λ·k₂ (mod r) with |k₁|, |k₂| < 2^127, by a short basis of the lattice of the (a, b)
 * with a + λb ≡ 0 (mod r), so that k·P = k₁·P + k₂·φ(P): an MSM over twice the points with
 * scalars of half the width, which has half the windows and so half their bucket reductions.
 *
 * The split runs in WebAssembly (zr_zkGlvSplit, on prover/field29.ts's 29-bit limbs); the
 * MSM (prover/msm.ts) takes the halves' signed digits and reads φ(Pᵢ) from a copy of the bases
 * made when they are loaded (Msm.bases).
 */
import { BASE_FIELD_MODULUS, FIELD_MODULUS } from '../core/field.js';
import { LIMBS, LIMB_BITS, type Limbs, limbsOfInteger, localLimbs, packWords, toLimbs } from './field29.js';
import type { Code, CodeBuilder, FunctionBuilder, ModuleBuilder } from './wasm-module.js';

/** β in Fq and λ in Fr with φ(P) = (β·x, y) = λ·P on G1 (both are cube roots of unity; these two go together). */
export const BETA = 0x59e26bcea0d48bacd4f263f1acdb5c4f5763473177fffffen;
export const LAMBDA = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90ddn;
/** The halves' magnitudes are below 2^HALF_BITS. */
export const HALF_BITS = 127;
/** Bytes of one scalar's halves as zr_zkGlvSplit writes them: k₁'s and k₂'s magnitudes, 32 bytes each. */
export const HALVES_BYTES = 64;

/**
 * The reduced basis (a₁, b₁), (a₂, b₂) of the lattice {(a, b): a + λb ≡ 0 (mod r)}, with
 * a₁b₂ - a₂b₁ = r, from the extended Euclidean algorithm on r and λ (Guide to Elliptic Curve
 * Cryptography, algorithm 3.74): the remainders rᵢ = sᵢ·r + tᵢ·λ give the vectors (rᵢ, -tᵢ).
 */
export function latticeBasis(r = FIELD_MODULUS, lambda = LAMBDA): { a1: bigint; b1: bigint; a2: bigint; b2: bigint } {
  const rows: [bigint, bigint][] = [
    [r, 0n],
    [lambda, 1n],
  ];
  // Until the first remainder below √r, and one more.
  while (rows.at(-2)![0] ** 2n >= r) {
    const [[r0, t0], [r1, t1]] = [rows.at(-2)!, rows.at(-1)!];
    const q = r0 / r1;
    rows.push([r0 - q * r1, t0 - q * t1]);
  }
  const l = rows.length - 2; // rows[l] is the first remainder below √r
  const vector = (row: [bigint, bigint]): [bigint, bigint] => [row[0], -row[1]];
  const norm = ([a, b]: [bigint, bigint]) => a * a + b * b;
  const [a1, b1] = vector(rows[l]!);
  const [a2, b2] = [vector(rows[l - 1]!), vector(rows[l + 1]!)].reduce((x, y) => (norm(y) < norm(x) ? y : x));
  const determinant = a1 * b2 - a2 * b1;
  if (determinant === r) return { a1, b1, a2, b2 };
  if (determinant === -r) return { a1: a2, b1: b2, a2: a1, b2: b1 };
  throw new Error(`the GLV basis has determinant ${determinant}, not ±r`);
}

/** Where the split rounds: c = ⌊(k·g + 2^(SHIFT-1)) / 2^SHIFT⌋ with g = round(2^SHIFT·b/r), SHIFT a whole number of limbs. */
const SHIFT = LIMBS * LIMB_BITS;

/** The split's constants, as 29-bit limbs: the basis and the multipliers g₁, g₂ of its roundings. */
function splitConstants(): { a1: number[]; a2: number[]; minusB1: number[]; b2: number[]; g1: number[]; g2: number[] } {
  const { a1, b1, a2, b2 } = latticeBasis();
  if (a1 <= 0n || a2 <= 0n || b1 >= 0n || b2 <= 0n) throw new Error('the GLV basis has other signs than the split assumes');
  const rounded = (b: bigint) => ((b << BigInt(SHIFT + 1)) + FIELD_MODULUS) / (2n * FIELD_MODULUS);
  const limbs = (value: bigint) => toLimbs(value).slice(0, Math.ceil(value.toString(2).length / LIMB_BITS));
  return { a1: limbs(a1), a2: limbs(a2), minusB1: limbs(-b1), b2: limbs(b2), g1: limbs(rounded(b2)), g2: limbs(rounded(-b1)) };
}

/**
 * `zr_zkGlvSplit(scalars, n, halves, signs)`: for each of n 32-byte little-endian scalars k below
 * r, writes |k₁| and |k₂| (k = k₁ + λk₂ mod r) as 32-byte little-endian integers at
 * halves + 64i and halves + 64i + 32, and their signs (1: negative) as bytes at signs + 2i and
 * signs + 2i + 1. With c₁ = round(b₂k/r), c₂ = round(-b₁k/r) (each within 1, by g₁ and g₂):
 * k₁ = k - c₁a₁ - c₂a₂ and k₂ = -c₁b₁ - c₂b₂, computed modulo 2^145 (five limbs; they are below
 * 2^127 in magnitude).
 */
export function addGlvSplit(module: ModuleBuilder): void {
  const constants = splitConstants();
  const name = 'zr_zkGlvSplit';
  const f = module.addFunction(name);
  for (const param of ['scalars', 'n', 'halves', 'signs']) f.addParam(param, 'i32');
  for (const local of ['i', 'at']) f.addLocal(local, 'i32');
  for (const local of ['carry', 'sign', 'word']) f.addLocal(local, 'i64');
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const k = localLimbs(f, 'k');
  const [c1, c2, k1, k2] = ['c1_', 'c2_', 'k1_', 'k2_'].map((prefix) => localLimbs(f, prefix));
  const constant = (limbs: number[]): Limbs => (i) => c.i64_const(limbs[i]!);
  const integer = limbsOfInteger(c, () => local('at'));
  f.addCode(
    c.setLocal('i', c.i32_const(0)),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eq(local('i'), local('n'))),
        c.setLocal('at', c.i32_add(local('scalars'), c.i32_shl(local('i'), c.i32_const(5)))),
        Array.from({ length: LIMBS }, (_, j) => k.store(j, integer(j))).flat(),
        roundedQuotient(c, k.load, constants.g1, c1.store),
        roundedQuotient(c, k.load, constants.g2, c2.store),
        // k₁ = k - c₁a₁ - c₂a₂; k₂ = c₁·(-b₁) - c₂b₂ (mod 2^145).
        combination(c, HALF_LIMBS, k.load, [[c1.load, constants.a1, -1], [c2.load, constants.a2, -1]], k1.store),
        combination(c, HALF_LIMBS, undefined, [[c1.load, constants.minusB1, 1], [c2.load, constants.b2, -1]], k2.store),
        storeHalf(f, k1, 0),
        storeHalf(f, k2, 1),
        c.setLocal('i', c.i32_add(local('i'), c.i32_const(1))),
        c.br(0),
      ),
    ),
  );
  module.exportFunction(name);
}

/** Limbs of the halves modulo 2^145: more than their 127 bits and a sign. */
const HALF_LIMBS = 5;
const MASK = 2 ** LIMB_BITS - 1;

/** out = ⌊(k·g + 2^(SHIFT-1)) / 2^SHIFT⌋ for k in nine limbs and a constant g: g.length limbs. */
function roundedQuotient(c: CodeBuilder, k: Limbs, g: number[], out: (i: number, value: Code) => Code): Code {
  const code: Code[] = [c.setLocal('carry', c.i64_const(0))];
  const columns = LIMBS + g.length - 1;
  for (let t = 0; t < columns; t++) {
    let sum: Code = c.getLocal('carry');
    for (let j = Math.max(0, t - LIMBS + 1); j <= Math.min(t, g.length - 1); j++) sum = c.i64_add(sum, c.i64_mul(k(t - j), c.i64_const(g[j]!)));
    if (t === LIMBS - 1) sum = c.i64_add(sum, c.i64_const(2 ** (LIMB_BITS - 1)));
    code.push(c.setLocal('carry', sum));
    if (t >= LIMBS) code.push(out(t - LIMBS, c.i64_and(c.getLocal('carry'), c.i64_const(MASK))));
    code.push(c.setLocal('carry', c.i64_shr_u(c.getLocal('carry'), c.i64_const(LIMB_BITS))));
  }
  code.push(out(g.length - 1, c.getLocal('carry')));
  return code.flat();
}

/** out = start ± Σ x·y (x limbs, y constant limbs) modulo 2^(29·limbs), two's complement in normalized limbs. */
function combination(c: CodeBuilder, limbs: number, start: Limbs | undefined, terms: [Limbs, number[], 1 | -1][], out: (i: number, value: Code) => Code): Code {
  const code: Code[] = [c.setLocal('carry', c.i64_const(0))];
  for (let t = 0; t < limbs; t++) {
    let sum: Code = start ? c.i64_add(c.getLocal('carry'), start(t)) : c.getLocal('carry');
    for (const [x, y, sign] of terms) {
      for (let j = 0; j <= Math.min(t, y.length - 1); j++) {
        const product = c.i64_mul(x(t - j), c.i64_const(y[j]!));
        sum = sign > 0 ? c.i64_add(sum, product) : c.i64_sub(sum, product);
      }
    }
    code.push(c.setLocal('carry', sum));
    code.push(out(t, c.i64_and(c.getLocal('carry'), c.i64_const(MASK))));
    code.push(c.setLocal('carry', c.i64_shr_s(c.getLocal('carry'), c.i64_const(LIMB_BITS))));
  }
  return code.flat();
}

/**
 * Half h (0: k₁, 1: k₂) of scalar i, in two's complement in its limbs, stored as sign and
 * magnitude: the magnitude negated limb by limb (complement and add one) where the sign is set.
 */
function storeHalf(f: FunctionBuilder, half: ReturnType<typeof localLimbs>, h: 0 | 1): Code {
  const c = f.getCodeBuilder();
  const local = (n: string) => c.getLocal(n);
  const top = HALF_LIMBS - 1;
  const at = c.i32_add(local('halves'), c.i32_add(c.i32_shl(local('i'), c.i32_const(6)), c.i32_const(32 * h)));
  const code: Code[] = [
    c.setLocal('sign', c.i64_shr_u(half.load(top), c.i64_const(LIMB_BITS - 1))),
    c.setLocal('carry', local('sign')),
  ];
  for (let t = 0; t < HALF_LIMBS; t++) {
    // limb ^ (MASK·sign) + carry
    code.push(c.setLocal('carry', c.i64_add(c.i64_xor(half.load(t), c.i64_mul(local('sign'), c.i64_const(MASK))), local('carry'))));
    code.push(half.store(t, c.i64_and(local('carry'), c.i64_const(MASK))));
    code.push(c.setLocal('carry', c.i64_shr_u(local('carry'), c.i64_const(LIMB_BITS))));
  }
  code.push(packWords(c, half.load, 4, 'word', (w, value) => c.i64_store32(at, w * 4, value)));
  for (let w = 4; w < 8; w++) code.push(c.i32_store(at, w * 4, c.i32_const(0)));
  code.push(c.i32_store8(c.i32_add(local('signs'), c.i32_add(c.i32_shl(local('i'), c.i32_const(1)), c.i32_const(h))), 0, c.i32_wrap_i64(local('sign'))));
  return code.flat();
}

/** β in the MSM's field form (prover/field29.ts: Montgomery, R = 2^261), as an Fq element's 36 bytes. */
export function betaBytes(): Uint8Array {
  return new Uint8Array(Uint32Array.from(toLimbs((BETA << BigInt(SHIFT)) % BASE_FIELD_MODULUS)).buffer);
}
