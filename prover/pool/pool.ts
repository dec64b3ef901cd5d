/**
 * The only owner of prover workers. Jobs queue until a worker is free; workers start on demand
 * (or all at once with `warm`), each keeps the circuit and proving key it last used in memory, a
 * worker that dies fails only its own job and is replaced by the next job that needs one, and
 * `close()` leaves nothing running. When every worker is busy, each is sent its next job ahead
 * (`lookahead`), so that it starts it the moment a proof ends, and a job held ahead goes back to
 * an idle worker, to its caller, or to the queue when its holder dies. Use it with try/finally:
 *
 *   const pool = await ProverPool.create({ size: 2 });
 *   try { await pool.prove(job); } finally { await pool.close(); }
 *
 * Workers are child processes, not worker threads: a process is a firmer wall against a prover
 * that runs out of memory or hangs (it can be killed without taking the caller down), and its
 * peak memory can be measured on its own. A worker given several threads proves each proof on
 * its own worker threads (prover/threads/), which share the key's memory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ZkinferError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import { checkCircuitFiles } from '../circuit-prover.js';
import {
  WORKER_SETTINGS_ENV,
  fromWireError,
  toWireInput,
  type CircuitFiles,
  type CircuitInput,
  type ProofResult,
  type WorkerRequest,
  type WorkerResponse,
  type WorkerSettings,
} from './messages.js';

export interface ProverPoolOptions {
  /** How many workers may prove at once (default 1). */
  size?: number;
  /** Threads of each worker's proofs (default 1): one proof on that many threads (prover/threads/). */
  threadsPerWorker?: number;
  /**
   * Workers precompute the window multiples of the key's points when they load
   * it (prover/groth16.ts): seconds at load for a faster proof ever after; for pools that prove
   * many inputs (default false: a one-shot proof would not earn it back).
   */
  precompute?: boolean;
  /**
   * Jobs sent to a busy worker beyond the one it proves (default 1), when every worker is busy and
   * jobs wait: it starts the next the moment a proof ends, without a round trip through this
   * process, which on a loaded machine may wait for the CPU. A job sent ahead that has not started
   * is taken back for a worker that goes idle, or when its caller withdraws it. 0 sends a worker
   * one job at a time.
   */
  lookahead?: number;
}

export interface ProveJob extends CircuitFiles {
  input: CircuitInput;
}

export interface WorkerStats {
  pid: number;
  jobs: number;
  /** The worker's peak resident memory as it last reported it, in bytes. */
  peakRss: number;
}

interface PendingJob extends ProveJob {
  id: number;
  resolve(result: ProofResult): void;
  reject(error: Error): void;
  /** Stops listening to the caller's signal, once the job has started. */
  unlisten(): void;
  /** Why a worker holding it ahead was asked to give it back: the caller withdrew it (and has been answered), or a worker went idle. */
  withdrawing?: 'by caller' | 'for an idle worker';
}

interface PendingLoad extends CircuitFiles {
  id: number;
  resolve(loadMs: number): void;
  reject(error: Error): void;
}

interface Slot {
  child: ChildProcess;
  exited: Promise<void>;
  /** Jobs sent to the worker, in order: it proves the first and holds the others ahead (lookahead). */
  jobs: PendingJob[];
  load?: PendingLoad;
  stats: WorkerStats;
  /** The end of what the worker wrote to stderr, for crash reports. */
  stderrTail: string;
  spawnError?: Error;
}

const CLOSE_GRACE_MS = 2_000;
const STDERR_TAIL = 2_000;

export class ProverPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: PendingJob[] = [];
  /** Workers that have gone, kept for their statistics. */
  private readonly retired: WorkerStats[] = [];
  private nextId = 1;
  private closing?: Promise<void>;

  private constructor(
    readonly size: number,
    readonly threadsPerWorker: number,
    private readonly precompute: boolean,
    private readonly lookahead: number,
    private readonly workerFile: string,
  ) {}

  static async create(options: ProverPoolOptions = {}): Promise<ProverPool> {
    const { size = 1, threadsPerWorker = 1, precompute = false, lookahead = 1 } = options;
    if (!Number.isInteger(size) || size < 1) throw new ZkinferError('USAGE', `a prover pool needs a size of at least 1, got ${size}`);
    if (!Number.isInteger(lookahead) || lookahead < 0) throw new ZkinferError('USAGE', `a prover pool's lookahead must be an integer of at least 0, got ${lookahead}`);
    if (!Number.isInteger(threadsPerWorker) || threadsPerWorker < 1) {
      throw new ZkinferError('USAGE', `threads per worker must be an integer of at least 1, got ${threadsPerWorker}`);
    }
    const workerFile = distFile('prover', 'pool', 'worker.js');
    if (!existsSync(workerFile)) {
      throw new ZkinferError('INTERNAL', `the compiled prover worker is missing: ${workerFile} (run \`npm run build\`)`, {
        details: { path: workerFile },
      });
    }
    return new ProverPool(size, threadsPerWorker, precompute, lookahead, workerFile);
  }

  /** Process ids of the running workers (none after close). */
  get workerPids(): number[] {
    return [...this.slots].flatMap((slot) => (slot.child.pid === undefined ? [] : [slot.child.pid]));
  }

  /** Jobs not started: waiting here or held ahead by a busy worker (not those their callers withdrew). */
  get queued(): number {
    const ahead = (slot: Slot) => slot.jobs.filter((job, k) => k > 0 && job.withdrawing !== 'by caller').length;
    return this.queue.length + [...this.slots].reduce((total, slot) => total + ahead(slot), 0);
  }

  /** Jobs being proved now. */
  get running(): number {
    return [...this.slots].filter((slot) => slot.jobs.length > 0).length;
  }

  /** Every worker this pool has run, with its jobs and peak memory. */
  get workerStats(): WorkerStats[] {
    return [...this.retired, ...[...this.slots].map((slot) => ({ ...slot.stats }))];
  }

  /**
   * Start every worker and have each load the circuit and key now, so the first proofs do not
   * pay for it. Resolves with each worker's load time in milliseconds.
   */
  async warm(files: CircuitFiles): Promise<number[]> {
    await checkCircuitFiles(files);
    if (this.closing) throw closedError('the prover pool is closed');
    while (this.slots.size < this.size) this.startWorker();
    return Promise.all(
      [...this.slots].map(
        (slot) =>
          new Promise<number>((resolve, reject) => {
            const load: PendingLoad = { ...files, id: this.nextId++, resolve, reject };
            slot.load?.reject(new ZkinferError('INTERNAL', 'superseded by another load'));
            slot.load = load;
            slot.child.send({ kind: 'load', id: load.id, witnessPath: files.witnessPath, zkeyPath: files.zkeyPath } satisfies WorkerRequest);
          }),
      ),
    );
  }

  /**
   * Prove a job once a worker is free. `signal` withdraws it while it has not started, waiting
   * here or held ahead by a worker: it is rejected at once with a PROVE error whose details say
   * `reason: 'withdrawn'` (a worker deep in a proof reads the withdrawal after it; should it have
   * gone on to the job by then, that proof is dropped). A proof already started is not stopped.
   */
  async prove(job: ProveJob, signal?: AbortSignal): Promise<ProofResult> {
    if (this.closing) throw closedError('the prover pool is closed');
    await checkCircuitFiles(job);
    // The pool may have closed while we looked; a job queued now would never run.
    if (this.closing) throw closedError('the prover pool was closed before this proof started');
    if (signal?.aborted) throw withdrawnError();
    return new Promise<ProofResult>((resolve, reject) => {
      const withdraw = () => {
        const at = this.queue.indexOf(pending);
        if (at >= 0) {
          this.queue.splice(at, 1);
          reject(withdrawnError());
          return;
        }
        // Held ahead by a worker, which may be deep in a proof and read the message only after it:
        // the caller has its answer now, and the worker's ('withdrawn', or the proof of a job it
        // had started after all) is dropped when it comes.
        const holder = [...this.slots].find((slot) => slot.jobs.indexOf(pending) > 0);
        if (!holder) return;
        if (!pending.withdrawing) holder.child.send({ kind: 'withdraw', id: pending.id } satisfies WorkerRequest);
        pending.withdrawing = 'by caller';
        reject(withdrawnError());
      };
      const pending: PendingJob = { ...job, id: this.nextId++, resolve, reject, unlisten: () => signal?.removeEventListener('abort', withdraw) };
      signal?.addEventListener('abort', withdraw, { once: true });
      this.queue.push(pending);
      this.dispatch();
    });
  }

  /** Stop all workers; queued and running jobs are rejected. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Queued jobs to idle workers, to new ones, then ahead to busy ones; then no worker idle while another holds a job ahead. */
  private dispatch(): void {
    if (this.closing) return;
    while (this.queue.length > 0) {
      const slot = this.slotForNextJob();
      if (!slot) break;
      const job = this.queue.shift()!;
      slot.jobs.push(job);
      if (slot.jobs.length === 1) job.unlisten();
      const { id, witnessPath, zkeyPath, input } = job;
      slot.child.send({ kind: 'prove', id, witnessPath, zkeyPath, input: toWireInput(input) } satisfies WorkerRequest);
    }
    this.rebalance();
  }

  /** An idle worker, else a new one, else the busy one holding the fewest jobs ahead, if it may hold more. */
  private slotForNextJob(): Slot | undefined {
    const slots = [...this.slots];
    const idle = slots.find((slot) => slot.jobs.length === 0);
    if (idle) return idle;
    if (this.slots.size < this.size) return this.startWorker();
    const least = slots.reduce<Slot | undefined>((best, slot) => (!best || slot.jobs.length < best.jobs.length ? slot : best), undefined);
    return least && least.jobs.length <= this.lookahead ? least : undefined;
  }

  /** With nothing queued, a worker idle while another holds a job ahead (not started): that job is asked back for it. */
  private rebalance(): void {
    if (this.queue.length > 0) return;
    const takeable = (slot: Slot) => slot.jobs.filter((job, k) => k > 0 && !job.withdrawing);
    for (const idle of this.slots) {
      if (idle.jobs.length > 0) continue;
      const holder = [...this.slots].find((slot) => takeable(slot).length > 0);
      if (!holder) return;
      // The last one held: the first would start soonest where it is.
      const job = takeable(holder).at(-1)!;
      job.withdrawing = 'for an idle worker';
      holder.child.send({ kind: 'withdraw', id: job.id } satisfies WorkerRequest);
    }
  }

  private startWorker(): Slot {
    const settings: WorkerSettings = { threads: this.threadsPerWorker, precompute: this.precompute };
    // Output is captured: circom's witness code prints assertion failures, and library code never prints.
    const child = fork(this.workerFile, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      execArgv: [],
      env: { ...process.env, [WORKER_SETTINGS_ENV]: JSON.stringify(settings) },
    });
    const slot: Slot = {
      child,
      jobs: [],
      stderrTail: '',
      stats: { pid: child.pid ?? -1, jobs: 0, peakRss: 0 },
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => {
      slot.stderrTail = (slot.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('message', (response: WorkerResponse) => this.settle(slot, response));
    child.on('error', (error) => {
      slot.spawnError = error;
      // A process that never started emits no 'exit'.
      if (child.pid === undefined) this.onExit(slot, null, null);
    });
    child.once('exit', (code, signal) => this.onExit(slot, code, signal));
    this.slots.add(slot);
    return slot;
  }

  private settle(slot: Slot, response: WorkerResponse): void {
    if (response.kind === 'proved' || response.kind === 'loaded') slot.stats.peakRss = Math.max(slot.stats.peakRss, response.workerPeakRss);
    const load = slot.load;
    if (load && load.id === response.id) {
      slot.load = undefined;
      if (response.kind === 'loaded') load.resolve(response.loadMs);
      else if (response.kind === 'failed') load.reject(fromWireError(response.error));
      return;
    }
    const at = slot.jobs.findIndex((candidate) => candidate.id === response.id);
    if (at < 0) return;
    const [job] = slot.jobs.splice(at, 1) as [PendingJob];
    if (response.kind === 'withdrawn') {
      this.requeue(job);
      this.dispatch();
      return;
    }
    // The worker goes on to the next job it held: its caller's signal no longer reaches it. A
    // withdrawal already sent for it stays marked: the worker read it before starting the job
    // (it answers 'withdrawn', handled above) or after (the proof comes; for a job its caller
    // withdrew, settling it again below changes nothing).
    slot.jobs[0]?.unlisten();
    if (response.kind === 'proved') {
      slot.stats.jobs += 1;
      const { kind: _kind, id: _id, ...result } = response;
      job.resolve(result);
    } else if (response.kind === 'failed') {
      job.reject(fromWireError(response.error));
    }
    this.dispatch();
  }

  /** A job held ahead that never started back to the front of the queue, unless its caller withdrew it (and has its answer). */
  private requeue(job: PendingJob): void {
    if (job.withdrawing !== 'by caller') this.queue.unshift(Object.assign(job, { withdrawing: undefined }));
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.slots.delete(slot)) return;
    this.retired.push({ ...slot.stats });
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const reason = slot.spawnError?.message ?? slot.stderrTail.trim().split('\n').at(-1) ?? '';
    const stopped = (files: CircuitFiles) =>
      new ZkinferError('PROVE', `the prover worker stopped unexpectedly (${how})${reason ? `: ${reason}` : ''}`, {
        details: { exitCode: code, signal, stderr: slot.stderrTail, witnessPath: files.witnessPath, zkeyPath: files.zkeyPath },
        cause: slot.spawnError,
      });
    const [job, ...ahead] = slot.jobs;
    const load = slot.load;
    slot.jobs = [];
    slot.load = undefined;
    if (job && !this.closing) job.reject(stopped(job));
    // Those it held ahead never started: back to the front of the queue, in their order.
    if (!this.closing) for (const waiting of ahead.reverse()) this.requeue(waiting);
    if (load) load.reject(this.closing ? closedError('the prover pool was closed while loading') : stopped(load));
    this.dispatch();
  }

  private async shutdown(): Promise<void> {
    for (const job of this.queue.splice(0)) {
      job.unlisten();
      job.reject(closedError('the prover pool was closed before this proof started'));
    }
    await Promise.all(
      [...this.slots].map(async (slot) => {
        if (slot.jobs.length > 0) {
          const [running, ...ahead] = slot.jobs.splice(0);
          running!.reject(closedError('the prover pool was closed while this proof was running'));
          for (const job of ahead) {
            job.unlisten();
            job.reject(closedError('the prover pool was closed before this proof started'));
          }
          slot.child.kill('SIGKILL');
        } else if (slot.child.connected) {
          slot.child.send({ kind: 'close' } satisfies WorkerRequest);
        }
        const timer = setTimeout(() => slot.child.kill('SIGKILL'), CLOSE_GRACE_MS);
        await slot.exited;
        clearTimeout(timer);
      }),
    );
  }
}

function withdrawnError(): ZkinferError {
  return new ZkinferError('PROVE', 'the proof was withdrawn before it started', { details: { reason: 'withdrawn' } });
}

/** Whether a pool rejected a proof because its caller withdrew it before it started. */
export function isWithdrawn(error: unknown): boolean {
  return error instanceof ZkinferError && error.details.reason === 'withdrawn';
}

function closedError(message: string): ZkinferError {
  return new ZkinferError('PROVE', message, { details: { reason: 'pool closed' } });
}
