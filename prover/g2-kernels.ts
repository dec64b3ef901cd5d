/**
 * G2 on field29, for the pairing check (prover/pairing.ts): a point's Miller-loop line
 * coefficients and its subgroup test, generated into the prover's WebAssembly after
 * prover/pairing-kernels.ts (whose Fq2 helpers they call). Points are affine (x, y) on field29
 * (144 bytes); the running point R is homogeneous projective (X, Y, Z), x = X/Z, y = Y/Z.
 *
 * The lines are the values ffjavascript's `bn128_prepareG2` writes (libff's doubling and mixed
 * addition steps for the twist y² = x³ + b', b' = 3/ξ), so that the Miller loop's result is its
 * element exactly (a test compares every coefficient): a doubling gives
 * (ξ(3b'Z² − Y²), −((Y + Z)² − Y² − Z²), 3X²), an addition of Q = (x₂, y₂) gives
 * (ξ(E·x₂ − D·y₂), D, −E) with D = X − x₂Z and E = Y − y₂Z; after the loop over the bits of 6x + 2,
 * two more additions, of Q₁ = π(Q) and Q₂ = −π²(Q), π acting on the twist as ψ below.
 *
 * The subgroup test is prover/g2-subgroup.ts's criterion, Q ∈ G2 ⇔ ψ(Q) = [6x²]Q, with [6x²]Q by
 * double-and-add in Jacobian coordinates (x = X/Z², y = Y/Z³; a = 0 doubling in 2M + 5S, mixed
 * addition in 7M + 4S, the explicit-formulas database's dbl-2009-l and madd-2007-bl) and compared
 * without inversion (X = ψ(Q)ₓZ², Y = ψ(Q)_yZ³). The addition is exact only for R ≠ ±Q and R ≠ O:
 * for a point of G2 every multiple on the way, 2…6x², is below r, so none is. Outside G2 a
 * degenerate step sets Z = 0 (R = ±Q gives H = 0, so Z' = (Z + H)² − Z² − H² = 0; a doubling to O
 * has Y = 0, so Z' = 2YZ = 0) and both steps keep Z = 0 from then on: Z = 0 at the end is refused.
 */
import { BASE_FIELD_MODULUS } from '../core/field.js';
import { PSI_EIGENVALUE } from './g2-subgroup.js';
import { ZQ_BYTES } from './field29.js';
import { ATE_BITS, type Define, type Fq2, LINE_BYTES, type Scratch, XI, definer, fq2Inverse, pow2 } from './pairing-kernels.js';
import type { Code, CodeBuilder, ModuleBuilder } from './wasm-module.js';

const q = BASE_FIELD_MODULUS;
const F2 = 2 * ZQ_BYTES;
/** Bytes of an affine G2 point (x, y) on field29. */
export const ZG2_BYTES = 2 * F2;

export const G2_KERNELS = {
  /** (point, lines): the point's LINES line coefficients (LINE_BYTES each), from its affine coordinates. */
  prepareLines: 'zg2_prepareLines',
  /** (point): 1 if the affine point (on the twist: not checked here) is in G2. */
  inG2: 'zg2_inG2',
} as const;

/** ψ(x, y) = (x̄·ξ^((q−1)/3), ȳ·ξ^((q−1)/2)), the q-power Frobenius seen through the twist. */
const PSI_X = pow2(XI, (q - 1n) / 3n);
const PSI_Y = pow2(XI, (q - 1n) / 2n);
/** 3b' = 9/ξ, the doubling's multiplier of Z². */
const THREE_B = ((inverse: Fq2): Fq2 => [(9n * inverse[0]) % q, (9n * inverse[1]) % q])(fq2Inverse(XI));
const HALF: Fq2 = [(q + 1n) / 2n, 0n];

/** Bits of a positive integer from the least significant. */
const bitsOf = (value: bigint) => Array.from({ length: value.toString(2).length }, (_, i) => Number((value >> BigInt(i)) & 1n));

/** Add the G2 kernels to a module being built (after prover/pairing-kernels.ts's functions). */
export function addG2(module: ModuleBuilder): void {
  const { define, scratch, constant } = definer(module);
  const [half, threeB, psiX, psiY] = [HALF, THREE_B, PSI_X, PSI_Y].map(constant);
  addDoubleStep(define, scratch, half!, threeB!);
  addAddStep(define, scratch);
  addJacobianSteps(define, scratch);
  const R = scratch(3 * F2);
  const [q1, q2] = [scratch(ZG2_BYTES), scratch(ZG2_BYTES)];
  /** r = ψ(p) for affine points, on field29; `negateY` gives −ψ(p). */
  const psi = (c: CodeBuilder, p: Code, r: number, negateY: boolean): Code[] => {
    const K = (pointer: number) => c.i32_const(pointer);
    return [
      c.call('zq2_conjugate', p, K(r)),
      c.call('zq2_mul', K(r), K(psiX!), K(r)),
      c.call('zq2_conjugate', c.i32_add(p, c.i32_const(F2)), K(r + F2)),
      c.call('zq2_mul', K(r + F2), K(psiY!), K(r + F2)),
      negateY ? c.call('zq2_neg', K(r + F2), K(r + F2)) : [],
    ];
  };
  /** R = (x, y, 1) from the affine point. */
  const start = (c: CodeBuilder, p: Code) => [c.call('zq2_copy', p, c.i32_const(R)), c.call('zq2_copy', c.i32_add(p, c.i32_const(F2)), c.i32_const(R + F2)), c.call('zq2_one', c.i32_const(R + 2 * F2))];

  define(
    G2_KERNELS.prepareLines,
    ['point', 'lines'],
    (c, at) => {
      const line = () => c.getLocal('line');
      const next = () => c.setLocal('line', c.i32_add(c.getLocal('line'), c.i32_const(LINE_BYTES)));
      const code: Code[] = [c.setLocal('line', at('lines')), ...start(c, at('point'))];
      for (let i = ATE_BITS.length - 2; i >= 0; i--) {
        code.push(c.call('zg2_doubleStep', c.i32_const(R), line()), next());
        if (ATE_BITS[i]) code.push(c.call('zg2_addStep', at('point'), c.i32_const(R), line()), next());
      }
      return [
        ...code,
        ...psi(c, at('point'), q1, false),
        ...psi(c, c.i32_const(q1), q2, true),
        c.call('zg2_addStep', c.i32_const(q1), c.i32_const(R), line()),
        next(),
        c.call('zg2_addStep', c.i32_const(q2), c.i32_const(R), line()),
      ];
    },
    { locals: ['line'] },
  );

  const [psiQ, zz, product] = [scratch(ZG2_BYTES), scratch(F2), scratch(F2)];
  const bits = bitsOf(PSI_EIGENVALUE);
  define(
    G2_KERNELS.inG2,
    ['point'],
    (c, at) => {
      const K = (pointer: number) => c.i32_const(pointer);
      /** ψ(Q)'s coordinate times Z^power equals R's X or Y. */
      const matches = (coordinate: number) => [
        ...c.call('zq2_mul', K(psiQ + coordinate * F2), K(zz), K(product)),
        ...c.i32_and(c.call('zq_equal', K(product), K(R + coordinate * F2)), c.call('zq_equal', K(product + ZQ_BYTES), K(R + coordinate * F2 + ZQ_BYTES))),
      ];
      const code: Code[] = [...start(c, at('point'))];
      for (let i = bits.length - 2; i >= 0; i--) {
        code.push(c.call('zg2_jacobianDouble', K(R)));
        if (bits[i]) code.push(c.call('zg2_jacobianAddAffine', at('point'), K(R)));
      }
      return [
        ...code,
        ...psi(c, at('point'), psiQ, false),
        c.call('zq2_square', K(R + 2 * F2), K(zz)),
        c.i32_and(
          c.i32_eqz(c.call('zq2_isZero', K(R + 2 * F2))),
          c.i32_and(matches(0), [...c.call('zq2_mul', K(zz), K(R + 2 * F2), K(zz)), ...matches(1)]),
        ),
      ];
    },
    { returns: true },
  );
  for (const name of Object.values(G2_KERNELS)) module.exportFunction(name);
}

/** zg2_jacobianDouble(R) and zg2_jacobianAddAffine(Q, R): R = 2R and R = R + Q (Q affine), Jacobian, for y² = x³ + b. */
function addJacobianSteps(define: Define, scratch: Scratch): void {
  const [a, b, cc, d, e, f, t] = Array.from({ length: 7 }, () => scratch(F2));
  define('zg2_jacobianDouble', ['R'], (c, at) => {
    const K = (pointer: number) => c.i32_const(pointer);
    const f2 = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
    const [X, Y, Z] = [at('R'), at('R', F2), at('R', 2 * F2)];
    return [
      // A = X², B = Y², C = B², D = 2((X + B)² − A − C), E = 3A, F = E².
      f2('square', X, K(a)),
      f2('square', Y, K(b)),
      f2('square', K(b), K(cc)),
      f2('add', X, K(b), K(d)),
      f2('square', K(d), K(d)),
      f2('sub', K(d), K(a), K(d)),
      f2('sub', K(d), K(cc), K(d)),
      f2('add', K(d), K(d), K(d)),
      f2('triple', K(a), K(e)),
      f2('square', K(e), K(f)),
      // Z' = 2YZ (before Y changes), X' = F − 2D, Y' = E(D − X') − 8C.
      f2('mul', Y, Z, Z),
      f2('add', Z, Z, Z),
      f2('sub', K(f), K(d), X),
      f2('sub', X, K(d), X),
      f2('sub', K(d), X, K(t)),
      f2('mul', K(e), K(t), Y),
      f2('add', K(cc), K(cc), K(cc)),
      f2('add', K(cc), K(cc), K(cc)),
      f2('add', K(cc), K(cc), K(cc)),
      f2('sub', Y, K(cc), Y),
    ];
  });
  const [z1z1, u2, s2, h, hh, i, j, r, v] = Array.from({ length: 9 }, () => scratch(F2));
  define('zg2_jacobianAddAffine', ['Q', 'R'], (c, at) => {
    const K = (pointer: number) => c.i32_const(pointer);
    const f2 = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
    const [x2, y2] = [at('Q'), at('Q', F2)];
    const [X, Y, Z] = [at('R'), at('R', F2), at('R', 2 * F2)];
    return [
      // Z1Z1 = Z², U2 = x₂Z1Z1, S2 = y₂·Z·Z1Z1, H = U2 − X, HH = H², I = 4HH, J = HI, r = 2(S2 − Y), V = XI.
      f2('square', Z, K(z1z1)),
      f2('mul', x2, K(z1z1), K(u2)),
      f2('mul', y2, Z, K(s2)),
      f2('mul', K(s2), K(z1z1), K(s2)),
      f2('sub', K(u2), X, K(h)),
      f2('square', K(h), K(hh)),
      f2('add', K(hh), K(hh), K(i)),
      f2('add', K(i), K(i), K(i)),
      f2('mul', K(h), K(i), K(j)),
      f2('sub', K(s2), Y, K(r)),
      f2('add', K(r), K(r), K(r)),
      f2('mul', X, K(i), K(v)),
      // Z' = (Z + H)² − Z1Z1 − HH, X' = r² − J − 2V, Y' = r(V − X') − 2YJ.
      f2('add', Z, K(h), Z),
      f2('square', Z, Z),
      f2('sub', Z, K(z1z1), Z),
      f2('sub', Z, K(hh), Z),
      f2('square', K(r), X),
      f2('sub', X, K(j), X),
      f2('sub', X, K(v), X),
      f2('sub', X, K(v), X),
      f2('mul', Y, K(j), K(j)),
      f2('add', K(j), K(j), K(j)),
      f2('sub', K(v), X, K(v)),
      f2('mul', K(r), K(v), Y),
      f2('sub', Y, K(j), Y),
    ];
  });
}

/** zg2_doubleStep(R, line): R = 2R, and the line's coefficients (ξ·I, −H, 3J). */
function addDoubleStep(define: Define, scratch: Scratch, half: number, threeB: number): void {
  const [a, b, cc, e, f, g, h, j, t] = Array.from({ length: 9 }, () => scratch(F2));
  define('zg2_doubleStep', ['R', 'line'], (c, at) => {
    const K = (pointer: number) => c.i32_const(pointer);
    const f2 = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
    const [X, Y, Z] = [at('R'), at('R', F2), at('R', 2 * F2)];
    return [
      // A = XY/2, B = Y², C = Z², E = 3b'C, F = 3E, G = (B + F)/2, H = (Y + Z)² − B − C, J = X².
      f2('mul', X, Y, K(a)),
      f2('mul', K(a), K(half), K(a)),
      f2('square', Y, K(b)),
      f2('square', Z, K(cc)),
      f2('mul', K(cc), K(threeB), K(e)),
      f2('triple', K(e), K(f)),
      f2('add', K(b), K(f), K(g)),
      f2('mul', K(g), K(half), K(g)),
      f2('add', Y, Z, K(h)),
      f2('square', K(h), K(h)),
      f2('sub', K(h), K(b), K(h)),
      f2('sub', K(h), K(cc), K(h)),
      f2('square', X, K(j)),
      // X' = A(B − F), Y' = G² − 3E², Z' = BH.
      f2('sub', K(b), K(f), K(t)),
      f2('mul', K(a), K(t), X),
      f2('square', K(e), K(t)),
      f2('triple', K(t), K(t)),
      f2('square', K(g), Y),
      f2('sub', Y, K(t), Y),
      f2('mul', K(b), K(h), Z),
      // ℓ₀ = ξ(E − B), ℓ_VW = −H, ℓ_VV = 3J.
      f2('sub', K(e), K(b), K(t)),
      f2('mulXi', K(t), at('line')),
      f2('neg', K(h), at('line', F2)),
      f2('triple', K(j), at('line', 2 * F2)),
    ];
  });
}

/** zg2_addStep(Q, R, line): R = R + Q (Q affine), and the line's coefficients (ξ(E·x₂ − D·y₂), D, −E). */
function addAddStep(define: Define, scratch: Scratch): void {
  const [d, e, f, g, h, i, j, t] = Array.from({ length: 8 }, () => scratch(F2));
  define('zg2_addStep', ['Q', 'R', 'line'], (c, at) => {
    const K = (pointer: number) => c.i32_const(pointer);
    const f2 = (op: string, ...args: Code[]) => c.call(`zq2_${op}`, ...args);
    const [x2, y2] = [at('Q'), at('Q', F2)];
    const [X, Y, Z] = [at('R'), at('R', F2), at('R', 2 * F2)];
    return [
      // D = X − x₂Z, E = Y − y₂Z, F = D², G = E², H = DF, I = XF, J = H + ZG − 2I.
      f2('mul', x2, Z, K(d)),
      f2('sub', X, K(d), K(d)),
      f2('mul', y2, Z, K(e)),
      f2('sub', Y, K(e), K(e)),
      f2('square', K(d), K(f)),
      f2('square', K(e), K(g)),
      f2('mul', K(d), K(f), K(h)),
      f2('mul', X, K(f), K(i)),
      f2('mul', Z, K(g), K(j)),
      f2('add', K(h), K(j), K(j)),
      f2('sub', K(j), K(i), K(j)),
      f2('sub', K(j), K(i), K(j)),
      // X' = DJ, Y' = E(I − J) − HY, Z' = ZH.
      f2('mul', K(d), K(j), X),
      f2('sub', K(i), K(j), K(t)),
      f2('mul', K(e), K(t), K(t)),
      f2('mul', K(h), Y, Y),
      f2('sub', K(t), Y, Y),
      f2('mul', Z, K(h), Z),
      f2('mul', K(e), x2, K(t)),
      f2('mul', K(d), y2, K(j)),
      f2('sub', K(t), K(j), K(t)),
      f2('mulXi', K(t), at('line')),
      f2('copy', K(d), at('line', F2)),
      f2('neg', K(e), at('line', 2 * F2)),
    ];
  });
}
