import { beforeAll, describe, expect, it } from 'vitest';
import { readUintLE, writeUintLE } from '../../core/binfile.js';
import { seededRandom } from '../../core/random.js';
import { ZQ_BYTES } from '../../prover/field29.js';
import { COEFFICIENT_BYTES, KEY_COEFFICIENT_BYTES, WITNESS_KIND_BYTES } from '../../prover/qap.js';
import { proverModule } from '../../prover/wasm-module.js';
import { WasmArena } from '../../prover/wasm-arena.js';
import { P, readElements } from '../helpers/zr.js';

let arena: WasmArena;

beforeAll(() => {
  arena = WasmArena.create(proverModule());
});

const write = (bytes: Uint8Array) => {
  const pointer = arena.alloc(bytes.byteLength);
  arena.write(pointer, bytes);
  return pointer;
};

function randomBelow(modulus: bigint, random: () => number): bigint {
  let v = 0n;
  for (let w = 0; w < 8; w++) v = (v << 32n) | BigInt(Math.floor(random() * 2 ** 32));
  return v % modulus;
}

interface Coefficient {
  matrix: 0 | 1;
  constraint: number;
  signal: number;
  value: bigint;
}

/** The key's section 4 (without its count): snarkjs writes each value c as c·2^512 mod r. */
function keyCoefficients(coefficients: Coefficient[]): Uint8Array {
  const bytes = new Uint8Array(coefficients.length * KEY_COEFFICIENT_BYTES);
  const view = new DataView(bytes.buffer);
  coefficients.forEach(({ matrix, constraint, signal, value }, i) => {
    const at = i * KEY_COEFFICIENT_BYTES;
    view.setUint32(at, matrix, true);
    view.setUint32(at + 4, constraint, true);
    view.setUint32(at + 8, signal, true);
    bytes.set(writeUintLE((value * (1n << 512n)) % P, 32), at + 12);
  });
  return bytes;
}

describe("the QAP's evaluations in 29-bit limbs (prover/qap.ts)", () => {
  const random = seededRandom(20);
  const nVars = 40;
  const domain = 16;
  // Every kind of witness value: zeros, ones, r - 1, small, full width.
  const witness = Array.from({ length: nVars }, (_, i) =>
    i === 0 ? 1n : i % 5 === 1 ? 0n : i % 5 === 2 ? 1n : i === 3 ? P - 1n : i % 5 === 3 ? BigInt(i * 37) : randomBelow(P, random),
  );
  // Coefficients of either matrix at random constraints (some twice on one signal and
  // constraint), values 1, r - 1, small and full width.
  const coefficients: Coefficient[] = Array.from({ length: 120 }, (_, i) => ({
    matrix: (i % 2) as 0 | 1,
    constraint: Math.floor(random() * (domain - 2)),
    signal: i < 4 ? 7 : Math.floor(random() * nVars),
    value: i % 7 === 0 ? 1n : i % 7 === 1 ? P - 1n : i % 7 === 2 ? BigInt(i) : randomBelow(P, random),
  }));
  coefficients.push({ ...coefficients[10]! });

  /** A·w and B·w at each constraint, and C = A∘B, by bigint arithmetic. */
  function expected(): bigint[][] {
    const [a, b] = [new Array<bigint>(domain).fill(0n), new Array<bigint>(domain).fill(0n)];
    for (const { matrix, constraint, signal, value } of coefficients) {
      const column = matrix === 0 ? a : b;
      column[constraint] = (column[constraint]! + value * witness[signal]!) % P;
    }
    return [a, b, a.map((x, k) => (x * b[k]!) % P)];
  }

  /** The coefficients converted, the witness converted in two calls (as two threads make them), and three columns filled with garbage. */
  function prepare(): { converted: number; values: number; kinds: number; columns: number[] } {
    const converted = arena.alloc(coefficients.length * COEFFICIENT_BYTES);
    arena.fn('zr_zkCoefficients')(write(keyCoefficients(coefficients)), coefficients.length, converted);
    const plain = write(Uint8Array.from(witness.flatMap((w) => [...writeUintLE(w, 32)])));
    const values = arena.alloc(nVars * ZQ_BYTES);
    const kinds = arena.alloc(nVars * WITNESS_KIND_BYTES);
    arena.fn('zr_zkWitness')(plain, values, kinds, 17);
    arena.fn('zr_zkWitness')(plain + 17 * 32, values + 17 * ZQ_BYTES, kinds + 17 * WITNESS_KIND_BYTES, nVars - 17);
    const columns = [0, 1, 2].map(() => arena.alloc(domain * ZQ_BYTES));
    for (const column of columns) arena.write(column, new Uint8Array(domain * ZQ_BYTES).fill(0x11));
    return { converted, values, kinds, columns };
  }

  it('converts the witness: each value kind, and the others in zr form', () => {
    const mark = arena.top;
    const { values, kinds } = prepare();
    expect(Array.from(new Uint32Array(arena.copy(kinds, nVars * 4).buffer))).toEqual(witness.map((w) => (w === 0n ? 0 : w === 1n ? 1 : 2)));
    witness.forEach((w, i) => {
      if (w > 1n) expect(readElements(arena, values + i * ZQ_BYTES, 1)).toEqual([w]);
    });
    arena.release(mark);
  });

  it('builds A·w, B·w and A∘B over ranges of constraints that cover the domain', () => {
    const mark = arena.top;
    const { converted, values, kinds, columns } = prepare();
    for (const [from, count] of [[0, 5], [5, 11]] as const) arena.fn('zr_zkBuildABC')(converted, coefficients.length, values, kinds, ...columns, from, count);
    expect(columns.map((column) => readElements(arena, column, domain))).toEqual(expected());
    arena.release(mark);
  });

  it('leaves the constraints outside its range alone', () => {
    const mark = arena.top;
    const { converted, values, kinds, columns } = prepare();
    arena.fn('zr_zkBuildABC')(converted, coefficients.length, values, kinds, ...columns, 3, 4);
    const untouched = readUintLE(new Uint8Array(ZQ_BYTES).fill(0x11));
    columns.forEach((column, m) => {
      for (const k of [0, 1, 2, 7, 8, 15]) expect(readUintLE(arena.copy(column + k * ZQ_BYTES, ZQ_BYTES))).toBe(untouched);
      expect(readElements(arena, column + 3 * ZQ_BYTES, 4)).toEqual(expected()[m]!.slice(3, 7));
    });
    arena.release(mark);
  });
});
