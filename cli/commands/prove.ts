import type { Command } from 'commander';
import { ZkinferError, exitCodeFor } from '../../core/errors.js';
import { addPoolOptions, integerOption, poolOptions } from '../options.js';
import { formatMs, outputLines, print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  addPoolOptions(
    program
    .command('prove')
    .description('prove one inference (--input FILE → a proof file), or many (--batch FILE.jsonl → a folder of proofs and summary.json)')
    .argument('<dir>', 'artifacts folder')
    .option('-i, --input <file>', 'input JSON: { "input": [...], "salt"?: "decimal", "recipient"?: "0x…" } (or EZKL’s { "input_data": [[...]] }) in the model’s float units')
    .option('--recipient <address>', 'the Ethereum address to bind the proof to (circuits compiled with --recipient public; or "recipient" in the input)')
    .option('-b, --batch <file>', 'JSON Lines: one input document per line, proved on a warm worker pool')
    .option('-o, --out <path>', 'proof file (default: <dir>/proof.json); with --batch, the proofs folder (default: <dir>/proofs)')
    .option('--json', 'print the result as JSON'))
    .action(async (dir: string, flags) => {
      if ((flags.input === undefined) === (flags.batch === undefined)) throw new ZkinferError('USAGE', 'give either --input FILE (one proof) or --batch FILE.jsonl (many)');
      if (flags.input !== undefined && (flags.workers !== undefined || flags.optimize !== undefined)) {
        throw new ZkinferError('USAGE', '--workers and --optimize go with --batch (one proof takes --threads alone)');
      }
      if (flags.batch !== undefined && flags.recipient !== undefined) throw new ZkinferError('USAGE', '--recipient goes with --input: in a batch, each line names its own "recipient"');
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      if (flags.batch !== undefined) {
        const { proveBatchStep } = await import('../../pipeline/batch.js');
        const { summary, summaryFile } = await proveBatchStep(dir, {
          batch: flags.batch,
          out: flags.out ?? `${dir}/proofs`,
          ...poolOptions(flags),
          onProgress: progress.onProgress,
        }).finally(progress.done);
        if (summary.failures.length > 0) process.exitCode = exitCodeFor(new ZkinferError(summary.failures[0]!.code as ZkinferError['code'], ''));
        if (flags.json) return printJson({ summary: summaryFile, ...summary, proofs: undefined });
        print(`proved ${summary.proved} of ${summary.count} inputs in ${formatMs(summary.seconds * 1000)} (${summary.proofsPerMinute.toFixed(1)} proofs/min, ${summary.pool.size} worker(s) × ${summary.pool.threadsPerWorker} thread(s): ${summary.pool.reason})`);
        for (const failure of summary.failures.slice(0, 20)) print(`line ${failure.line}: ${failure.reason}`);
        if (summary.failures.length > 20) print(`… and ${summary.failures.length - 20} more failures (see the summary)`);
        print(`summary: ${summaryFile}`);
        return;
      }
      const { proveStep } = await import('../../pipeline/prove.js');
      const result = await proveStep(dir, { input: flags.input, ...(flags.recipient !== undefined ? { recipient: flags.recipient } : {}), ...(flags.out ? { out: flags.out } : {}), ...(flags.threads !== undefined ? { threads: flags.threads } : {}), onProgress: progress.onProgress }).finally(progress.done);
      if (flags.json) return printJson({ file: result.file, outputs: result.bundle.outputs, witnessMs: result.witnessMs, proveMs: result.proveMs });
      const o = result.bundle.outputs;
      for (const line of outputLines(o)) print(line);
      print(`proof: ${result.file} (witness ${formatMs(result.witnessMs)}, proof ${formatMs(result.proveMs)})`);
    });
}
