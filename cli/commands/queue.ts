import type { Command } from 'commander';
import { formatMs, print, table } from '../terminal.js';

export function register(program: Command): void {
  program
    .command('queue')
    .description("the proving fleet's state: queue depth, active and waiting jobs, workers' proofs per minute, latency, failures by reason")
    .requiredOption('--queue <url>', 'the proof queue: redis://HOST:PORT[/DB]')
    .option('--model <keyhash...>', 'only these models (default: every model with a queue there)')
    .option('--json', 'print the metrics as JSON')
    .action(async (flags) => {
      const [{ connectRedis }, { readFleetMetrics }] = await Promise.all([import('../../pipeline/queue/jobs.js'), import('../../pipeline/queue/fleet.js')]);
      const redis = await connectRedis(flags.queue);
      try {
        const m = await readFleetMetrics(redis, flags.model);
        if (flags.json) return print(JSON.stringify(m, null, 2));
        print(`depth ${m.depth} (waiting ${m.waiting}), active ${m.active}, completed ${m.completed}, failed ${m.failed}`);
        if (m.models.length > 0) {
          print(table(['model', 'waiting', 'active', 'delayed', 'completed', 'failed', 'workers'], m.models.map((q) => [`${q.model.slice(0, 12)}…`, q.waiting, q.active, q.delayed, q.completed, q.failed, q.workers.length].map(String))));
        }
        print(`last ${m.windowMinutes} min: latency p50 ${formatMs(m.latencyMs.p50)}, p95 ${formatMs(m.latencyMs.p95)} over ${m.latencyMs.samples} proofs`);
        if (m.workers.length > 0) print(table(['worker', 'proofs/min', 'models', 'live'], m.workers.map((w) => [w.worker, w.proofsPerMinute.toFixed(1), String(w.models.length), w.live ? 'yes' : 'no'])));
        const failures = Object.entries(m.failures);
        if (failures.length > 0) print(`failures: ${failures.map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
      } finally {
        redis.disconnect();
      }
    });
}
