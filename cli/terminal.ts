/**
 * Terminal output: results on stdout, progress and errors on stderr. Progress draws one live
 * line only when stderr is a terminal; piped or in CI it stays quiet.
 */
import type { ReadableOutputs } from '../pipeline/proof-bundle.js';
import type { OnProgress } from '../index.js';
import { maxOf } from '../core/numbers.js';

export function progressReporter(enabled = process.stderr.isTTY === true): { onProgress: OnProgress; done(): void } {
  if (!enabled) return { onProgress: () => {}, done: () => {} };
  let shown = false;
  let last = 0;
  return {
    onProgress(event) {
      const now = Date.now();
      const finished = event.total !== undefined && event.done === event.total;
      if (now - last < 80 && !finished) return; // keep redraws cheap
      last = now;
      let bar = '';
      if (event.total !== undefined && event.done !== undefined && event.total > 0) {
        const width = 20;
        const filled = Math.round((width * Math.min(event.done, event.total)) / event.total);
        bar = ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.done}/${event.total}`;
      }
      const line = `${event.step}: ${event.message}${bar}`.slice(0, (process.stderr.columns || 100) - 1);
      process.stderr.write(`\r\u001b[K${line}`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
    },
  };
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A plain text table: columns padded, numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => maxOf(cells.map((r) => (r[c] ?? '').length)));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || /^-?[\d.,]+( \w+)?$/.test(String(r[c]))));
  const line = (r: string[]) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
}

/** A proof's public outputs as lines for people: only what the circuit makes public. */
export function outputLines(o: ReadableOutputs): string[] {
  const lines: string[] = [];
  if (o.label !== undefined) lines.push(`label: ${o.label}${o.labelName ? ` (${o.labelName})` : ''}`);
  if (o.logits) lines.push(`logits: ${o.logits.map((l, j) => (Number(l) * (o.logitScales?.[j] ?? 1)).toFixed(3)).join(' ')}`);
  if (o.probabilities) lines.push(`probabilities: ${o.probabilities.map((v) => (Number(v) * (o.probabilityScale ?? 1)).toFixed(4)).join(' ')}`);
  if (o.outputCommitment) lines.push(`output commitment: ${o.outputCommitment}`);
  if (o.inputCommitment) lines.push(`input commitment: ${o.inputCommitment}`);
  if (o.input) lines.push(`input (public, quantized): ${o.input.length} values`);
  if (o.paramsCommitment) lines.push(`parameters commitment: ${o.paramsCommitment}`);
  if (o.recipient) lines.push(`recipient: ${o.recipient}`);
  return lines;
}
