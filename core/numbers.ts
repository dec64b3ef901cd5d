/**
 * The least and greatest of many numbers. Spreading an array into Math.min or Math.max passes
 * every value as an argument and overflows the call stack past about a hundred thousand of them
 * (a layer's weights or outputs); these loop instead. Like Math.min and Math.max, an empty list
 * gives Infinity and -Infinity, and a NaN gives NaN.
 */
export function minOf(values: ArrayLike<number>): number {
  let least = Infinity;
  for (let i = 0; i < values.length; i++) least = Math.min(least, values[i]!);
  return least;
}

export function maxOf(values: ArrayLike<number>): number {
  let greatest = -Infinity;
  for (let i = 0; i < values.length; i++) greatest = Math.max(greatest, values[i]!);
  return greatest;
}

/** The value at quantile p (0..1) of an ascending list, nearest rank; 0 for an empty list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
