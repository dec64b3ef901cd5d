/**
 * Signed window digits of scalars, the first step of both ways zkinfer multiplies points by
 * scalars: the MSM's buckets (prover/msm.ts) and the development setup's fixed-base tables
 * (prover/setup/fixed-base.ts). Pure: tested without WebAssembly.
 */

/**
 * The c-bit signed digits in [-2^(c-1), 2^(c-1)] of the scalars `used` (indices into `words`,
 * 256-bit little-endian scalars as eight 32-bit words each), window-major: digit j of used[k] is
 * at [j * used.length + k], and Σ_j digit_j·2^(c·j) is the scalar. With `windows` covering one bit
 * more than the widest scalar, the last window never carries out. c is at most 30. Written into
 * `into` where it is long enough (every digit is written): a fresh array of an H MSM's 2.5 M
 * digits costs half as much again as computing them, its pages being mapped on first touch.
 */
export function signedDigits(words: Uint32Array, used: ArrayLike<number>, c: number, windows: number, into?: Int32Array): Int32Array {
  const m = used.length;
  const half = 1 << (c - 1);
  const full = 1 << c;
  const digits = into && into.length >= windows * m ? into.subarray(0, windows * m) : new Int32Array(windows * m);
  for (let k = 0; k < m; k++) {
    const base = used[k]! * 8;
    let carry = 0;
    for (let j = 0; j < windows; j++) {
      const startBit = j * c;
      const w = startBit >>> 5;
      const shift = startBit & 31;
      let raw = w < 8 ? words[base + w]! >>> shift : 0;
      if (shift + c > 32 && w + 1 < 8) raw |= words[base + w + 1]! << (32 - shift);
      raw = (raw & (full - 1)) + carry;
      carry = raw > half ? 1 : 0;
      digits[j * m + k] = raw - carry * full;
    }
  }
  return digits;
}
