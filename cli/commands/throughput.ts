import type { Command } from 'commander';
import { measureThroughput, writeJsonAtomic } from '../../index.js';
import { integerOption } from '../options.js';
import { formatMs, print, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function register(program: Command, globals: Globals): void {
  program
    .command('throughput')
    .description('measure proving throughput: warm pool, cold CLI, a plain snarkjs loop, and the MSM floor of one proof')
    .argument('<dir>', 'artifacts folder')
    .option('--proofs <n>', 'proofs for the pool and the plain loop (default 60)', integerOption('--proofs', 1, 100_000))
    .option('--cold <n>', 'proofs on the cold CLI path, one process each (default 3; 0 skips it)', integerOption('--cold', 0, 1000))
    .option('--workers <n>', 'pool workers (default: one per core, as memory allows)', integerOption('--workers', 1, 256))
    .option('--threads <n>', 'threads per worker (default: 1, or one per core for a single worker)', integerOption('--threads', 1, 256))
    .option('--json <file>', 'also write the measurements to this JSON file')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const r = await measureThroughput(dir, {
        ...(flags.proofs !== undefined ? { proofs: flags.proofs } : {}),
        ...(flags.cold !== undefined ? { coldProofs: flags.cold } : {}),
        ...(flags.workers !== undefined ? { size: flags.workers } : {}),
        ...(flags.threads !== undefined ? { threadsPerWorker: flags.threads } : {}),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      if (flags.json) await writeJsonAtomic(flags.json, r);
      const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
      print(`${r.model}: ${r.constraints} constraints, domain ${r.domainSize}, ${r.wires} wires; ${r.machine.cores} cores; load average ${load(r.machine.loadAverageBefore)} before, ${load(r.machine.loadAverageAfter)} after`);
      print();
      const rows: (string | number)[][] = [
        [`warm pool (${r.pool.size} × ${r.pool.threadsPerWorker} thread)`, r.pool.proofs, formatMs(r.pool.seconds * 1000), r.pool.proofsPerMinute.toFixed(1), r.pool.cpuMsPerProof.toFixed(0)],
        ['plain fullProve loop', r.plainLoop.proofs, formatMs(r.plainLoop.seconds * 1000), r.plainLoop.proofsPerMinute.toFixed(1), r.plainLoop.cpuMsPerProof.toFixed(0)],
      ];
      if (r.cold) rows.push(['cold CLI (process per proof)', r.cold.proofs, formatMs(r.cold.seconds * 1000), r.cold.proofsPerMinute.toFixed(1), Number.isNaN(r.cold.cpuMsPerProof) ? '?' : r.cold.cpuMsPerProof.toFixed(0)]);
      print(table(['path', 'proofs', 'time', 'proofs/min', 'CPU ms/proof'], rows));
      print();
      print(`pool: ${(r.constraintsPerSecond / 1000).toFixed(1)}k constraints/s; witness ${formatMs(r.pool.witnessMsMean)}, proof ${formatMs(r.pool.proveMsMean)} per job (wall, in the worker); warm-up ${formatMs(r.pool.warmupSeconds * 1000)}`);
      print(
        `MSM floor (A, B1, B2, C over ${r.msm.points.a} points, H over ${r.msm.points.h}): ${formatMs(r.msm.oneThreadMs)} on 1 thread (CPU ${formatMs(r.msm.oneThreadCpuMs)}), ${formatMs(r.msm.allThreadsMs)} on all (CPU ${formatMs(r.msm.allThreadsCpuMs)})`,
      );
      print(`not MSM: ${(100 * r.msm.nonMsmShareOfPoolCpu).toFixed(0)}% of the pool's CPU time per proof`);
      print(`peak memory: workers ${r.pool.workerPeakRssBytes.map(mib).join(', ')}; plain loop process ${mib(r.plainLoop.peakRssBytes)}`);
      if (flags.json) print(`measurements: ${flags.json}`);
    });
}
