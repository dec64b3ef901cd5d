/**
 * bn128's scalar field for the tests of the prover's kernels on prover/field29.ts's zr form
 * (Montgomery form with R = 2^261, nine 29-bit limbs): the modulus written out, so that the tests
 * do not trust the code under test, and reading and writing representations in an arena.
 */
import { expect } from 'vitest';
import { LIMB_BITS, LIMBS, ZQ_BYTES, limbBytes } from '../../prover/field29.js';
import type { WasmArena } from '../../prover/wasm-arena.js';

export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** The zr form's Montgomery factor. */
export const R = 1n << 261n;

export function power(base: bigint, exponent: bigint): bigint {
  let [result, b, e] = [1n, base % P, exponent];
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

export const inverse = (a: bigint) => power(a, P - 2n);

const R_INVERSE = inverse(R);

/** The element a representation stands for. */
export const meaning = (representation: bigint) => (representation * R_INVERSE) % P;

/** Write representations (raw limbs) at a fresh allocation. */
export function putRepresentations(arena: WasmArena, values: bigint[]): number {
  const pointer = arena.alloc(values.length * ZQ_BYTES);
  values.forEach((v, i) => arena.write(pointer + i * ZQ_BYTES, limbBytes(v)));
  return pointer;
}

/** The elements the representations at `pointer` stand for, after checking they are below 2p in normal limbs. */
export function readElements(arena: WasmArena, pointer: number, count: number): bigint[] {
  return Array.from({ length: count }, (_, k) => {
    const limbs = new Uint32Array(arena.copy(pointer + k * ZQ_BYTES, ZQ_BYTES).buffer);
    let value = 0n;
    for (let i = LIMBS - 1; i >= 0; i--) {
      expect(limbs[i]! < 2 ** LIMB_BITS).toBe(true);
      value = (value << BigInt(LIMB_BITS)) + BigInt(limbs[i]!);
    }
    expect(value < 2n * P).toBe(true);
    return meaning(value);
  });
}
