/**
 * The benchmark as a table of strings, one row per measure and one column per model, shared by
 * the terminal and the Markdown report so that both say exactly the same.
 */
import { NONE, formatBytes, formatCount, formatDuration, formatPercent, formatSpread } from './format.js';
import type { Machine } from './machine.js';
import type { ModelBench } from './types.js';
import type { BenchResult } from './run.js';

export interface BenchTable {
  headers: string[];
  rows: string[][];
}

/** Marks a float accuracy read from the model's training metadata rather than measured by this run. */
export const FROM_TRAINING = '(at training)';

function status(model: ModelBench): string {
  switch (model.status) {
    case 'ok':
      return 'ok';
    case 'unsupported':
      return 'not yet supported';
    case 'failed':
      return `FAILED (${model.error?.code ?? 'INTERNAL'})`;
  }
}

function floatAccuracy(model: ModelBench): string {
  if (model.accuracy?.float !== undefined) return formatPercent(model.accuracy.float);
  return model.trainingFloatAccuracy === undefined ? NONE : `${formatPercent(model.trainingFloatAccuracy)} ${FROM_TRAINING}`;
}

function agreement(model: ModelBench): string {
  const s = model.samples;
  return s ? `${s.agreeing}/${s.count} (${formatPercent(s.agreeing / s.count)})` : NONE;
}

/** The setup's size (2^N rows) and kind; 'cached' when it reused something made before (a powers of tau, keys). */
function setupSize(model: ModelBench): string {
  const p = model.ptau;
  if (!p) return NONE;
  return `2^${p.power}${p.development ? ' dev' : ''}${p.cached ? ', cached' : ''}`;
}

const gas = (value: number) => formatCount(Math.round(value));

const MEASURES: [string, (model: ModelBench) => string][] = [
  ['status', status],
  ['parameters', (m) => formatCount(m.parameters)],
  ['float accuracy (TF.js)', floatAccuracy],
  ['quantized accuracy (reference)', (m) => formatPercent(m.accuracy?.quantized)],
  ['circuit = reference (samples)', agreement],
  ['constraints', (m) => formatCount(m.constraints)],
  ['circom compile', (m) => formatDuration(m.ms?.compile)],
  ['setup', (m) => formatDuration(m.ms?.setup)],
  ['setup size', setupSize],
  ['witness, median (min–max)', (m) => formatSpread(m.ms?.witness)],
  ['prove, cold (first proof)', (m) => formatDuration(m.ms?.coldProof?.prove)],
  ['prove, median (min–max)', (m) => formatSpread(m.ms?.prove)],
  ['verify, cold (first)', (m) => formatDuration(m.ms?.coldVerify)],
  ['verify, median (min–max)', (m) => formatSpread(m.ms?.verify)],
  ['proof size, JSON', (m) => formatBytes(m.proofBytes?.json)],
  ['proof size, calldata', (m) => formatBytes(m.proofBytes?.calldata)],
  ['verify gas, median (min–max)', (m) => formatSpread(m.gas?.verify, gas)],
  ['deploy gas', (m) => (m.gas ? gas(m.gas.deploy) : NONE)],
  ['peak RSS, bench process', (m) => formatBytes(m.memory?.processPeakBytes)],
  ['peak RSS, prover worker', (m) => formatBytes(m.memory?.workerPeakBytes)],
];

export function benchTable(result: BenchResult): BenchTable {
  return {
    headers: ['measure', ...result.models.map((m) => m.name)],
    rows: MEASURES.map(([label, cell]) => [label, ...result.models.map(cell)]),
  };
}

export function describeMachineLine(machine: Machine): string {
  const { start, end } = machine.loadAverage;
  const load = `load average ${start.toFixed(2)} at start${end !== undefined ? `, ${end.toFixed(2)} at end` : ''}`;
  return `${machine.cpu}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)} memory, Node ${machine.node}, ${machine.platform}; ${load}`;
}

/** Lines explaining the table's "not yet supported" and failed columns. */
export function notesOf(result: BenchResult): string[] {
  const notes: string[] = [];
  for (const m of result.models) {
    if (m.status === 'unsupported') notes.push(`${m.name}: not yet supported: ${m.reason}`);
    if (m.status === 'failed') notes.push(`${m.name}: FAILED (${m.error?.code}): ${m.error?.message}`);
  }
  if (result.models.some((m) => m.accuracy?.float === undefined && m.trainingFloatAccuracy !== undefined)) {
    notes.push(`float accuracy ${FROM_TRAINING}: from the model's metadata.json, measured by TF.js on the test set when it was trained, not by this run`);
  }
  return notes;
}
