/**
 * `zkinfer bench`: every zoo model (or those asked for) through the whole pipeline, then the Groth16
 * setup by circuit size (zkinfer's development setup against snarkjs's powers-of-tau path), in this
 * one process, with the machine it ran on. Everything runs one step after another so that the
 * times do not compete for the cores. A long run reports what it has after each part
 * (`onPartial`), so that a run stopped half way still leaves its finished models behind.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_FASHION_MNIST_DIR, ZkinferError, loadFashionMnist, packageVersion, zooModelPath, type OnProgress } from '../index.js';
import { ArtifactError } from '../core/errors.js';
import { exists } from '../core/files.js';
import { snarkjsVersion } from '../prover/snarkjs-package.js';
import { ARCHITECTURES, describeArchitecture, findArchitecture, zooModelFile } from '../zoo/architectures.js';
import { modelInputs } from './accuracy.js';
import { type Machine, describeMachine, watchLoad } from './machine.js';
import { benchModel } from './model.js';
import { DEFAULT_BENCH_SAMPLES, DEFAULT_SETUP_BENCH, DEFAULT_THROUGHPUT_BENCH, SETUP_BENCH_POWERS } from './defaults.js';
import { runSetupBench, type SetupBenchRow } from './setup-bench.js';
import { type ThroughputResult, measureThroughput } from './throughput.js';
import { THREADS_BENCH_MODEL, type ThreadsResult, measureThreads } from './threads.js';
import type { ModelBench } from './types.js';


export interface BenchOptions {
  /** Zoo model names (default: all of them, in the zoo's order). */
  models?: readonly string[];
  /** Test images to prove per model (default 10). */
  samples?: number;
  /** The artifacts folder, one subfolder per model (default: a new temporary folder). */
  out?: string;
  /** The Fashion-MNIST folder. */
  dataDir?: string;
  /** Circuit sizes for the setup comparison (default DEFAULT_SETUP_BENCH; empty lists skip it). */
  setup?: { powers: readonly number[]; snarkjsPowers: readonly number[] };
  /** Proofs for the throughput measure (warm pool, plain loop, cold CLI) on mlp_196_25_10; null skips it. */
  throughput?: { proofs: number; coldProofs: number } | null;
  /** Measure one proof of THREADS_BENCH_MODEL on 1 and on this many threads (bench/threads.ts); it must be among the models. */
  threads?: number;
  onProgress?: OnProgress;
  /** Called with the results so far (complete: false) after each model and after the setup comparison. */
  onPartial?: (result: BenchResult) => Promise<void>;
}

export interface BenchResult {
  /** When the benchmark started (ISO 8601). */
  date: string;
  machine: Machine;
  versions: { zkinfer: string; snarkjs: string };
  samples: number;
  testImages: number;
  dir: string;
  /** False in the reports written part way (onPartial): `models` and `setup` hold what has finished. */
  complete: boolean;
  /** The models asked for, in order. */
  plannedModels: string[];
  /** Groth16 setup times by circuit size, one row per power. */
  setup: SetupBenchRow[];
  /** Proving throughput on DEFAULT_THROUGHPUT_BENCH.model, when it was benchmarked and the measure asked for. */
  throughput?: ThroughputResult;
  /** One proof on 1 and on `threads` threads, when asked for and the model was benchmarked. */
  threads?: ThreadsResult;
  models: ModelBench[];
  /** The benchmark's wall time (so far, in a partial result). */
  ms: number;
}

function checkSetupPowers(setup: NonNullable<BenchOptions['setup']>): void {
  const { min, max } = SETUP_BENCH_POWERS;
  const bad = [...setup.powers, ...setup.snarkjsPowers].find((p) => !Number.isInteger(p) || p < min || p > max);
  if (bad !== undefined) throw new ZkinferError('USAGE', `setup benchmark sizes are powers of two from 2^${min} to 2^${max}: got ${bad}`);
  const orphan = setup.snarkjsPowers.find((p) => !setup.powers.includes(p));
  if (orphan !== undefined) throw new ZkinferError('USAGE', `snarkjs's setup is measured beside zkinfer's: the snarkjs size ${orphan} must also be among the setup sizes (${setup.powers.join(',') || 'none'})`);
}

function checkOptions(options: BenchOptions): { names: string[]; samples: number } {
  const names = options.models ? [...options.models] : ARCHITECTURES.filter((a) => !a.onRequest).map((a) => a.name);
  const unknown = names.filter((name) => !findArchitecture(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new ZkinferError('USAGE', `${unknown.length > 0 ? `unknown model ${unknown.join(', ')}` : 'no model given'}; the zoo has ${ARCHITECTURES.map((a) => a.name).join(', ')}`);
  }
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 2) throw new ZkinferError('USAGE', `--threads compares one thread with more: give at least 2, got ${options.threads}`);
    if (!names.includes(THREADS_BENCH_MODEL)) throw new ZkinferError('USAGE', `--threads measures ${THREADS_BENCH_MODEL}: add it to --models`);
  }
  const samples = options.samples ?? DEFAULT_BENCH_SAMPLES;
  if (!Number.isSafeInteger(samples) || samples < 1) throw new ZkinferError('USAGE', `the number of samples must be a positive integer, got ${samples}`);
  return { names: [...new Set(names)], samples };
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const started = performance.now();
  const date = new Date().toISOString();
  const machine = describeMachine();
  const { names, samples } = checkOptions(options);
  const setupPowers = options.setup ?? DEFAULT_SETUP_BENCH;
  checkSetupPowers(setupPowers);
  for (const name of names) {
    const architecture = findArchitecture(name)!;
    const modelFile = path.join(zooModelPath(name), zooModelFile(architecture));
    if (!(await exists(modelFile))) {
      throw new ArtifactError('ARTIFACT_MISSING', `the zoo has no trained ${name}: train it with \`${architecture.onnx?.trainer ?? `node dist/zoo/train.js ${name}`}\``, modelFile);
    }
  }
  const test = await loadFashionMnist('test', options.dataDir ?? DEFAULT_FASHION_MNIST_DIR);
  if (samples > test.count) throw new ZkinferError('USAGE', `there are ${test.count} test images: --samples must be at most that, got ${samples}`);
  const dir = path.resolve(options.out ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-'))));

  const load = watchLoad(machine);
  const result: BenchResult = {
    date,
    machine,
    versions: { zkinfer: packageVersion(), snarkjs: snarkjsVersion() },
    samples,
    testImages: test.count,
    dir,
    complete: false,
    plannedModels: names,
    setup: [],
    models: [],
    ms: 0,
  };
  const partial = async () => {
    load.record();
    result.ms = performance.now() - started;
    await options.onPartial?.(result);
  };
  try {
    for (const [index, name] of names.entries()) {
      const architecture = findArchitecture(name)!;
      options.onProgress?.({ step: 'bench', message: `${name} (model ${index + 1} of ${names.length})` });
      const spec = { name, architecture: describeArchitecture(architecture), modelDir: zooModelPath(name), modelFile: path.join(zooModelPath(name), zooModelFile(architecture)) };
      const context = { test: modelInputs(test, architecture.inputSize), samples, dir: path.join(dir, name), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
      result.models.push(await benchModel(spec, context));
      await partial();
    }
    const throughput = options.throughput === undefined ? DEFAULT_THROUGHPUT_BENCH : options.throughput;
    const throughputModel = result.models.find((m) => m.name === DEFAULT_THROUGHPUT_BENCH.model && m.status === 'ok');
    if (throughput && throughputModel) {
      options.onProgress?.({ step: 'bench', message: `proving throughput on ${throughputModel.name}` });
      result.throughput = await measureThroughput(throughputModel.dir, {
        proofs: throughput.proofs,
        coldProofs: throughput.coldProofs,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      await partial();
    }
    const threadsModel = result.models.find((m) => m.name === THREADS_BENCH_MODEL && m.status === 'ok');
    if (options.threads !== undefined && threadsModel) {
      options.onProgress?.({ step: 'bench', message: `one proof of ${threadsModel.name} on 1 and ${options.threads} threads` });
      result.threads = await measureThreads(threadsModel.dir, { threads: options.threads });
      await partial();
    }
    if (setupPowers.powers.length > 0) {
      result.setup = await runSetupBench({ ...setupPowers, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      await partial();
    }
  } finally {
    load.stop();
  }
  result.complete = true;
  result.ms = performance.now() - started;
  return result;
}
