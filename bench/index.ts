/**
 * zkinfer's benchmark of the reference zoo (`zkinfer bench`, `npm run bench:results`). It runs
 * the pipeline through the library's public steps, as a user would, and measures each.
 */
export { runBench, type BenchOptions, type BenchResult } from './run.js';
export { DEFAULT_BENCH_SAMPLES, DEFAULT_SETUP_BENCH, DEFAULT_THROUGHPUT_BENCH, QUICK_BENCH, SETUP_BENCH_POWERS } from './defaults.js';
export type { ModelBench, BenchStatus } from './types.js';
export { benchTable, setupTable, threadsTable, throughputTable, notesOf, describeMachineLine, type BenchTable } from './report.js';
export { measureThroughput, type ThroughputResult } from './throughput.js';
export { measureThreads, projectProofMs, type ThreadsResult } from './threads.js';
export type { SetupBenchRow } from './setup-bench.js';
export { renderMarkdown } from './markdown.js';
export type { Machine } from './machine.js';
export type { Spread } from './stats.js';
