/**
 * The proof queue against the local warm pool on one machine: proofs per minute with 1 and 2
 * provers each way (pool workers in this process's pool; `zkinfer worker` processes through Redis,
 * every proof checked by the producer as `serve --queue` does), and the time from a worker's
 * SIGKILL in the middle of a job to that job's proof by another worker (about the workers' lock
 * time, after which the stalled job is taken back).
 *
 * Pool and queue are measured in alternating rounds, both kept warm throughout, and each queue
 * round is compared with the pool round beside it: on a shared machine, other work then spoils a
 * round's comparison rather than every queue figure, and the median over rounds discounts it.
 * Each run also counts the CPU time of every process doing the work (this one, its workers and
 * their provers, from /proc, and Redis's own from INFO; the idle side's processes are counted too,
 * and cost next to nothing), and the overhead is given both ways, beside the provers' idle time.
 *
 * What each row checks, as its service does: a pool proof's public signals are compared with the
 * integer reference in the process that asked for it (as `zkinfer serve` does), and nothing more,
 * for the prover is that process's own. A queue proof's are compared by its worker, and again by
 * the producer, which also verifies the Groth16 proof (7-8 ms of CPU), as `serve --queue` does: a
 * worker is trusted with nothing. That verification is part of the queue's cost, not the pool's
 * (QUEUE_CHECKS says so in the printed results).
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
import { DEFAULT_LOCK_MS, QUEUE_PREFIX, type ProofJobResult, connectRedis, queueName, redisOptions } from '../pipeline/queue/jobs.js';
import { type ProofQueue, openProofQueue } from '../pipeline/queue/producer.js';
import { type Spread, median, spreadOf } from './stats.js';
import { randomModelInputs } from './throughput.js';

export interface QueueBenchOptions {
  /** The Redis to run the queue on: redis://HOST:PORT (its jobs get fresh salts, so nothing there is reused). */
  url: string;
  /**
   * Proofs per measured round (default 200). A round submits them at once and waits for every
   * proof: its start (the provers wait for the first jobs) and its end (one prover idle while the
   * other finishes what it holds) are a burst's latency, not throughput, and weigh 1/round size.
   */
  proofs?: number;
  /** Rounds of each path per prover count, pool and queue alternating (default 5). */
  rounds?: number;
  /** The workers' lock time for the kill measure (default: the workers' default, 30 s). */
  lockMs?: number;
  /** The producer's check hold (ProofQueueOptions.checkHoldMs; default 0). */
  checkHoldMs?: number;
  onProgress?: OnProgress;
}

export interface QueueBenchRun {
  path: 'pool' | 'queue';
  provers: number;
  /** Which round of this prover count (1-based): a pool run and a queue run of one round are compared. */
  round: number;
  proofs: number;
  seconds: number;
  proofsPerMinute: number;
  /** CPU time per proof of every process doing the work (Redis's too, for the queue). */
  cpuMsPerProof: number;
  /** The same, process by process (they add up to cpuMsPerProof). */
  cpuMsPerProofBy: CpuByProcess;
  /** Time per proof the provers spent not proving while the round ran (proverIdleMsPerProof). */
  idleMsPerProof: number;
  /** Queue rounds: proofs per batch of the producer's checks (prover/verify-batches.ts: those arriving together). */
  proofsPerCheckBatch?: number;
}

/**
 * Per prover count, over its rounds: how much less the queue proved per minute than the pool in
 * the same round (0.05 = 5 % fewer), and how much more CPU time it spent per proof (what bounds
 * throughput on busy cores); each as the median and the least and greatest round.
 */
export interface QueueOverhead {
  provers: number;
  share: Spread;
  cpuShare: Spread;
  /** How many more milliseconds per proof the queue's provers sat idle than the pool's. */
  idleMsMore: Spread;
}

/**
 * CPU time per proof by process: this one (the producer for the queue; for the pool, the pool's
 * own process, which checks each proof against the reference), the `zkinfer worker` processes
 * (the queue's alone), the prover processes under either, and Redis.
 */
export interface CpuByProcess {
  producer: number;
  workers: number;
  provers: number;
  redis: number;
}

/** Per path and prover count: the median over rounds of each process's CPU time per proof. */
export function cpuByProcess(runs: readonly QueueBenchRun[]): { path: 'pool' | 'queue'; provers: number; rounds: number; median: CpuByProcess }[] {
  const groups = new Map<string, QueueBenchRun[]>();
  for (const run of runs) groups.set(`${run.path} ${run.provers}`, [...(groups.get(`${run.path} ${run.provers}`) ?? []), run]);
  return [...groups.values()]
    .map((group) => ({
      path: group[0]!.path,
      provers: group[0]!.provers,
      rounds: group.length,
      median: {
        producer: median(group.map((r) => r.cpuMsPerProofBy.producer)),
        workers: median(group.map((r) => r.cpuMsPerProofBy.workers)),
        provers: median(group.map((r) => r.cpuMsPerProofBy.provers)),
        redis: median(group.map((r) => r.cpuMsPerProofBy.redis)),
      },
    }))
    .sort((x, y) => x.provers - y.provers || x.path.localeCompare(y.path));
}

/** What the rows check, printed with the results: the queue alone verifies each proof. */
export const QUEUE_CHECKS =
  "pool rows: each proof's public signals checked against the integer reference, as `zkinfer serve` does; queue rows: the same by the worker, then by the producer, which also verifies the Groth16 proof, as `serve --queue` does (the pool does not verify: its prover is its own)";

export interface QueueBenchResult {
  model: string;
  machine: { cores: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  runs: QueueBenchRun[];
  overhead: QueueOverhead[];
  /** Each process's CPU time per proof, median over rounds, per path and prover count. */
  cpuByProcess: ReturnType<typeof cpuByProcess>;
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

/**
 * The queue's overhead against the pool, round by round: each queue run is compared with the pool
 * run of its own round, measured beside it, so that a burst of other work on the machine spoils
 * one round's figure and not every queue figure; the median over rounds is the result.
 */
export function queueOverhead(runs: readonly QueueBenchRun[]): QueueOverhead[] {
  const counts = [...new Set(runs.map((r) => r.provers))].sort((x, y) => x - y);
  return counts.map((provers) => {
    const shares: number[] = [];
    const cpuShares: number[] = [];
    const idleMore: number[] = [];
    for (const queued of runs.filter((r) => r.path === 'queue' && r.provers === provers)) {
      const pool = runs.find((r) => r.path === 'pool' && r.provers === provers && r.round === queued.round);
      if (!pool) throw new ZkinferError('INTERNAL', `the queue bench has no pool run to compare with round ${queued.round} of ${provers} prover(s)`);
      shares.push(1 - queued.proofsPerMinute / pool.proofsPerMinute);
      cpuShares.push(queued.cpuMsPerProof / pool.cpuMsPerProof - 1);
      idleMore.push(queued.idleMsPerProof - pool.idleMsPerProof);
    }
    if (shares.length === 0) throw new ZkinferError('INTERNAL', `the queue bench has no queue run with ${provers} prover(s)`);
    return { provers, share: spreadOf(shares)!, cpuShare: spreadOf(cpuShares)!, idleMsMore: spreadOf(idleMore)! };
  });
}

export async function measureQueueThroughput(dir: string, options: QueueBenchOptions): Promise<QueueBenchResult> {
  const proofs = options.proofs ?? 200;
  const rounds = options.rounds ?? 5;
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  for (const [name, value] of [['proofs', proofs], ['rounds', rounds]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ZkinferError('USAGE', `${name} must be an integer of at least 1, found ${value}`);
  }
  const progress = (message: string) => options.onProgress?.({ step: 'queue bench', message });
  const queue = await openProofQueue({ url: options.url, models: [dir], ...(options.checkHoldMs !== undefined ? { checkHoldMs: options.checkHoldMs } : {}) });
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
  const noRedis = async () => 0;
  try {
    for (const provers of [1, 2]) {
      // Both paths stay warm for all rounds: the pool's provers and the worker processes with their keys loaded.
      const prover = await createProver(dir, { size: provers });
      try {
        for (let k = 0; k < provers; k++) workers.push(await spawnWorker(options.url, dir, `bench-${provers}-${k + 1}`, lockMs));
        await Promise.all(Array.from({ length: provers }, (_, k) => prover.prove(fresh(inputs[k % proofs]!))));
        // Each worker loads the key on its first job: two jobs each before the first round.
        await proveAll(queue, Array.from({ length: 2 * provers }, (_, k) => fresh(inputs[k % proofs]!)));
        const workerPids = () => new Set(workers.map((w) => w.proc.pid!));
        const measurePool = async (round: number) => {
          const stop = await startClock(noRedis, workerPids);
          const done = await Promise.all(inputs.map((values) => prover.prove(fresh(values))));
          runs.push(await stop('pool', provers, round, done));
        };
        const measureQueue = async (round: number) => {
          const before = { ...model.checks.counts };
          const stop = await startClock(redisCpuMs, workerPids);
          const done = await proveAll(queue, inputs.map(fresh));
          const checks = model.checks.counts;
          runs.push({ ...(await stop('queue', provers, round, done)), proofsPerCheckBatch: (checks.proofs - before.proofs) / (checks.batches - before.batches) });
        };
        for (let round = 1; round <= rounds; round++) {
          progress(`${provers} prover(s), round ${round} of ${rounds}: warm pool and queue`);
          // Which goes first alternates too, so that a trend in the machine's load favours neither.
          const [first, second] = round % 2 === 1 ? [measurePool, measureQueue] : [measureQueue, measurePool];
          await first(round);
          await second(round);
        }
      } finally {
        await stopWorkers(workers.splice(0));
        await prover.close();
      }
    }

    progress('a worker killed during a job');
    const killRecovery = await measureKillRecovery(queue, options.url, dir, lockMs, () => fresh(inputs[0]!));
    return {
      model: model.name,
      machine: { cores: os.availableParallelism(), loadAverageBefore, loadAverageAfter: os.loadavg() },
      runs,
      overhead: queueOverhead(runs),
      cpuByProcess: cpuByProcess(runs),
      killRecovery,
    };
  } finally {
    await stopWorkers(workers);
    await queue.close();
    redis.disconnect();
  }
}

/**
 * How long, per proof, the provers sat idle during a round: their time (wall time × provers) less
 * the time they spent on witnesses and proofs, as each proof's prover process timed it. What is
 * left is the hand-over between one proof and the next (the pool's own queue, or the queue's
 * completion, next job and messages) and the round's start and end. Load on the machine stretches
 * the proofs' own times too, so this is less disturbed by it than proofs per minute.
 */
export function proverIdleMsPerProof(seconds: number, provers: number, proofs: readonly { witnessMs: number; proveMs: number }[]): number {
  const busyMs = proofs.reduce((total, p) => total + p.witnessMs + p.proveMs, 0);
  return (1000 * seconds * provers - busyMs) / proofs.length;
}

/** A clock over wall time and the CPU time of this process, its descendants and Redis, process by process. */
async function startClock(redisCpuMs: () => Promise<number>, workerPids: () => ReadonlySet<number>) {
  const wall = performance.now();
  const tree = processTreeCpuMs(workerPids());
  const redis = await redisCpuMs();
  return async (path: 'pool' | 'queue', provers: number, round: number, proofs: readonly { witnessMs: number; proveMs: number }[]): Promise<QueueBenchRun> => {
    const seconds = (performance.now() - wall) / 1000;
    const after = processTreeCpuMs(workerPids());
    const count = proofs.length;
    const by: CpuByProcess = {
      producer: (after.self - tree.self) / count,
      workers: (after.workers - tree.workers) / count,
      provers: (after.others - tree.others) / count,
      redis: ((await redisCpuMs()) - redis) / count,
    };
    const cpuMsPerProof = by.producer + by.workers + by.provers + by.redis;
    return { path, provers, round, proofs: count, seconds, proofsPerMinute: (60 * count) / seconds, cpuMsPerProof, cpuMsPerProofBy: by, idleMsPerProof: proverIdleMsPerProof(seconds, provers, proofs) };
  };
}

/**
 * CPU time (user + system) of this process and all its descendants, those still running and those
 * finished and waited for (their parents' cutime and cstime), from Linux's /proc at 100 ticks a
 * second: this process's own, that of `workers` (the worker processes), and that of the others
 * (the prover processes under this one or under a worker).
 */
function processTreeCpuMs(workers: ReadonlySet<number>): { self: number; workers: number; others: number } {
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
  const ticks = { self: 0, workers: 0, others: 0 };
  const pending = [process.pid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks[pid === process.pid ? 'self' : workers.has(pid) ? 'workers' : 'others'] += stats.get(pid)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === pid) pending.push(child);
  }
  return { self: ticks.self * 10, workers: ticks.workers * 10, others: ticks.others * 10 };
}

/** Submit every input at once and wait for each checked proof. */
async function proveAll(queue: ProofQueue, inputs: { values: number[]; salt: bigint }[]): Promise<ProofJobResult[]> {
  const jobs = await Promise.all(inputs.map((input) => queue.submitProofJob(input)));
  return Promise.all(jobs.map((job) => queue.waitForProof(job.id)));
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
