import * as path from 'node:path';
import type { Command } from 'commander';
// The benchmark sits on top of the library (it drives the public steps as a user would), so it is
// not part of index.ts.
import { DEFAULT_SETUP_BENCH, DEFAULT_THROUGHPUT_BENCH, DEFAULT_WEB_BENCH, QUICK_BENCH, SETUP_BENCH_POWERS, setupBenchSizes } from '../../bench/defaults.js';
import type { BenchResult } from '../../bench/index.js';
import { ZkinferError, exitCodeFor } from '../../core/errors.js';
import { integerListOption, integerOption } from '../options.js';
import { formatMs, print, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

async function benchWeb(flags: { models?: string[]; out?: string; threads?: number; json?: string }): Promise<void> {
  const [{ runWebBench }, os, fs, { writeJsonAtomic }] = await Promise.all([import('../../bench/web.js'), import('node:os'), import('node:fs/promises'), import('../../core/files.js')]);
  const out = flags.out ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-web-')));
  const result = await runWebBench({
    out,
    ...(flags.models ? { models: flags.models } : {}),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    onProgress: (text) => process.stderr.write(`${text}\n`),
  });
  const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
  print(`zkinfer bench --web: the browser prover (headless Chromium, ${result.cores} cores seen by the page) against Node's, proof only (witness given), medians of ${DEFAULT_WEB_BENCH.proofs} after ${DEFAULT_WEB_BENCH.warmups} warm-ups`);
  print(`load average ${result.load.start.toFixed(2)} at the start, ${result.load.end.toFixed(2)} at the end`);
  print('');
  print(
    table(
      ['model', 'threads', 'Node', 'browser', 'browser / Node', "page's peak RSS"],
      result.models.map((m) => [m.model, m.threads, formatMs(m.nodeMs), formatMs(m.browserMs), `${m.ratio.toFixed(2)}×`, mib(m.pagePeakRss)]),
    ),
  );
  const first = result.firstProof;
  if (first) {
    print('');
    print(
      `${first.model}: first verified proof ${formatMs(first.fromOpenMs)} from opening the page (${first.threads} thread(s)): ` +
        `${mib(first.downloadBytes)} downloaded in ${formatMs(first.downloadMs)}, key loaded in ${formatMs(first.loadMs)}, witness ${formatMs(first.witnessMs)}, proof ${formatMs(first.proveMs)}`,
    );
  }
  if (flags.json) await writeJsonAtomic(path.resolve(flags.json), result);
}

export function register(program: Command, globals: Globals): void {
  program
    .command('bench')
    .description('benchmark the zoo (accuracy, constraints, compile, setup, prove and verify times, proof size, gas and memory per model) and the Groth16 setup by circuit size against snarkjs')
    .option('--models <names>', 'comma-separated zoo models (default: all but those run only on request, such as the tiny ViT)', (value: string) => value.split(',').map((name) => name.trim()).filter(Boolean))
    .option('--samples <n>', 'test images to prove per model (default 10)', integerOption('--samples', 1, 10_000))
    .option('--quick', `only ${QUICK_BENCH.models.join(', ')} with ${QUICK_BENCH.samples} samples, ${QUICK_BENCH.throughput.proofs} throughput proofs and a 2^${QUICK_BENCH.setup.powers.join(',')} setup comparison (unless other options say otherwise)`)
    .option('--throughput-proofs <n>', `proofs for the throughput measure on ${DEFAULT_THROUGHPUT_BENCH.model} (default ${DEFAULT_THROUGHPUT_BENCH.proofs}; 0 skips it)`, integerOption('--throughput-proofs', 0, 100_000))
    .option('--setup-powers <list>', `circuit sizes 2^p for the setup comparison, or 'none' (default ${DEFAULT_SETUP_BENCH.powers.join(',')})`, integerListOption('--setup-powers', SETUP_BENCH_POWERS.min, SETUP_BENCH_POWERS.max))
    .option('--snarkjs-powers <list>', `of those, where snarkjs's powers-of-tau path is measured too, or 'none' (default ${DEFAULT_SETUP_BENCH.snarkjsPowers.join(',')})`, integerListOption('--snarkjs-powers', SETUP_BENCH_POWERS.min, SETUP_BENCH_POWERS.max))
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--markdown <file>', 'also write the results as a Markdown report to this file')
    .option('-o, --out <dir>', 'artifacts folder, one subfolder per model (default: a new temporary folder)')
    .option('--threads <n>', 'also measure one proof of lenet_28_6_16_120_84_10 (add it to --models) on 1 and on n threads, per phase', integerOption('--threads', 2, 256))
    .option('--data-dir <dir>', 'the Fashion-MNIST folder (default: where the system installs datasets)')
    .option('--web', `only the browser prover in headless Chromium against Node's, on --threads n (default the browser's cores), for --models (default ${DEFAULT_WEB_BENCH.models.join(', ')}), and the page's first proof from opening it`)
    .action(async (flags) => {
      if (flags.web) {
        await benchWeb(flags);
        return;
      }
      const [{ benchTable, describeMachineLine, notesOf, renderMarkdown, runBench, setupTable, threadsTable, throughputTable }, { writeFileAtomic, writeJsonAtomic }] = await Promise.all([
        import('../../bench/index.js'),
        import('../../core/files.js'),
      ]);
      const models: string[] | undefined = flags.models ?? (flags.quick ? [...QUICK_BENCH.models] : undefined);
      const samples: number | undefined = flags.samples ?? (flags.quick ? QUICK_BENCH.samples : undefined);
      const defaultSetup = flags.quick ? QUICK_BENCH.setup : DEFAULT_SETUP_BENCH;
      const setup = setupBenchSizes({ powers: flags.setupPowers, snarkjsPowers: flags.snarkjsPowers }, defaultSetup);
      const defaultThroughput = flags.quick ? QUICK_BENCH.throughput : DEFAULT_THROUGHPUT_BENCH;
      const throughputProofs: number = flags.throughputProofs ?? defaultThroughput.proofs;
      const throughput = throughputProofs === 0 ? null : { proofs: throughputProofs, coldProofs: defaultThroughput.coldProofs };
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const command = `zkinfer ${process.argv.slice(2).join(' ')}`;
      // Written after each model as well, so that a long run stopped half way keeps what it measured.
      const writeReports = async (result: BenchResult) => {
        if (flags.json) await writeJsonAtomic(path.resolve(flags.json), result);
        if (flags.markdown) await writeFileAtomic(path.resolve(flags.markdown), renderMarkdown(result, { command }));
      };
      const result = await runBench({
        ...(models ? { models } : {}),
        ...(samples !== undefined ? { samples } : {}),
        setup,
        throughput,
        ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
        ...(flags.out ? { out: flags.out } : {}),
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
        onProgress: progress.onProgress,
        onPartial: writeReports,
      }).finally(progress.done);

      const { headers, rows } = benchTable(result);
      print(`zkinfer bench: ${result.models.length} model${result.models.length === 1 ? '' : 's'}, ${result.samples} proven sample${result.samples === 1 ? '' : 's'} each, accuracy on ${result.testImages} test images`);
      print(`machine: ${describeMachineLine(result.machine)}`);
      print('');
      print(table(headers, rows));
      if (result.throughput) {
        const t = throughputTable(result.throughput);
        print('');
        print('Proving throughput (warm pool vs a plain snarkjs fullProve loop vs the cold CLI)');
        print('');
        print(table(t.headers, t.rows));
        for (const line of t.lines) print(line);
      }
      if (result.threads) {
        const t = threadsTable(result.threads);
        print('');
        print(`One proof on 1 and on ${result.threads.multi.threads} threads (zkinfer's prover, prover/threads/)`);
        print('');
        print(table(t.headers, t.rows));
        for (const line of t.lines) print(line);
      }
      if (result.setup.length > 0) {
        const setupRows = setupTable(result.setup);
        print('');
        print('Groth16 setup by circuit size: zkinfer dev setup (key written) vs snarkjs (development powers of tau, newZKey, one contribution)');
        print('');
        print(table(setupRows.headers, setupRows.rows));
      }
      const notes = notesOf(result);
      if (notes.length > 0) print(['', ...notes].join('\n'));
      print('');
      print(`artifacts in ${result.dir}; the benchmark took ${formatMs(result.ms)}`);
      await writeReports(result);
      for (const file of [flags.json, flags.markdown]) if (file) print(`wrote ${file}`);
      // Every zoo model must go through: a failed one fails the command, after the report is written.
      const failed = result.models.find((m) => m.status === 'failed');
      if (failed?.error) process.exitCode = exitCodeFor(new ZkinferError(failed.error.code, failed.error.message));
    });
}
