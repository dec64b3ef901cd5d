import type { Command } from 'commander';
import { ZkinferError } from '../../core/errors.js';
import type { HttpMetrics, HttpServerOptions } from '../../index.js';
import { addPoolOptions, integerOption, poolOptions } from '../options.js';
import { print } from '../terminal.js';

export function register(program: Command): void {
  addPoolOptions(
    program
    .command('serve')
    .description('an HTTP proving service on a warm worker pool (or, with --queue, on a fleet of `zkinfer worker`s): POST /prove, GET /health, GET /metrics')
    .argument('<dirs...>', 'artifacts folder (with --queue, one or more: the models accepted)')
    .option('--queue <url>', 'put requests on the proof queue at redis://HOST:PORT instead of proving here (docs/DEPLOY.md)')
    .option('--attempts <n>', 'with --queue: attempts a job gets before it fails (default 3)', integerOption('--attempts', 1, 100))
    .option('--wait-timeout <ms>', 'with --queue: how long POST /prove waits for the proof before answering 202 and the job id (default 300000)', integerOption('--wait-timeout', 1, 86_400_000))
    .requiredOption('-p, --port <n>', 'port to listen on (0: any free port, printed)', integerOption('--port', 0, 65535))
    .option('--host <address>', 'interface to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--max-queue <n>', 'requests that may wait for a worker; more get 429 (default: 4 per worker)', integerOption('--max-queue', 0, 100_000))
    .option('--max-body <bytes>', 'the largest request body; larger get 413 (default 1048576)', integerOption('--max-body', 1, 2 ** 30))
    .option('--headers-timeout <ms>', "time a client has to send a request's headers; later gets 408 (default 10000)", integerOption('--headers-timeout', 1, 3_600_000))
    .option('--request-timeout <ms>', 'time a client has to send a whole request, body included; later gets 408 (default 30000)', integerOption('--request-timeout', 1, 3_600_000))
    .option('--max-connections <n>', 'connections open at once; more are closed on arrival (default 128)', integerOption('--max-connections', 1, 100_000))
    .option('--max-reading <n>', 'request bodies received at once; more get 429 (default 32)', integerOption('--max-reading', 1, 100_000)))
    .action(async (dirs: string[], flags) => {
      const { startProvingServer, startQueueServer } = await import('../../pipeline/serve.js');
      const http: HttpServerOptions = {
        port: flags.port,
        host: flags.host,
        ...(flags.maxQueue !== undefined ? { maxQueue: flags.maxQueue } : {}),
        ...(flags.maxBody !== undefined ? { maxBodyBytes: flags.maxBody } : {}),
        ...(flags.headersTimeout !== undefined ? { headersTimeoutMs: flags.headersTimeout } : {}),
        ...(flags.requestTimeout !== undefined ? { requestTimeoutMs: flags.requestTimeout } : {}),
        ...(flags.maxConnections !== undefined ? { maxConnections: flags.maxConnections } : {}),
        ...(flags.maxReading !== undefined ? { maxReadingBodies: flags.maxReading } : {}),
      };
      let server: { url: string; close(): Promise<void>; metrics(): HttpMetrics };
      if (flags.queue !== undefined) {
        if (flags.workers !== undefined || flags.threads !== undefined || flags.optimize !== undefined) {
          throw new ZkinferError('USAGE', '--workers, --threads and --optimize are for proving here; with --queue, give --threads and --optimize to `zkinfer worker`');
        }
        const queued = await startQueueServer(dirs, {
          ...http,
          url: flags.queue,
          ...(flags.attempts !== undefined ? { attempts: flags.attempts } : {}),
          ...(flags.waitTimeout !== undefined ? { waitTimeoutMs: flags.waitTimeout } : {}),
        });
        server = queued;
        const names = [...queued.queue.models.values()].map((m) => `${m.name} (key ${m.keyHash.slice(0, 12)}…)`).join(', ');
        print(`serving ${names} on ${server.url} through the queue at ${flags.queue}; POST /prove, GET /jobs/ID, GET /health, GET /metrics; Ctrl-C stops`);
      } else {
        if (dirs.length !== 1) throw new ZkinferError('USAGE', `without --queue, serve proves one model here: give one artifacts folder, found ${dirs.length}`);
        if (flags.attempts !== undefined || flags.waitTimeout !== undefined) throw new ZkinferError('USAGE', '--attempts and --wait-timeout need --queue');
        const local = await startProvingServer(dirs[0]!, {
          ...http,
          ...poolOptions(flags),
        });
        server = local;
        const { size, threadsPerWorker, reason } = local.prover.shape;
        print(`serving ${local.prover.model.name} on ${server.url} (${size} worker(s) × ${threadsPerWorker} thread(s): ${reason}); POST /prove, GET /health, GET /metrics; Ctrl-C stops`);
      }
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      process.stderr.write(`${signal}: finishing admitted requests and stopping\n`);
      await server.close();
      const m = server.metrics();
      print(`stopped: ${m.proved} proved, ${m.failed} failed, ${Object.values(m.rejected).reduce((a, b) => a + b, 0)} rejected`);
    });
}
