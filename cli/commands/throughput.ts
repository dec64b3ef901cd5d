import type { Command } from 'commander';
import { addPoolOptions, integerOption, poolOptions } from '../options.js';
import { print, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  addPoolOptions(
    program
    .command('throughput')
    .description('measure proving throughput: warm pool, cold CLI, a plain snarkjs loop, and the MSM floor of one proof')
    .argument('<dir>', 'artifacts folder')
    .option('--proofs <n>', 'proofs for the pool and the plain loop (default 60)', integerOption('--proofs', 1, 100_000))
    .option('--cold <n>', 'proofs on the cold CLI path, one process each (default 3; 0 skips it)', integerOption('--cold', 0, 1000))
    .option('--json <file>', 'also write the measurements to this JSON file')
    .option('--queue <url>', 'instead: the proof queue at redis://HOST:PORT against the warm pool, 1 and 2 provers each, and the recovery from a killed worker')
    .option('--rounds <n>', 'with --queue: rounds of pool and queue, alternating, per prover count (default 5; --proofs is per round, default 200)', integerOption('--rounds', 1, 1000))
    .option('--lock <ms>', "with --queue: the workers' lock time, which bounds the recovery (default 30000, the workers' default)", integerOption('--lock', 100, 3_600_000))
    .option('--check-hold <ms>', "with --queue: the longest the producer's check of a proof may wait for another to share its pairing check (default 0)", integerOption('--check-hold', 0, 10_000)))
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const [{ measureThroughput }, { throughputTable }, { formatBytes }, { writeJsonAtomic }] = await Promise.all([
        import('../../bench/throughput.js'),
        import('../../bench/report.js'),
        import('../../bench/format.js'),
        import('../../core/files.js'),
      ]);
      const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
      if (flags.queue !== undefined) {
        const { QUEUE_CHECKS, measureQueueThroughput } = await import('../../bench/queue.js');
        const q = await measureQueueThroughput(dir, {
          url: flags.queue,
          ...(flags.proofs !== undefined ? { proofs: flags.proofs } : {}),
          ...(flags.rounds !== undefined ? { rounds: flags.rounds } : {}),
          ...(flags.lock !== undefined ? { lockMs: flags.lock } : {}),
          ...(flags.checkHold !== undefined ? { checkHoldMs: flags.checkHold } : {}),
          onProgress: progress.onProgress,
        }).finally(progress.done);
        if (flags.json) await writeJsonAtomic(flags.json, q);
        print(`${q.model}: ${q.machine.cores} cores; load average ${load(q.machine.loadAverageBefore)} before, ${load(q.machine.loadAverageAfter)} after`);
        print(table(['path', 'provers', 'round', 'proofs', 'seconds', 'proofs/min', 'CPU ms/proof', 'prover idle ms/proof', 'proofs/check batch'], q.runs.map((r) => [r.path, r.provers, r.round, r.proofs, r.seconds.toFixed(1), r.proofsPerMinute.toFixed(1), r.cpuMsPerProof.toFixed(0), r.idleMsPerProof.toFixed(1), r.proofsPerCheckBatch?.toFixed(2) ?? '-'])));
        const percent = (s: { median: number; min: number; max: number }) => `${(100 * s.median).toFixed(1)}% (rounds ${(100 * s.min).toFixed(1)}% to ${(100 * s.max).toFixed(1)}%)`;
        for (const o of q.overhead) {
          print(`queue overhead with ${o.provers} prover(s), median of ${o.share.count} rounds: ${percent(o.share)} fewer proofs per minute than the pool, ${percent(o.cpuShare)} more CPU per proof, ${o.idleMsMore.median.toFixed(1)} ms more prover idle time per proof (rounds ${o.idleMsMore.min.toFixed(1)} to ${o.idleMsMore.max.toFixed(1)})`);
        }
        print('CPU ms per proof by process, median over rounds (producer: the bench process, which for the pool is the pool\'s own):');
        print(table(['path', 'provers', 'producer', 'workers', 'provers\' processes', 'redis'], q.cpuByProcess.map((c) => [c.path, c.provers, c.median.producer.toFixed(1), c.median.workers.toFixed(1), c.median.provers.toFixed(1), c.median.redis.toFixed(1)])));
        print(`checks: ${QUEUE_CHECKS}`);
        print(`a worker killed during a job: proven elsewhere ${q.killRecovery.seconds.toFixed(1)} s later (lock ${q.killRecovery.lockMs} ms)`);
        return;
      }
      const r = await measureThroughput(dir, {
        ...(flags.proofs !== undefined ? { proofs: flags.proofs } : {}),
        ...(flags.cold !== undefined ? { coldProofs: flags.cold } : {}),
        ...poolOptions(flags),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      if (flags.json) await writeJsonAtomic(flags.json, r);
      print(`${r.machine.cores} cores; load average ${load(r.machine.loadAverageBefore)} before, ${load(r.machine.loadAverageAfter)} after`);
      const t = throughputTable(r);
      print();
      print(table(t.headers, t.rows));
      print();
      for (const line of t.lines) print(line);
      print(`plain loop process peak RSS: ${formatBytes(r.plainLoop.peakRssBytes)}`);
      if (flags.json) print(`measurements: ${flags.json}`);
    });
}
