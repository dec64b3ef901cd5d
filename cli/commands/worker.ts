import type { Command } from 'commander';
import { ZkinferError } from '../../core/errors.js';
import { integerOption } from '../options.js';
import { print } from '../terminal.js';

export function register(program: Command): void {
  program
    .command('worker')
    .description('prove jobs from the proof queue (docs/DEPLOY.md): one per machine that holds the artifacts')
    .requiredOption('--queue <url>', 'the proof queue: redis://HOST:PORT[/DB]')
    .requiredOption('--models <dirs...>', 'artifacts folders of the models to prove')
    .option('--concurrency <n>', 'proofs at once over all models (default 1)', integerOption('--concurrency', 1, 256))
    .option('--memory <MiB>', 'memory budget of the loaded keys; the least recently used idle one is unloaded to load another (default: 3/4 of free memory)', integerOption('--memory', 1, 2 ** 24))
    .option('--lock <ms>', "how long a job's lock lasts unrenewed: a dead worker's jobs are retried after about this (default 30000)", integerOption('--lock', 100, 3_600_000))
    .option('--grace <ms>', 'on SIGTERM, how long held jobs may finish before they are handed back (default 30000)', integerOption('--grace', 0, 3_600_000))
    .option('--name <name>', "this worker's name in metrics and job logs (default HOST:PID)")
    .option('--json', 'print events as JSON lines')
    .option('--threads <n>', 'threads of each proof (default 1)', integerOption('--threads', 1, 256))
    .action(async (flags) => {
      if (flags.name !== undefined && !/^[\w.:@-]{1,100}$/.test(flags.name)) throw new ZkinferError('USAGE', `--name must be 1-100 letters, digits or . : @ - _, found '${flags.name}'`);
      const { startQueueWorker } = await import('../../pipeline/queue/worker.js');
      const worker = await startQueueWorker({
        url: flags.queue,
        models: flags.models,
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
        ...(flags.memory !== undefined ? { memoryBudgetBytes: flags.memory * 2 ** 20 } : {}),
        ...(flags.lock !== undefined ? { lockMs: flags.lock } : {}),
        ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        onEvent: (event) => print(flags.json ? JSON.stringify(event) : `${event.kind}: ${event.message}`),
      });
      print(flags.json ? JSON.stringify({ kind: 'ready', message: worker.name }) : `worker ${worker.name} ready; SIGTERM or Ctrl-C stops (held jobs finish or are handed back)`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      process.stderr.write(`${signal}: finishing or handing back held jobs and stopping\n`);
      await worker.close(flags.grace);
      const s = worker.stats();
      print(flags.json ? JSON.stringify({ kind: 'stopped', message: `${s.proved} proved`, ...s }) : `stopped: ${s.proved} proved, ${s.failed} failed, ${s.handedBack} handed back`);
    });
}
