/** How the benchmark's figures are written in its tables (terminal and Markdown alike). */
import type { Spread } from './stats.js';

export const NONE = '-';

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** "1.23 s (1.10 s–1.41 s)": the median, then the smallest and largest. */
export function formatSpread(spread: Spread | undefined, format: (value: number) => string = formatDuration): string {
  if (!spread) return NONE;
  if (spread.count === 1 || spread.min === spread.max) return format(spread.median);
  return `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})`;
}

export function formatPercent(fraction: number | undefined): string {
  return fraction === undefined ? NONE : `${(fraction * 100).toFixed(2)}%`;
}

export function formatCount(value: number | undefined): string {
  return value === undefined ? NONE : value.toLocaleString('en-US');
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return NONE;
  if (bytes < 10 * 1024) return `${bytes.toLocaleString('en-US')} B`;
  if (bytes < 10 * 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 10 * 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
