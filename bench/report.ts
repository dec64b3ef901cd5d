/**
 * The benchmark as tables of strings, shared by the terminal and the Markdown report so that both
 * say exactly the same: the models (one row per measure, one column per model; a new measure is a
 * new row of MEASURES) and the setup comparison (one row per circuit size).
 */
import { COLD_PROVE_TARGET } from './defaults.js';
import { NONE, formatBytes, formatCount, formatDuration, formatPercent, formatSpread } from './format.js';
import type { Machine } from './machine.js';
import type { ModelBench } from './types.js';
import type { BenchResult } from './run.js';
import type { SetupBenchRow } from './setup-bench.js';
import type { ThroughputResult } from './throughput.js';
import { THREAD_PHASES, type PhaseMeasure, type ThreadsResult } from './threads.js';

export interface BenchTable {
  headers: string[];
  rows: string[][];
}

const status = (model: ModelBench): string => (model.status === 'ok' ? 'ok' : `FAILED (${model.error?.code ?? 'INTERNAL'})`);

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

/** Quantized minus float accuracy, in percentage points of the whole test set. */
function accuracyChange(model: ModelBench): string {
  const a = model.accuracy;
  if (a?.float === undefined || a.quantized === undefined) return NONE;
  const points = (a.quantized - a.float) * 100;
  return `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(2)} points`;
}

/** zkinfer's CPU per proof on one thread over snarkjs's, with both times and the load average. */
function againstSnarkjs(model: ModelBench): string {
  const a = model.againstSnarkjs;
  if (!a) return NONE;
  const load = a.loadAverages.reduce((x, y) => x + y, 0) / a.loadAverages.length;
  return `${a.ratio.toFixed(2)} (${formatDuration(a.zkinferCpuMs)} / ${formatDuration(a.snarkjsCpuMs)}, load ${load.toFixed(1)})`;
}

/** The model table's rows, in order. A new measure (say proof throughput, or a setting's cost) is one more entry. */
const MEASURES: [string, (model: ModelBench) => string][] = [
  ['status', status],
  ['parameters', (m) => formatCount(m.parameters)],
  ['float accuracy (TF.js)', (m) => formatPercent(m.accuracy?.float)],
  ['quantized accuracy (reference)', (m) => formatPercent(m.accuracy?.quantized)],
  ['quantized − float', accuracyChange],
  ['circuit = reference (samples)', agreement],
  ['constraints', (m) => formatCount(m.constraints)],
  ['constraints, --params hashed (cost model)', (m) => (typeof m.hashedParamsConstraints === 'number' ? formatCount(m.hashedParamsConstraints) : m.hashedParamsConstraints === undefined ? NONE : 'not possible')],
  ['compile (circom or direct: --backend auto)', (m) => formatDuration(m.ms?.compile)],
  ['compile, CPU', (m) => formatDuration(m.cpuMs?.compile)],
  ['setup', (m) => formatDuration(m.ms?.setup)],
  ['setup, CPU', (m) => formatDuration(m.cpuMs?.setup)],
  ['setup size', setupSize],
  ['proving key', (m) => formatBytes(m.provingKeyBytes)],
  ['witness, median (min–max)', (m) => formatSpread(m.ms?.witness)],
  ['prove, cold (first proof)', (m) => formatDuration(m.ms?.coldProof?.prove)],
  ['prove, median (min–max)', (m) => formatSpread(m.ms?.prove)],
  ['prove on 1 thread, CPU: zkinfer / snarkjs groth16.prove (target ≤ 0.2)', againstSnarkjs],
  ['verify, cold (first)', (m) => formatDuration(m.ms?.coldVerify)],
  ['verify, median (min–max)', (m) => formatSpread(m.ms?.verify)],
  ['proof size, JSON', (m) => formatBytes(m.proofBytes?.json)],
  ['proof size, calldata', (m) => formatBytes(m.proofBytes?.calldata)],
  ['verify gas, bare verifier, median (min–max)', (m) => formatSpread(m.gas?.verify, gas)],
  ['record gas, through the registry, median (min–max)', (m) => formatSpread(m.gas?.registry, gas)],
  ['deploy gas', (m) => (m.gas ? gas(m.gas.deploy) : NONE)],
  ['peak RSS, bench process', (m) => formatBytes(m.memory?.processPeakBytes)],
  ['peak RSS, prover worker', (m) => formatBytes(m.memory?.workerPeakBytes)],
  ['peak RSS, compile (circom; or the process, direct)', (m) => formatBytes(m.memory?.compilerPeakBytes)],
];

export function benchTable(result: BenchResult): BenchTable {
  return {
    headers: ['measure', ...result.models.map((m) => m.name)],
    rows: MEASURES.map(([label, cell]) => [label, ...result.models.map(cell)]),
  };
}

export function setupTable(rows: readonly SetupBenchRow[]): BenchTable {
  return {
    headers: ['circuit rows', 'constraints', 'zkinfer dev setup', 'proving key', 'snarkjs powers of tau', 'snarkjs newZKey + contribution', 'snarkjs total'],
    rows: rows.map((r) => [
      `2^${r.power}`,
      formatCount(r.constraints),
      formatDuration(r.dev.ms),
      formatBytes(r.dev.zkeyBytes),
      formatDuration(r.snarkjs?.ptauMs),
      formatDuration(r.snarkjs?.keyMs),
      formatDuration(r.snarkjs ? r.snarkjs.ptauMs + r.snarkjs.keyMs : undefined),
    ]),
  };
}

/** The throughput measure: one row per proving path, then what the rows mean for this machine. */
export function throughputTable(r: ThroughputResult): BenchTable & { lines: string[] } {
  const cpu = (ms: number) => (Number.isNaN(ms) ? NONE : `${Math.round(ms)} ms`);
  const row = (path: string, m: { proofs: number; seconds: number; proofsPerMinute: number; cpuMsPerProof: number }) => [
    path,
    formatCount(m.proofs),
    formatDuration(m.seconds * 1000),
    m.proofsPerMinute.toFixed(1),
    cpu(m.cpuMsPerProof),
  ];
  const rows = [
    row(`warm pool (${r.pool.size} worker${r.pool.size === 1 ? '' : 's'} × ${r.pool.threadsPerWorker} thread${r.pool.threadsPerWorker === 1 ? '' : 's'})`, r.pool),
    row("plain loop of snarkjs's fullProve (a direct folder: its witness program, then snarkjs's prove), one process", r.plainLoop),
    ...(r.cold ? [coldRow(row('cold CLI, one `zkinfer prove` process per proof', r.cold), r.cold.cpuRatioToWarm)] : []),
  ];
  const mib = (bytes: number) => formatBytes(bytes);
  return {
    headers: ['path', 'proofs', 'time', 'proofs/min', 'CPU per proof'],
    rows,
    lines: [
      `${r.model}: ${formatCount(r.constraints)} constraints, domain ${formatCount(r.domainSize)}, ${formatCount(r.wires)} wires.`,
      `Warm pool: ${(r.constraintsPerSecond / 1000).toFixed(1)}k constraints/s; in the worker, witness ${formatDuration(r.pool.witnessMsMean)} and proof ${formatDuration(r.pool.proveMsMean)} per job (mean); start-up and precomputation ${formatDuration(r.pool.warmupSeconds * 1000)}; workers' peak RSS ${r.pool.workerPeakRssBytes.map(mib).join(', ')}; all ${formatCount(r.pool.verified)} proofs verify (checked after the clock).`,
      `MSM floor: the five MSMs of one proof alone on one thread take ${formatDuration(r.msm.ms)} of CPU in zkinfer's prover (the whole proof ${formatDuration(r.msm.proofMs)}, witness excluded), ${formatDuration(r.msm.ffjavascriptMs)} with ffjavascript's multiexp (snarkjs's); ${
        r.msm.nonMsmShareOfPoolCpu !== undefined
          ? `${formatPercent(r.msm.nonMsmShareOfPoolCpu)} of the pool's CPU time per proof is not MSM.`
          : `the share of the pool's CPU time per proof that is not MSM cannot be read off this run (the MSMs alone took at least the pool's ${formatDuration(r.pool.cpuMsPerProof)} per whole proof: the machine changed between the two measures).`
      }`,
    ],
  };
}

/** The cold row's CPU cell with its ratio to a warm pool proof's, against issue 20's target. */
function coldRow(cells: string[], ratio: number | undefined): string[] {
  if (ratio === undefined) return cells;
  const verdict = ratio <= COLD_PROVE_TARGET ? 'met' : 'not met';
  return [...cells.slice(0, -1), `${cells.at(-1)} (${ratio.toFixed(1)}× warm; target ≤ ${COLD_PROVE_TARGET}×: ${verdict})`];
}

export function describeMachineLine(machine: Machine): string {
  const { start, end, min, max, mean } = machine.loadAverage;
  const over = mean !== undefined ? `; over the run ${min!.toFixed(2)}–${max!.toFixed(2)}, mean ${mean.toFixed(2)}` : '';
  const load = `1-minute load average ${start.toFixed(2)} at start${end !== undefined ? `, ${end.toFixed(2)} at end` : ''}${over}`;
  return `${machine.cpu}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)} memory, Node ${machine.node}, ${machine.platform}; ${load}`;
}

/** Lines explaining the table's failed columns. */
export function notesOf(result: BenchResult): string[] {
  return result.models.filter((m) => m.status === 'failed').map((m) => `${m.name}: FAILED (${m.error?.code}): ${m.error?.message}`);
}

/** One proof on 1 and on N threads (bench/threads.ts): a row per phase, with the load average beside the figures. */
export function threadsTable(r: ThreadsResult): BenchTable & { lines: string[] } {
  const n = r.multi.threads;
  const row = (name: string, one: PhaseMeasure, many: PhaseMeasure, speedup: number) => [
    name,
    formatDuration(one.wallMs),
    formatDuration(one.busyMs),
    formatDuration(many.wallMs),
    formatDuration(many.busyMs),
    `${speedup.toFixed(2)}×`,
  ];
  const load = (run: ThreadsResult['single']) => run.loadAverages.map((l) => l.toFixed(1)).join(', ');
  return {
    headers: ['phase', '1 thread: wall', '1 thread: thread time', `${n} threads: wall`, `${n} threads: thread time`, 'speed-up'],
    rows: [
      ...THREAD_PHASES.map((phase) => row(phase, r.single.phases[phase], r.multi.phases[phase], r.speedup[phase])),
      row('proof (witness included)', { wallMs: r.single.wallMs, busyMs: r.single.cpuMs }, { wallMs: r.multi.wallMs, busyMs: r.multi.cpuMs }, r.speedup.proof),
    ],
    lines: [
      `${r.model}, medians of ${r.proofs} proofs each, the two provers alternating; the phases overlap on ${n} threads (witness MSMs beside the FFTs), so their walls do not add up.`,
      `${n} threads take ${r.ratio.toFixed(2)} of one thread's time (target: at most 0.6 on 2 threads); on idle cores (the CPU times of the tasks laid out as the scheduler does) ${formatDuration(r.multi.idleWallMs)} against ${formatDuration(r.single.idleWallMs)}, ${r.idleRatio.toFixed(2)}; projected on 16 idle cores from one thread's CPU per phase: ${formatDuration(r.projected16Ms)} (witness and blinding serial, FFTs on at most 3 threads).`,
      `"thread time" is the time the threads spent in the phase's tasks (CPU time on a machine that is not oversubscribed); the proof's row gives the process's CPU time.`,
      `load average (1 min) at each proof: 1 thread ${load(r.single)}; ${n} threads ${load(r.multi)}.`,
    ],
  };
}
