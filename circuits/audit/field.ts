/** Field arithmetic the audit needs beyond core/field.ts: reduction, inverses, powers of two. */

export function mod(value: bigint, p: bigint): bigint {
  const r = value % p;
  return r < 0n ? r + p : r;
}

/** The inverse of a non-zero element (extended Euclid); undefined for zero. */
export function inverse(value: bigint, p: bigint): bigint | undefined {
  let [a, b] = [mod(value, p), p];
  if (a === 0n) return undefined;
  let [x, y] = [1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [x, y] = [y, x - q * y];
  }
  return mod(x, p);
}

/** Decompositions wider than this could alias modulo the ~2^253.6 field: zkinfer's templates stay at or below 250 bits. */
export const MAX_EXPONENT = 252;

/** 2^e mod p → e, for e in [-MAX_EXPONENT, MAX_EXPONENT]: recognises the coefficients of a bit decomposition. */
export function powersOfTwo(p: bigint): Map<bigint, number> {
  const table = new Map<bigint, number>();
  const half = inverse(2n, p)!;
  let up = 1n;
  let down = 1n;
  for (let e = 0; e <= MAX_EXPONENT; e++) {
    table.set(up, e);
    if (e > 0) table.set(down, -e);
    up = mod(up * 2n, p);
    down = mod(down * half, p);
  }
  return table;
}
