/** Summaries of repeated measurements: the median, and the spread as the smallest and largest value. */
import { maxOf, minOf } from '../core/numbers.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Undefined for no values, so a table shows "-" rather than NaN. */
export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  return { median: median(values), min: minOf(values), max: maxOf(values), count: values.length };
}

