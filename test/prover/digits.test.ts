/** Signed window digits (prover/digits.ts), shared by the MSM and the fixed-base setup: pure, no WebAssembly. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { liftedWords, signedDigits } from '../../prover/digits.js';

/** BN254's scalar field order, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

function wordsOf(scalars: readonly bigint[]): Uint32Array {
  const words = new Uint32Array(scalars.length * 8);
  scalars.forEach((value, k) => {
    for (let w = 0; w < 8; w++) words[k * 8 + w] = Number((value >> BigInt(32 * w)) & 0xffffffffn);
  });
  return words;
}

describe('signedDigits', () => {
  const random = seededRandom(20);
  const randomScalar = (bits: number) => {
    let value = 0n;
    for (let i = 0; i < bits; i += 16) value = (value << 16n) | BigInt(Math.floor(random() * 65536));
    return value & ((1n << BigInt(bits)) - 1n);
  };
  const scalars = [0n, 1n, 2n, R - 1n, (1n << 254n) - 1n, (1n << 253n) + 12345n, 0xffffffffn, 1n << 128n, ...Array.from({ length: 20 }, () => randomScalar(254)), ...Array.from({ length: 5 }, () => randomScalar(17))];

  for (const c of [2, 3, 7, 8, 12, 16, 20]) {
    it(`${c}-bit digits are within (-2^(c-1), 2^(c-1)] and sum back to each scalar`, () => {
      const windows = Math.ceil(255 / c);
      const words = wordsOf(scalars);
      // Every other scalar, in reverse: digits follow `used`, not the words' order.
      const used = scalars.map((_, i) => i).filter((i) => i % 2 === 0).reverse();
      const digits = signedDigits(words, used, c, windows);
      expect(digits).toHaveLength(windows * used.length);
      used.forEach((index, k) => {
        let sum = 0n;
        for (let j = windows - 1; j >= 0; j--) {
          const digit = digits[j * used.length + k]!;
          // The range that makes the digits unique: -2^(c-1) itself is never used.
          expect(digit).toBeGreaterThan(-(2 ** (c - 1)));
          expect(digit).toBeLessThanOrEqual(2 ** (c - 1));
          sum = (sum << BigInt(c)) + BigInt(digit);
        }
        expect(sum).toBe(scalars[index]);
      });
    });
  }

  it('writes every digit into given arrays that are long enough, whatever they held', () => {
    const words = wordsOf(scalars);
    const used = scalars.map((_, i) => i);
    const fresh = signedDigits(words, used, 12, 22);
    const into = new Int32Array(fresh.length + 5).fill(-77);
    const reused = signedDigits(words, used, 12, 22, into);
    expect([reused.buffer === into.buffer, Array.from(reused)]).toEqual([true, Array.from(fresh)]);
    // Too short: a fresh array.
    expect(signedDigits(words, used, 12, 22, new Int32Array(3))).toEqual(fresh);
    // The same for the scratch space of the lifted scalars, whatever it held.
    const scratch = new Int32Array(used.length * liftedWords(12, 22) + 3).fill(-1);
    expect(signedDigits(words, used, 12, 22, undefined, scratch)).toEqual(fresh);
    expect(signedDigits(words, used, 12, 22, undefined, new Int32Array(2))).toEqual(fresh);
  });

  it('a carry out of the top word lands in a window past bit 256', () => {
    // 2^256 - 1 in 16-bit digits: every digit is -1 after the carries, and window 16 (bits 256 on) holds the last carry.
    const top = (1n << 256n) - 1n;
    const digits = signedDigits(wordsOf([top, 5n]), [0, 1], 16, 17);
    const sum = (k: number) => Array.from({ length: 17 }, (_, j) => digits[j * 2 + k]!).reduceRight((acc, digit) => (acc << 16n) + BigInt(digit), 0n);
    expect([sum(0), sum(1), digits[16 * 2]]).toEqual([top, 5n, 1]);
  });

  it("a 255-bit scalar's last carry lands in the window that holds bit 255", () => {
    const top = (1n << 255n) - 1n; // its top digit is negative, so 32 windows of 8 bits end with a carry of 1
    const digits = signedDigits(wordsOf([top]), [0], 8, 32);
    const sum = Array.from(digits).reduceRight((acc, digit) => (acc << 8n) + BigInt(digit), 0n);
    expect(sum).toBe(top);
  });
});
