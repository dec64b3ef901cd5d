/**
 * The proof queue against the local warm pool, in one run on one machine: proofs per minute with
 * 1 and 2 provers each way (pool workers in this process's pool; `zkinfer worker` processes
 * through Redis, every proof checked by the producer as `serve --queue` does), and the time from
 * a worker's SIGKILL in the middle of a job to that job's proof by another worker (about the
 * workers' lock time, after which the stalled job is taken back).
 *
 * On a shared machine wall time measures the machine as it was; so each run also counts the CPU
 * time of every process doing the work (this one, its workers and their provers, from /proc, and
 * Redis's own from INFO), and the overhead is given both ways.
 *
 * `measureQueueThroughput` is the library form; `zkinfer throughput DIR --queue URL` prints it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QueueEvents } from 'bullmq';
import { ZkinferError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import { createProver } from '../pipeline/prover.js';
import { DEFAULT_LOCK_MS, QUEUE_PREFIX, connectRedis, queueName, redisOptions } from '../pipeline/queue/jobs.js';
import { type ProofQueue, openProofQueue } from '../pipeline/queue/producer.js';
import { randomModelInputs } from './throughput.js';

export interface QueueBenchOptions {
  /** The Redis to run the queue on: redis://HOST:PORT (its jobs get fresh salts, so nothing there is reused). */
  url: string;
  /** Proofs per measured run (default 40). */
  proofs?: number;
  /** The workers' lock time for the kill measure (default: the workers' default, 30 s). */
  lockMs?: number;
  onProgress?: OnProgress;
}

export interface QueueBenchRun {
  path: 'pool' | 'queue';
  provers: number;
  proofs: number;
  seconds: number;
  proofsPerMinute: number;
  /** CPU time per proof of every process doing the work (Redis's too, for the queue). */
  cpuMsPerProof: number;
}

export interface QueueBenchResult {
  model: string;
  machine: { cores: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  runs: QueueBenchRun[];
  /**
   * Per prover count: how much less the queue proved per minute than the pool (0.05 = 5 % fewer),
   * and how much more CPU time it spent per proof (what bounds throughput on busy cores).
   */
  overhead: { provers: number; share: number; cpuShare: number }[];
  /** From a worker's SIGKILL during a job to the job's checked proof from another worker. */
  killRecovery: { lockMs: number; seconds: number; trials: number };
}

interface BenchWorker {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

function spawnWorker(url: string, dir: string, name: string, lockMs: number): Promise<BenchWorker> {
  const proc = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'zkinfer.js'), 'worker', '--queue', url, '--models', dir, '--name', name, '--lock', String(lockMs), '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let stderr = '';
  proc.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"kind":"ready"')) resolve({ name, proc, exited });
    });
    void exited.then(() => reject(new ZkinferError('INTERNAL', `the bench's worker ${name} exited before it was ready: ${stderr.trim()}`)));
  });
}

async function stopWorkers(workers: BenchWorker[]): Promise<void> {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

export async function measureQueueThroughput(dir: string, options: QueueBenchOptions): Promise<QueueBenchResult> {
  const proofs = options.proofs ?? 40;
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  if (!Number.isInteger(proofs) || proofs < 1) throw new ZkinferError('USAGE', `proofs must be an integer of at least 1, found ${proofs}`);
  const progress = (message: string) => options.onProgress?.({ step: 'queue bench', message });
  const queue = await openProofQueue({ url: options.url, models: [dir] });
  const model = [...queue.models.values()][0]!;
  const inputs = randomModelInputs(model.circuit.model, proofs);
  // A salt no earlier run used: a job the queue still holds from one would be answered without a proof.
  const run = BigInt(`0x${randomBytes(6).toString('hex')}`) * 1_000_000n;
  let next = 0n;
  const fresh = (values: number[]) => ({ values, salt: run + next++ });
  const loadAverageBefore = os.loadavg();
  const runs: QueueBenchRun[] = [];
  const workers: BenchWorker[] = [];
  const redis = await connectRedis(options.url);
  const redisCpuMs = async () => {
    const info = await redis.info('cpu');
    const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return 1000 * (seconds('used_cpu_user') + seconds('used_cpu_sys'));
  };
  try {
    for (const provers of [1, 2]) {
      progress(`warm pool, ${provers} worker(s)`);
      const prover = await createProver(dir, { size: provers });
      try {
        await Promise.all(Array.from({ length: provers }, (_, k) => prover.prove(fresh(inputs[k % proofs]!))));
        const stop = await startClock(async () => 0);
        await Promise.all(inputs.map((values) => prover.prove(fresh(values))));
        runs.push(await stop('pool', provers, proofs));
      } finally {
        await prover.close();
      }

      progress(`queue, ${provers} worker process(es)`);
      for (let k = 0; k < provers; k++) workers.push(await spawnWorker(options.url, dir, `bench-${provers}-${k + 1}`, lockMs));
      // Each worker loads the key on its first job: two jobs each before the clock starts.
      await proveAll(queue, Array.from({ length: 2 * provers }, (_, k) => fresh(inputs[k % proofs]!)));
      const stop = await startClock(redisCpuMs);
      await proveAll(queue, inputs.map(fresh));
      runs.push(await stop('queue', provers, proofs));
      await stopWorkers(workers.splice(0));
    }

    progress('a worker killed during a job');
    const killRecovery = await measureKillRecovery(queue, options.url, dir, lockMs, () => fresh(inputs[0]!));
    const pool = (n: number) => runs.find((r) => r.path === 'pool' && r.provers === n)!;
    const queued = (n: number) => runs.find((r) => r.path === 'queue' && r.provers === n)!;
    return {
      model: model.name,
      machine: { cores: os.availableParallelism(), loadAverageBefore, loadAverageAfter: os.loadavg() },
      runs,
      overhead: [1, 2].map((n) => ({
        provers: n,
        share: 1 - queued(n).proofsPerMinute / pool(n).proofsPerMinute,
        cpuShare: queued(n).cpuMsPerProof / pool(n).cpuMsPerProof - 1,
      })),
      killRecovery,
    };
  } finally {
    await stopWorkers(workers);
    await queue.close();
    redis.disconnect();
  }
}

/** A clock over wall time and the CPU time of this process, its descendants and Redis. */
async function startClock(redisCpuMs: () => Promise<number>) {
  const wall = performance.now();
  const cpu = processTreeCpuMs() + (await redisCpuMs());
  return async (path: 'pool' | 'queue', provers: number, proofs: number): Promise<QueueBenchRun> => {
    const seconds = (performance.now() - wall) / 1000;
    const cpuMs = processTreeCpuMs() + (await redisCpuMs()) - cpu;
    return { path, provers, proofs, seconds, proofsPerMinute: (60 * proofs) / seconds, cpuMsPerProof: cpuMs / proofs };
  };
}

/**
 * CPU time (user + system) of this process and all its descendants, those still running and those
 * finished and waited for (their parents' cutime and cstime), from Linux's /proc at 100 ticks a second.
 */
function processTreeCpuMs(): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // gone while we looked
    }
  }
  let ticks = 0;
  const pending = [process.pid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === pid) pending.push(child);
  }
  return ticks * 10;
}

/** Submit every input at once and wait for each checked proof. */
async function proveAll(queue: ProofQueue, inputs: { values: number[]; salt: bigint }[]): Promise<void> {
  const jobs = await Promise.all(inputs.map((input) => queue.submitProofJob(input)));
  await Promise.all(jobs.map((job) => queue.waitForProof(job.id)));
}

/**
 * Two workers; a job is submitted and the worker that reports proving it is killed at once; the
 * clock runs until the job's proof arrives from the other. A kill that came after the proof (the
 * race can go either way) is not a measure: the next trial uses a new job.
 */
async function measureKillRecovery(queue: ProofQueue, url: string, dir: string, lockMs: number, input: () => { values: number[]; salt: bigint }): Promise<QueueBenchResult['killRecovery']> {
  const model = [...queue.models.keys()][0]!;
  const events = new QueueEvents(queueName(model), { connection: redisOptions(url), prefix: QUEUE_PREFIX });
  const workers: BenchWorker[] = [];
  try {
    await events.waitUntilReady();
    for (let trial = 1; trial <= 5; trial++) {
      for (const name of [`bench-kill-${trial}-a`, `bench-kill-${trial}-b`]) workers.push(await spawnWorker(url, dir, name, lockMs));
      // Both load the key first, so the measure is the recovery and not a key load.
      await proveAll(queue, [input(), input(), input(), input()]);
      const submitted = queue.submitProofJob(input());
      const proving = new Promise<string>((resolve) => {
        const onProgress = async ({ jobId, data }: { jobId: string; data: unknown }) => {
          if (jobId === (await submitted).id) {
            events.off('progress', onProgress);
            resolve((data as { worker: string }).worker);
          }
        };
        events.on('progress', onProgress);
      });
      const provingWorker = await proving;
      const victim = workers.find((w) => w.name === provingWorker)!;
      victim.proc.kill('SIGKILL');
      const killed = performance.now();
      const result = await queue.waitForProof((await submitted).id);
      const seconds = (performance.now() - killed) / 1000;
      await stopWorkers(workers.splice(0));
      if (result.worker !== victim.name) return { lockMs, seconds, trials: trial };
    }
    throw new ZkinferError('INTERNAL', 'in 5 trials, every killed worker had finished its proof before the kill');
  } finally {
    await stopWorkers(workers);
    await events.close();
  }
}
