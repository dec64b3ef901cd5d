/**
 * The field side of a development setup: the circuit's QAP evaluated at the secret τ, and every
 * scalar whose multiple of a generator goes into the proving key. It follows what snarkjs's
 * zkey_new.js derives from a prepared powers of tau, so a key made here is the key snarkjs would
 * make from a ptau with the same τ, α, β (and then a phase-2 contribution δ):
 *
 * - rows: the circuit's constraints, then one extra row per public signal and the constant,
 *   `s · 1 = 0` (A only), which makes the public inputs' A polynomials independent;
 * - the domain is the smallest power of two above constraints + public signals, ω = ffjavascript's
 *   root of unity of that order (the one its FFTs use, natural order);
 * - A_s, B_s (in G1 and G2) are u_s(τ), v_s(τ); IC_s = (β·u_s + α·v_s + w_s)(τ)/γ for public s,
 *   C_s the same over δ for the others;
 * - H: snarkjs's prover evaluates A·B − C on the coset c·ω^i (c = ω of twice the order) and
 *   multiplies by the H points directly, without going back to coefficients. With
 *   A·B − C = h·Z and Z(c·ω^i) = c^m − 1, the point for coset index i is
 *   Z(τ) · L^coset_i(τ) / ((c^m − 1)·δ), L^coset_i the Lagrange basis of that coset.
 * - the circuit hash covers H as snarkjs hashes it before any contribution: τ^i·Z(τ) for i < m−1.
 *
 * All arithmetic runs in ffjavascript's WebAssembly (Montgomery form); outputs are 32-byte
 * little-endian scalars in normal form, as the fixed-base multiplication reads them.
 */
import { writeUintLE } from '../../core/binfile.js';
import { type DomainRoots, FIELD_MODULUS, fieldPow } from '../../core/field.js';
import type { RawR1cs } from './r1cs-raw.js';
import { FR_BYTES } from '../bn128-layout.js';
import type { WasmArena } from '../wasm-arena.js';

type WasmFunction = (...args: number[]) => number;

/** The setup's secrets, 32-byte little-endian below r and nonzero. Whoever knows them can forge proofs. */
export interface ToxicWaste {
  tau: Uint8Array;
  alpha: Uint8Array;
  beta: Uint8Array;
  gamma: Uint8Array;
  delta: Uint8Array;
}

export interface KeyScalars {
  /** Section 4 of the .zkey: u32 count, then (u32 matrix, u32 row, u32 wire, coefficient·R² mod r). */
  coefficients: Uint8Array;
  ic: Uint8Array;
  a: Uint8Array;
  b: Uint8Array;
  c: Uint8Array;
  /** C before δ, for the circuit hash only. */
  cInitial: Uint8Array;
  h: Uint8Array;
  /** τ^i·Z(τ), i < m − 1, for the circuit hash only. */
  hHash: Uint8Array;
}

/** The domain snarkjs uses: 2^power > constraints + public signals. */
export function domainPower(nConstraints: number, nPublic: number): number {
  return 32 - Math.clz32(nConstraints + nPublic);
}

const r = FIELD_MODULUS;

const inverse = (value: bigint) => fieldPow(value, r - 2n);

export function computeKeyScalars(arena: WasmArena, r1cs: RawR1cs, secrets: ToxicWaste, roots: DomainRoots, power: number): KeyScalars {
  const f = (name: string) => arena.fn(`frm_${name}`);
  const [mul, add, sub, square, copy, one, isZero] = ['mul', 'add', 'sub', 'square', 'copy', 'one', 'isZero'].map(f) as WasmFunction[];
  const [toMont, batchFromMont, batchInverse] = ['toMontgomery', 'batchFromMontgomery', 'batchInverse'].map(f) as WasmFunction[];
  const { nVars, nPublic, nConstraints, constraints } = r1cs;
  const m = 2 ** power;
  const rows = nConstraints + nPublic + 1;
  const nPrivate = nVars - nPublic - 1;
  const at = (array: number, index: number) => array + index * FR_BYTES;

  // Count the A and B terms: section 4 lists them, and the extra rows' A terms.
  let coefficientCount = nPublic + 1;
  for (let c = 0, offset = 0; c < nConstraints; c++) {
    for (let matrix = 0; matrix < 3; matrix++) {
      const terms = constraints.readUInt32LE(offset);
      if (matrix < 2) coefficientCount += terms;
      offset += 4 + terms * (4 + FR_BYTES);
    }
  }

  const mark = arena.top;
  try {
    const constant = arena.alloc(16 * FR_BYTES);
    const [TAU, ALPHA, BETA, GAMMA_INV, DELTA_INV, ONE, Z, TMP, TMP2, OMEGA, COSET, K, TAU_M, ONE_R2] = Array.from({ length: 14 }, (_, i) => at(constant, i));
    const powers = arena.alloc(m * FR_BYTES);
    const denominators = arena.alloc(m * FR_BYTES);
    const inverses = arena.alloc(m * FR_BYTES);
    const lagrange = arena.alloc(rows * FR_BYTES);
    const u = arena.alloc(nVars * FR_BYTES);
    const v = arena.alloc(nVars * FR_BYTES);
    const w = arena.alloc(nVars * FR_BYTES);
    const ic = arena.alloc((nPublic + 1) * FR_BYTES);
    const cFinal = arena.alloc(nPrivate * FR_BYTES);
    const cInitial = arena.alloc(nPrivate * FR_BYTES);
    const h = arena.alloc(m * FR_BYTES);
    const hHash = arena.alloc((m - 1) * FR_BYTES);
    const terms = arena.alloc(constraints.length);
    const coefficients = arena.alloc(4 + coefficientCount * (12 + FR_BYTES));
    arena.scratch((m + 2) * FR_BYTES);
    // No allocation after this point: views of wasm memory stay valid.
    arena.view(mark, arena.top - mark).fill(0);
    arena.write(terms, constraints);

    const setPublic = (pointer: number, value: bigint) => {
      arena.write(pointer, writeUintLE(value, FR_BYTES));
      toMont(pointer, pointer);
    };
    const setSecret = (pointer: number, value: Uint8Array) => {
      arena.write(pointer, value);
      toMont(pointer, pointer);
    };
    const invertSecret = (pointer: number) => {
      // a^(r−2) by square-and-multiply over the public exponent's bits.
      copy(pointer, TMP);
      one(pointer);
      for (let bit = 253; bit >= 0; bit--) {
        square(pointer, pointer);
        if (((r - 2n) >> BigInt(bit)) & 1n) mul(pointer, TMP, pointer);
      }
    };

    setSecret(TAU, secrets.tau);
    setSecret(ALPHA, secrets.alpha);
    setSecret(BETA, secrets.beta);
    setSecret(GAMMA_INV, secrets.gamma);
    invertSecret(GAMMA_INV);
    setSecret(DELTA_INV, secrets.delta);
    invertSecret(DELTA_INV);
    one(ONE);
    toMont(ONE, ONE_R2); // 1·R² mod r, the snarkjs form of coefficient 1
    setPublic(OMEGA, roots.omega);
    setPublic(COSET, roots.coset);

    // τ^m by squaring, Z(τ) = τ^m − 1.
    copy(TAU, TAU_M);
    for (let i = 0; i < power; i++) square(TAU_M, TAU_M);
    sub(TAU_M, ONE, Z);
    const cm = fieldPow(roots.coset, BigInt(m));
    setPublic(TMP2, cm);
    sub(TAU_M, TMP2, TMP2); // τ^m − c^m
    if (isZero(Z) || isZero(TMP2)) throw new DegenerateSecret();

    // Lagrange basis of the domain at τ: L_i(τ) = Z(τ)/m · ω^i/(τ − ω^i).
    one(powers);
    for (let i = 1; i < rows; i++) mul(at(powers, i - 1), OMEGA, at(powers, i));
    for (let i = 0; i < rows; i++) sub(TAU, at(powers, i), at(denominators, i));
    batchInverse(denominators, FR_BYTES, rows, inverses, FR_BYTES);
    setPublic(K, inverse(BigInt(m)));
    mul(K, Z, K);
    for (let i = 0; i < rows; i++) {
      mul(at(powers, i), at(inverses, i), TMP);
      mul(TMP, K, at(lagrange, i));
    }

    // u, v, w at τ, and section 4 (A and B coefficients, ·R² as snarkjs stores them).
    const view = new DataView(arena.view(0, arena.top).buffer);
    let read = terms;
    let written = coefficients + 4;
    const entry = (matrix: number, row: number, wire: number) => {
      view.setUint32(written, matrix, true);
      view.setUint32(written + 4, row, true);
      view.setUint32(written + 8, wire, true);
      written += 12 + FR_BYTES;
      return written - FR_BYTES;
    };
    const targets = [u, v, w];
    for (let row = 0; row < nConstraints; row++) {
      const l = at(lagrange, row);
      for (let matrix = 0; matrix < 3; matrix++) {
        const count = view.getUint32(read, true);
        read += 4;
        for (let t = 0; t < count; t++, read += 4 + FR_BYTES) {
          const wire = view.getUint32(read, true);
          const coefficient = read + 4;
          toMont(coefficient, coefficient);
          if (matrix < 2) toMont(coefficient, entry(matrix, row, wire));
          mul(coefficient, l, TMP);
          add(at(targets[matrix]!, wire), TMP, at(targets[matrix]!, wire));
        }
      }
    }
    for (let s = 0; s <= nPublic; s++) {
      add(at(u, s), at(lagrange, nConstraints + s), at(u, s));
      copy(ONE_R2, entry(0, nConstraints + s, s));
    }
    view.setUint32(coefficients, coefficientCount, true);

    // β·u + α·v + w, over γ for public wires, over δ (and as is, for the hash) for the others.
    for (let s = 0; s < nVars; s++) {
      mul(BETA, at(u, s), TMP);
      mul(ALPHA, at(v, s), TMP2);
      add(TMP, TMP2, TMP);
      add(TMP, at(w, s), TMP);
      if (s <= nPublic) mul(TMP, GAMMA_INV, at(ic, s));
      else {
        copy(TMP, at(cInitial, s - nPublic - 1));
        mul(TMP, DELTA_INV, at(cFinal, s - nPublic - 1));
      }
    }

    // H on the coset c·ω^i: Z(τ)·(τ^m − c^m)/((c^m − 1)·m·c^m·δ) · c·ω^i/(τ − c·ω^i).
    setPublic(TMP2, cm);
    sub(TAU_M, TMP2, TMP2);
    setPublic(K, inverse((((cm - 1n + r) % r) * BigInt(m) % r) * cm % r));
    mul(K, Z, K);
    mul(K, TMP2, K);
    mul(K, DELTA_INV, K);
    copy(COSET, powers);
    for (let i = 1; i < m; i++) mul(at(powers, i - 1), OMEGA, at(powers, i));
    for (let i = 0; i < m; i++) sub(TAU, at(powers, i), at(denominators, i));
    batchInverse(denominators, FR_BYTES, m, inverses, FR_BYTES);
    for (let i = 0; i < m; i++) {
      mul(at(powers, i), at(inverses, i), TMP);
      mul(TMP, K, at(h, i));
    }
    copy(Z, TMP);
    for (let i = 0; i < m - 1; i++) {
      copy(TMP, at(hHash, i));
      mul(TMP, TAU, TMP);
    }

    const normal = (array: number, count: number) => {
      batchFromMont(array, count, array);
      return arena.copy(array, count * FR_BYTES);
    };
    return {
      coefficients: arena.copy(coefficients, 4 + coefficientCount * (12 + FR_BYTES)),
      ic: normal(ic, nPublic + 1),
      a: normal(u, nVars),
      b: normal(v, nVars),
      c: normal(cFinal, nPrivate),
      cInitial: normal(cInitial, nPrivate),
      h: normal(h, m),
      hHash: normal(hHash, m - 1),
    };
  } finally {
    // Everything here was derived from the secrets.
    arena.wipe(mark, arena.top - mark);
    arena.release(mark);
  }
}

/** τ on the domain or its coset (probability about 2^−236): the caller draws new secrets. */
export class DegenerateSecret extends Error {
  constructor() {
    super('tau lies on the evaluation domain');
  }
}
