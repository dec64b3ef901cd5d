/**
 * The state of a proving fleet, read from Redis alone (so a producer's /metrics and `zkinfer
 * queue` on any machine show the same): each model's queue depth and active jobs, the live
 * workers and their proofs per minute, the latency of recent proofs, and failures by reason.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { percentile } from '../../core/numbers.js';
import { QUEUE_PREFIX, type ProofJobResult, keyHashOfQueue, queueName } from './jobs.js';

/** Recent proofs are those finished in this window (per-worker rates and latency are over it). */
export const FLEET_WINDOW_MINUTES = 5;
/** At most this many of the newest finished (and failed) jobs are read per model. */
const RECENT_JOBS = 1000;

export interface ModelQueueMetrics {
  model: string;
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  completed: number;
  failed: number;
  /** Workers listening to this model's queue now. */
  workers: string[];
}

export interface FleetMetrics {
  /** Jobs not yet started, all models: waiting, delayed (backing off before a retry) and prioritized. */
  depth: number;
  waiting: number;
  active: number;
  completed: number;
  failed: number;
  models: ModelQueueMetrics[];
  windowMinutes: number;
  /** Proofs finished in the window per worker, divided by the window's minutes. */
  workers: { worker: string; proofsPerMinute: number; models: string[]; live: boolean }[];
  /** From a job's submission to its proof, over the window's proofs. */
  latencyMs: { p50: number; p95: number; max: number; samples: number };
  /** Failed jobs (the newest RECENT_JOBS per model) by reason: the error code leading the reason, or the reason. */
  failures: Record<string, number>;
}

/** The key hashes of every model with a queue in this Redis. */
export async function discoverModels(redis: Redis): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:${queueName('*')}`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const hash = keyHashOfQueue(key.split(':')[1] ?? '');
      if (hash) found.add(hash);
    }
  } while (cursor !== '0');
  return [...found].sort();
}

/** A failure's reason as a group: the error code it starts with ("INPUT_INVALID: ..."), else the reason cut short. */
function failureGroup(reason: string | undefined): string {
  if (!reason) return 'unknown';
  const code = /^([A-Z_]{3,}):/.exec(reason);
  if (code) return code[1]!;
  if (/stalled more than allowable limit/.test(reason)) return 'STALLED';
  return reason.length > 80 ? `${reason.slice(0, 80)}…` : reason;
}

export async function readFleetMetrics(redis: Redis, keyHashes?: string[]): Promise<FleetMetrics> {
  const models = keyHashes ?? (await discoverModels(redis));
  const now = Date.now();
  const since = now - FLEET_WINDOW_MINUTES * 60_000;
  const latencies: number[] = [];
  const perWorker = new Map<string, { proofs: number; models: Set<string>; live: boolean }>();
  const workerEntry = (name: string) => perWorker.get(name) ?? perWorker.set(name, { proofs: 0, models: new Set(), live: false }).get(name)!;
  const failures: Record<string, number> = {};
  const perModel: ModelQueueMetrics[] = [];
  for (const model of models) {
    const queue = new Queue(queueName(model), { connection: redis, prefix: QUEUE_PREFIX });
    try {
      const [counts, finished, failed, clients] = await Promise.all([
        queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
        queue.getJobs(['completed'], 0, RECENT_JOBS - 1),
        queue.getJobs(['failed'], 0, RECENT_JOBS - 1),
        queue.getWorkers(),
      ]);
      // BullMQ names a worker's connections `prefix:queue:w:NAME` (several per worker).
      const workers = [...new Set(clients.map((client) => client.rawname?.split(':w:')[1] ?? 'unnamed'))].sort();
      for (const name of workers) {
        const entry = workerEntry(name);
        entry.live = true;
        entry.models.add(model);
      }
      for (const job of finished) {
        if (!job?.finishedOn || job.finishedOn < since) continue;
        latencies.push(job.finishedOn - job.timestamp);
        const entry = workerEntry((job.returnvalue as ProofJobResult | undefined)?.worker ?? 'unknown');
        entry.proofs += 1;
        entry.models.add(model);
      }
      for (const job of failed) {
        if (!job) continue;
        const group = failureGroup(job.failedReason);
        failures[group] = (failures[group] ?? 0) + 1;
      }
      perModel.push({
        model,
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        prioritized: counts.prioritized ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        workers,
      });
    } finally {
      await queue.close();
    }
  }
  const sum = (key: 'waiting' | 'active' | 'delayed' | 'prioritized' | 'completed' | 'failed') => perModel.reduce((total, m) => total + m[key], 0);
  latencies.sort((a, b) => a - b);
  return {
    depth: sum('waiting') + sum('delayed') + sum('prioritized'),
    waiting: sum('waiting'),
    active: sum('active'),
    completed: sum('completed'),
    failed: sum('failed'),
    models: perModel,
    windowMinutes: FLEET_WINDOW_MINUTES,
    workers: [...perWorker.entries()]
      .map(([worker, entry]) => ({ worker, proofsPerMinute: entry.proofs / FLEET_WINDOW_MINUTES, models: [...entry.models].sort(), live: entry.live }))
      .sort((a, b) => a.worker.localeCompare(b.worker)),
    latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: latencies.at(-1) ?? 0, samples: latencies.length },
    failures,
  };
}
