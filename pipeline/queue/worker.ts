/**
 * `zkinfer worker`: a machine's share of the proving fleet. It listens to the queue of each model
 * it holds, proves jobs with the warm prover (pipeline/prover.ts: the same pool and the same
 * reference check as `zkinfer serve`), and keeps the most recently used keys loaded within a
 * memory budget, evicting the least recently used idle one to load another.
 *
 * Faults, and what happens:
 *  - a job whose input is bad fails at once (UnrecoverableError): no retry can mend it;
 *  - a key this worker cannot load (a corrupt or stale file) fails the attempt with that reason,
 *    and the worker stops taking that model's jobs (others may hold a good copy) and stays up;
 *  - a worker that dies (SIGKILL, a lost machine) stops renewing its locks: after lockMs another
 *    worker's stalled-job check puts the job back and it is proven elsewhere; BullMQ's lock token
 *    keeps a worker that lost its lock from completing the job, so one proof is published;
 *  - close() (SIGTERM) stops taking jobs, hands back at once those it holds that have not started
 *    (the jobs fetched ahead), lets the proofs in progress finish for a grace period, then hands
 *    the rest back to the queue (not counted as an attempt);
 *  - a dead worker's jobs fetched ahead are retried like the one it was proving: after lockMs.
 * Every attempt writes to the job's log when it starts and how it ended, so a job in the failed
 * set shows every attempt's reason (a start with no end is a worker that died). A job held ahead
 * logs its start when it goes on to the prover: handed back while it still waited for a slot in
 * the worker, it has only the "handed back" line.
 */
import * as os from 'node:os';
import { stat } from 'node:fs/promises';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { InputError, ZkinferError, messageOf } from '../../core/errors.js';
import { isWithdrawn } from '../../prover/pool/pool.js';
import { estimateWorkerBytes } from '../../prover/pool/shape.js';
import { artifactPath, readQModel } from '../artifacts.js';
import { FILES, readManifest } from '../manifest.js';
import { type Prover, createProver } from '../prover.js';
import { DEFAULT_ATTEMPTS, DEFAULT_LOCK_MS, QUEUE_PREFIX, type ProofJobData, type ProofJobResult, connectRedis, queueName, redisOptions } from './jobs.js';

export interface QueueWorkerOptions {
  /** redis://HOST:PORT[/DB] */
  url: string;
  /** Artifacts folders of the models this worker proves. */
  models: string[];
  /** Proofs at once, over all models (default 1). Each loaded model keeps this many prover processes; each model's queue hands the worker PREFETCH more jobs, held ahead. */
  concurrency?: number;
  /** The estimated memory loaded keys may take, in bytes (default: three quarters of the free memory). */
  memoryBudgetBytes?: number;
  /** How long a lock on a job lasts unrenewed; a dead worker's jobs are retried after about this (default 30 s). */
  lockMs?: number;
  /** The worker's name in the fleet's metrics and in job logs (default host:pid). */
  name?: string;
  /** Precompute the keys' window multiples at load: slower loads, faster proofs (default true). */
  precompute?: boolean;
  /** Threads of each proof (default 1; prover/threads/ when more). */
  threads?: number;
  onEvent?: (event: QueueWorkerEvent) => void;
}

export interface QueueWorkerEvent {
  kind: 'listening' | 'loaded' | 'evicted' | 'unloadable' | 'proving' | 'proved' | 'failed' | 'handed back' | 'error';
  model?: string;
  job?: string;
  message: string;
}

/** A model this worker was given: its folder and its key hash (read from the manifest at start). */
interface HeldModel {
  keyHash: string;
  name: string;
  dir: string;
  /** Estimated memory of its prover processes with the key loaded. */
  bytes: number;
  bull: Worker<ProofJobData, ProofJobResult>;
  prover?: Promise<Prover>;
  /** Proofs in progress on it (a busy model is never evicted). */
  busy: number;
  lastUsed: number;
  /** Why its key cannot be loaded here, once a load failed: the worker stops taking its jobs. */
  unloadable?: string;
}

export interface QueueWorkerStats {
  name: string;
  proved: number;
  failed: number;
  handedBack: number;
  models: { keyHash: string; name: string; loaded: boolean; unloadable?: string }[];
}

export interface QueueWorker {
  readonly name: string;
  stats(): QueueWorkerStats;
  /** Stop taking jobs, hand back those not started, let proofs in progress finish for `graceMs` (default 30 s), hand back the rest, stop the provers. */
  close(graceMs?: number): Promise<void>;
}

/** A job's failure reason: its error code first, which the fleet's metrics group by. */
function reasonOf(error: unknown): string {
  return error instanceof ZkinferError ? `${error.code}: ${error.message}` : `INTERNAL: ${messageOf(error)}`;
}

/**
 * Jobs each model's queue hands this worker beyond its proof slots. One is enough to keep a prover
 * fed: when a proof ends, the next job is already here and starts at once, instead of after
 * BullMQ's completion of the last one and its fetch of the next (a Redis round trip, and on a busy
 * machine a wait for the CPU at each hop), during which the prover sat idle.
 */
export const PREFETCH = 1;

/**
 * A counting semaphore: proofs at once over all of this worker's models. A wait for a slot ends
 * without one (false) when `cancel` is aborted first, and leaves nothing behind that could later
 * take a slot no one would give back.
 */
function slots(count: number) {
  let free = count;
  const waiting = new Set<() => void>();
  return {
    acquire: (cancel: AbortSignal): Promise<boolean> => {
      if (cancel.aborted) return Promise.resolve(false);
      if (free > 0) return (free--, Promise.resolve(true));
      return new Promise<boolean>((resolve) => {
        const take = () => (cancel.removeEventListener('abort', drop), resolve(true));
        const drop = () => (waiting.delete(take), resolve(false));
        waiting.add(take);
        cancel.addEventListener('abort', drop, { once: true });
      });
    },
    release: () => {
      const next = waiting.values().next();
      if (next.done) free++;
      else (waiting.delete(next.value), next.value());
    },
  };
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = options.concurrency ?? 1;
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  for (const [flag, value, min] of [['concurrency', concurrency, 1], ['lockMs', lockMs, 100]] as const) {
    if (!Number.isInteger(value) || value < min) throw new ZkinferError('USAGE', `${flag} must be an integer of at least ${min}, found ${value}`);
  }
  if (options.models.length === 0) throw new ZkinferError('USAGE', 'a worker needs at least one artifacts folder (--models DIR...)');
  const budget = options.memoryBudgetBytes ?? Math.floor(0.75 * os.freemem());
  const name = options.name ?? `${os.hostname()}:${process.pid}`;
  const emit = options.onEvent ?? (() => {});
  const counts = { proved: 0, failed: 0, handedBack: 0 };
  /** Sized once the models are known (below). */
  let proofSlots: ReturnType<typeof slots>;
  /** Aborted when close() begins: jobs held but not yet proving are handed back at once. */
  const closing = new AbortController();
  /** Aborted when close()'s grace is over: jobs still proving are handed back too. */
  const stopping = new AbortController();
  const held = new Map<string, HeldModel>();

  // Reachable before anything listens, so a wrong URL is one clear error, not endless reconnects.
  const probe: Redis = await connectRedis(options.url);
  probe.disconnect();

  /** Free the least recently used idle models until `model`'s bytes fit the budget beside the others. */
  const makeRoom = async (model: HeldModel) => {
    const others = [...held.values()].filter((m) => m !== model && m.prover);
    let used = others.reduce((total, m) => total + m.bytes, 0);
    for (const victim of others.sort((x, y) => x.lastUsed - y.lastUsed)) {
      if (used + model.bytes <= budget) break;
      // Checked here, not when the list was made: a job may have started on it since.
      if (victim.busy > 0 || !victim.prover) continue;
      const prover = victim.prover;
      victim.prover = undefined;
      used -= victim.bytes;
      await prover.then((p) => p.close(), () => {});
      emit({ kind: 'evicted', model: victim.keyHash, message: `unloaded ${victim.name} (least recently used) to stay within the memory budget` });
    }
  };

  const proverFor = async (model: HeldModel): Promise<Prover> => {
    if (model.unloadable) throw new ZkinferError('ARTIFACT_INVALID', model.unloadable);
    // Set at once, so that concurrent jobs of one model share one load.
    model.prover ??= (async () => {
      await makeRoom(model);
      const prover = await createProver(model.dir, { size: concurrency, ...(options.threads !== undefined ? { threads: options.threads } : {}), precompute: options.precompute ?? true });
      emit({ kind: 'loaded', model: model.keyHash, message: `loaded ${model.name} from ${model.dir}` });
      return prover;
    })();
    try {
      return await model.prover;
    } catch (error) {
      model.prover = undefined;
      model.unloadable = `worker ${name} cannot load the key of ${model.name} from ${model.dir}: ${messageOf(error)}`;
      emit({ kind: 'unloadable', model: model.keyHash, message: `${model.unloadable}; no longer taking its jobs` });
      // Not awaited: BullMQ's close waits for this very job, which is failing now.
      void model.bull.close();
      throw new ZkinferError('ARTIFACT_INVALID', model.unloadable, { cause: error });
    }
  };

  /** Resolves when close() gives up waiting for held jobs: they are handed back then. */
  const handBack = new Promise<'hand back'>((resolve) => stopping.signal.addEventListener('abort', () => resolve('hand back')));

  /**
   * A job's log lines and progress are sent, not awaited: each awaited one was a Redis round trip
   * between one proof and the next, and nothing here needs its answer. BullMQ sends them, and the
   * job's completion or failure after them, on the worker's one connection in the order they are
   * called, and Redis runs one connection's commands in the order sent: a job's lines land in
   * order, and before its completion. A write that fails is reported and fails no proof (the
   * completion, on the same connection, fails by itself when Redis is gone).
   */
  const send = (write: Promise<unknown>, job: Job) => {
    write.catch((error: unknown) => emit({ kind: 'error', job: job.id!, message: `job ${job.id}: a log or progress write failed: ${messageOf(error)}` }));
  };

  const runJob = async (model: HeldModel, job: Job<ProofJobData, ProofJobResult>, token?: string): Promise<ProofJobResult> => {
    const attempt = `attempt ${job.attemptsStarted} on ${name}`;
    const where = `job ${job.id}`;
    const giveBack = async (): Promise<never> => {
      await job.log(`${attempt}: handed back (worker stopping)`);
      await job.moveToWait(token);
      counts.handedBack += 1;
      emit({ kind: 'handed back', model: model.keyHash, job: job.id!, message: `${where}: handed back to the queue` });
      throw new WaitingError();
    };
    // A job fetched ahead (PREFETCH) waits for a proof to end, here or in the prover's queue (see
    // proofSlots); when the worker begins to stop, one not started goes back to the queue at once.
    if (!(await proofSlots.acquire(closing.signal))) return giveBack();
    model.busy += 1;
    try {
      send(job.log(`${attempt}: started`), job);
      emit({ kind: 'proving', model: model.keyHash, job: job.id!, message: `${where}: ${attempt}` });
      const work = (async () => {
        if (job.data?.model !== model.keyHash) throw new InputError(`${where} names model ${String(job.data?.model).slice(0, 70)}, not this queue's ${model.keyHash}`);
        const prover = await proverFor(model);
        model.lastUsed = Date.now();
        const input = prover.parseInput(job.data.input, where);
        send(job.updateProgress({ stage: 'proving', worker: name }), job);
        // Withdrawn from the prover's queue, not started, when the worker begins to stop.
        return prover.prove(input, where, closing.signal);
      })();
      const outcome = await Promise.race([work, handBack]);
      if (outcome === 'hand back') {
        work.catch(() => {}); // the prover is closed under it
        return await giveBack();
      }
      // Sent before BullMQ's completion of the job, on the same connection: it lands first.
      send(job.log(`${attempt}: proved`), job);
      counts.proved += 1;
      emit({ kind: 'proved', model: model.keyHash, job: job.id!, message: `${where}: proved in ${(outcome.witnessMs + outcome.proveMs).toFixed(0)} ms` });
      return { bundle: outcome.bundle, worker: name, witnessMs: outcome.witnessMs, proveMs: outcome.proveMs };
    } catch (error) {
      if (error instanceof WaitingError) throw error;
      if (isWithdrawn(error)) return await giveBack();
      const reason = reasonOf(error);
      counts.failed += 1;
      await job.log(`${attempt}: ${reason}`).catch(() => {});
      emit({ kind: 'failed', model: model.keyHash, job: job.id!, message: `${where}: ${reason}` });
      // A bad input fails the same way on every worker: no retry.
      if (error instanceof InputError) throw new UnrecoverableError(reason);
      throw new Error(reason);
    } finally {
      model.busy -= 1;
      proofSlots.release();
    }
  };

  for (const dir of options.models) {
    let keyHash: string;
    let modelName: string;
    let zkeyBytes: number;
    try {
      const manifest = await readManifest(dir);
      const vk = manifest.stages.setup?.outputs[FILES.vk];
      if (!vk) throw new ZkinferError('ARTIFACT_MISSING', `${dir} has no keys yet: run \`zkinfer setup ${dir}\``);
      keyHash = vk;
      modelName = (await readQModel(dir)).name;
      zkeyBytes = (await stat(artifactPath(dir, FILES.zkey))).size;
    } catch (error) {
      emit({ kind: 'unloadable', message: `skipping ${dir}: ${messageOf(error)}` });
      continue;
    }
    if (held.has(keyHash)) {
      emit({ kind: 'unloadable', model: keyHash, message: `skipping ${dir}: it holds the same model as ${held.get(keyHash)!.dir}` });
      continue;
    }
    held.set(keyHash, { keyHash, name: modelName, dir, bytes: concurrency * estimateWorkerBytes(zkeyBytes), busy: 0, lastUsed: 0 } as HeldModel);
  }
  if (held.size === 0) throw new ZkinferError('USAGE', `none of the artifacts folders could be served: ${options.models.join(', ')}`);
  // With one model, its prover's processes bound the proofs at once and no key is ever unloaded,
  // so the job held ahead goes on to the prover and waits in its queue: the prover starts it the
  // moment a proof ends, with nothing of this process's in between. With several, it waits here
  // for a slot, which keeps the proofs at once over all of them to `concurrency` and a key's load
  // to a moment when the key it unloads is idle.
  proofSlots = slots(held.size === 1 ? concurrency + PREFETCH : concurrency);
  for (const model of held.values()) {
    model.bull = new Worker<ProofJobData, ProofJobResult>(queueName(model.keyHash), (job, token) => runJob(model, job, token), {
      connection: redisOptions(options.url),
      prefix: QUEUE_PREFIX,
      name,
      concurrency: concurrency + PREFETCH,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // Stalls are counted apart from failed attempts: a job whose workers keep dying fails too.
      maxStalledCount: DEFAULT_ATTEMPTS - 1,
    });
    model.bull.on('error', (error) => emit({ kind: 'error', model: model.keyHash, message: `queue connection: ${messageOf(error)}` }));
    emit({ kind: 'listening', model: model.keyHash, message: `taking jobs for ${model.name} (key ${model.keyHash.slice(0, 12)}…) from ${model.dir}` });
  }
  await Promise.all([...held.values()].map((m) => m.bull.waitUntilReady()));

  // Up until close(), even when every model's key proved unloadable and nothing else is listening:
  // a worker that quietly exited would look, to whoever runs the fleet, like one that crashed.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  let closed: Promise<void> | undefined;
  return {
    name,
    stats: () => ({
      name,
      ...counts,
      models: [...held.values()].map((m) => ({ keyHash: m.keyHash, name: m.name, loaded: m.prover !== undefined, ...(m.unloadable ? { unloadable: m.unloadable } : {}) })),
    }),
    close: (graceMs = 30_000) =>
      (closed ??= (async () => {
        closing.abort();
        const finished = Promise.all([...held.values()].map((m) => m.bull.close()));
        const timer = new Promise<'grace over'>((resolve) => setTimeout(() => resolve('grace over'), graceMs).unref());
        if ((await Promise.race([finished, timer])) === 'grace over') {
          stopping.abort();
          await finished;
        }
        await Promise.all([...held.values()].map((m) => m.prover?.then((p) => p.close(), () => {})));
        clearInterval(keepAlive);
      })()),
  };
}
