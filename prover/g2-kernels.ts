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
 * the same doubling and addition steps (lines not kept) and compared without inversion (X = ψ(Q)ₓZ,
 * Y = ψ(Q)_yZ). The addition step is exact only for R ≠ ±Q and R ≠ O: for a point of G2 every
 * multiple on the way, 2…6x², is below r, so none is; for a point of small order outside G2 a
 * degenerate step leaves Z = 0 from then on (both exceptional cases do: R = Q gives (0, 0, 0), O + Q
 * gives it too), and Z = 0 at the end is refused.
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
  for (const lines of [true, false]) {
    addDoubleStep(define, scratch, lines, half!, threeB!);
    addAddStep(define, scratch, lines);
  }
  const step = (c: CodeBuilder, kind: 'double' | 'add', lines: boolean, ...args: Code[]) => c.call(`zg2_${kind}Step${lines ? 'Lines' : ''}`, ...args);
  const R = scratch(3 * F2);
  const [q1, q2] = [scratch(ZG2_BYTES), scratch(ZG2_BYTES)];
  /** r = ψ(p) for affine points, on field29; `negateY` gives −ψ(p). */
  const psi = (c: CodeBuilder, p: Code, r: number, negateY: boolean): Code[] => {
    const at = (base: Code, offset: number) => c.i32_add(base, c.i32_const(offset));
    const K = (pointer: number) => c.i32_const(pointer);
    return [
      c.call('zq2_conjugate', p, K(r)),
      c.call('zq2_mul', K(r), K(psiX!), K(r)),
      c.call('zq2_conjugate', at(p, F2), K(r + F2)),
      c.call('zq2_mul', K(r + F2), K(psiY!), K(r + F2)),
      negateY ? c.call('zq2_neg', K(r + F2), K(r + F2)) : [],
    ];
  };
  /** R = (x, y, 1) from the affine point. */
  const start = (c: CodeBuilder, p: Code) => [c.call('zq2_copy', p, c.i32_const(R)), c.call('zq2_copy', c.i32_add(p, c.i32_const(F2)), c.i32_const(R + F2)), c.call('zq2_one', c.i32_const(R + 2 * F2))];
  /** Double-and-add over `bits` from the one below the top; `line` gives each step's coefficient address. */
  const ladder = (c: CodeBuilder, p: Code, bits: readonly number[], lines: boolean, line: () => Code, next: () => Code) => {
    const code: Code[] = [];
    for (let i = bits.length - 2; i >= 0; i--) {
      code.push(step(c, 'double', lines, c.i32_const(R), line()), next());
      if (bits[i]) code.push(step(c, 'add', lines, p, c.i32_const(R), line()), next());
    }
    return code;
  };

  define(
    G2_KERNELS.prepareLines,
    ['point', 'lines'],
    (c, at) => {
      const line = () => c.getLocal('line');
      const next = () => c.setLocal('line', c.i32_add(c.getLocal('line'), c.i32_const(LINE_BYTES)));
      return [
        c.setLocal('line', at('lines')),
        ...start(c, at('point')),
        ...ladder(c, at('point'), ATE_BITS, true, line, next),
        ...psi(c, at('point'), q1, false),
        ...psi(c, c.i32_const(q1), q2, true),
        step(c, 'add', true, c.i32_const(q1), c.i32_const(R), line()),
        next(),
        step(c, 'add', true, c.i32_const(q2), c.i32_const(R), line()),
      ];
    },
    { locals: ['line'] },
  );

  const [psiQ, product] = [scratch(ZG2_BYTES), scratch(F2)];
  define(
    G2_KERNELS.inG2,
    ['point'],
    (c, at) => {
      const K = (pointer: number) => c.i32_const(pointer);
      /** ψ(Q)'s coordinate times Z equals R's X or Y. */
      const matches = (coordinate: number) => [
        ...c.call('zq2_mul', K(psiQ + coordinate * F2), K(R + 2 * F2), K(product)),
        ...c.i32_and(c.call('zq_equal', K(product), K(R + coordinate * F2)), c.call('zq_equal', K(product + ZQ_BYTES), K(R + coordinate * F2 + ZQ_BYTES))),
      ];
      return [
        ...start(c, at('point')),
        ...ladder(c, at('point'), bitsOf(PSI_EIGENVALUE), false, () => c.i32_const(0), () => []),
        ...psi(c, at('point'), psiQ, false),
        c.i32_and(c.i32_eqz(c.call('zq2_isZero', K(R + 2 * F2))), c.i32_and(matches(0), matches(1))),
      ];
    },
    { returns: true },
  );
  for (const name of Object.values(G2_KERNELS)) module.exportFunction(name);
}

/** zg2_doubleStep[Lines](R, line): R = 2R, and the line's coefficients (ξ·I, −H, 3J) when kept. */
function addDoubleStep(define: Define, scratch: Scratch, lines: boolean, half: number, threeB: number): void {
  const [a, b, cc, e, f, g, h, j, t] = Array.from({ length: 9 }, () => scratch(F2));
  define(lines ? 'zg2_doubleStepLines' : 'zg2_doubleStep', ['R', 'line'], (c, at) => {
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
      lines ? f2('square', X, K(j)) : [],
      // X' = A(B − F), Y' = G² − 3E², Z' = BH.
      f2('sub', K(b), K(f), K(t)),
      f2('mul', K(a), K(t), X),
      f2('square', K(e), K(t)),
      f2('triple', K(t), K(t)),
      f2('square', K(g), Y),
      f2('sub', Y, K(t), Y),
      f2('mul', K(b), K(h), Z),
      ...(lines
        ? [
            // ℓ₀ = ξ(E − B), ℓ_VW = −H, ℓ_VV = 3J.
            f2('sub', K(e), K(b), K(t)),
            f2('mulXi', K(t), at('line')),
            f2('neg', K(h), at('line', F2)),
            f2('triple', K(j), at('line', 2 * F2)),
          ]
        : []),
    ];
  });
}

/** zg2_addStep[Lines](Q, R, line): R = R + Q (Q affine), and the line's coefficients (ξ(E·x₂ − D·y₂), D, −E) when kept. */
function addAddStep(define: Define, scratch: Scratch, lines: boolean): void {
  const [d, e, f, g, h, i, j, t] = Array.from({ length: 8 }, () => scratch(F2));
  define(lines ? 'zg2_addStepLines' : 'zg2_addStep', ['Q', 'R', 'line'], (c, at) => {
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
      ...(lines
        ? [
            f2('mul', K(e), x2, K(t)),
            f2('mul', K(d), y2, K(j)),
            f2('sub', K(t), K(j), K(t)),
            f2('mulXi', K(t), at('line')),
            f2('copy', K(d), at('line', F2)),
            f2('neg', K(e), at('line', 2 * F2)),
          ]
        : []),
    ];
  });
}
