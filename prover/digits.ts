/**
 * Signed window digits of scalars, the first step of both ways zkinfer multiplies points by
 * scalars: the MSM's buckets (prover/msm.ts) and the development setup's fixed-base tables
 * (prover/setup/fixed-base.ts). Pure: tested without WebAssembly.
 */

/**
 * The c-bit signed digits in [-2^(c-1) + 1, 2^(c-1)] of the scalars `used` (indices into `words`,
 * 256-bit little-endian scalars as eight 32-bit words each), window-major: digit j of used[k] is
 * at [j * used.length + k], and Σ_j digit_j·2^(c·j) is the scalar. `windows` must cover one bit
 * more than the widest scalar (then the last window never carries out). c is at most 30.
 *
 * Digits in that range are unique, and they are the plain base-2^c digits of the scalar plus
 * 2^(c-1) - 1 in every window, less that offset: so no carry runs from window to window, and
 * each window is read out for all scalars in one pass (a third of the time of carrying window by
 * window, scalar by scalar). Written into `into` and the lifted scalars into `scratch` where they
 * are long enough (every digit is written): fresh arrays of an H MSM's 2.5 M digits cost half as
 * much again as computing them, their pages being mapped on first touch.
 */
export function signedDigits(words: Uint32Array, used: ArrayLike<number>, c: number, windows: number, into?: Int32Array, scratch?: Int32Array): Int32Array {
  const m = used.length;
  const offset = windowOffset(c, windows);
  const span = offset.length;
  const lifted = scratch && scratch.length >= m * span ? scratch : new Int32Array(m * span);
  // Added in 16-bit halves, as signed 32-bit words: every intermediate stays a small integer for V8 (3x faster than sums of doubles).
  const scalars = new Int32Array(words.buffer, words.byteOffset, words.length);
  const lifts = new Int32Array(offset.buffer);
  for (let k = 0; k < m; k++) {
    const from = used[k]! * 8;
    const to = k * span;
    let carry = 0;
    for (let q = 0; q < span; q++) {
      const x = q < 8 ? scalars[from + q]! : 0;
      const y = lifts[q]!;
      const low = (x & 0xffff) + (y & 0xffff) + carry;
      const high = (x >>> 16) + (y >>> 16) + (low >>> 16);
      lifted[to + q] = (high << 16) | (low & 0xffff);
      carry = high >>> 16;
    }
  }
  const digits = into && into.length >= windows * m ? into.subarray(0, windows * m) : new Int32Array(windows * m);
  const mask = (1 << c) - 1;
  const shiftBack = (1 << (c - 1)) - 1;
  for (let j = 0; j < windows; j++) {
    const startBit = j * c;
    const w = startBit >>> 5;
    const shift = startBit & 31;
    const row = j * m;
    if (shift + c > 32) {
      const spill = 32 - shift;
      for (let k = 0, at = w; k < m; k++, at += span) digits[row + k] = (((lifted[at]! >>> shift) | (lifted[at + 1]! << spill)) & mask) - shiftBack;
    } else {
      for (let k = 0, at = w; k < m; k++, at += span) digits[row + k] = ((lifted[at]! >>> shift) & mask) - shiftBack;
    }
  }
  return digits;
}

/** Words per lifted scalar (signedDigits): the scalar's eight, or as many as the windows cover. */
export function liftedWords(c: number, windows: number): number {
  return Math.max(8, Math.ceil((c * windows) / 32));
}

/** 2^(c-1) - 1 in each of `windows` c-bit windows, as little-endian 32-bit words (liftedWords of them). */
function windowOffset(c: number, windows: number): Uint32Array {
  const offset = new Uint32Array(liftedWords(c, windows));
  const value = (1 << (c - 1)) - 1;
  // The windows do not overlap, so each one's bits are ORed in without carries.
  for (let j = 0; j < windows; j++) {
    const startBit = j * c;
    const w = startBit >>> 5;
    const shift = startBit & 31;
    offset[w]! |= value << shift;
    if (shift + c > 32 && w + 1 < offset.length) offset[w + 1]! |= value >>> (32 - shift);
  }
  return offset;
}
