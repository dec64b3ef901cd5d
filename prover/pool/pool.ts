/**
 * The only owner of prover workers. Jobs queue until a worker is free; workers start on demand,
 * a worker that dies fails only its own job and is replaced by the next job that needs one, and
 * `close()` leaves nothing running. Use it with try/finally:
 *
 *   const pool = await ProverPool.create({ size: 2 });
 *   try { await pool.prove(job); } finally { await pool.close(); }
 *
 * Workers are child processes, not worker threads: snarkjs's curve code spawns its own threads
 * through the `web-worker` package (1.2.0, pinned by ffjavascript), which crashes on import in
 * any thread other than the main one. A process is also a firmer wall against a prover that
 * runs out of memory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ArtifactError, ZkinferError } from '../../core/errors.js';
import { exists } from '../../core/files.js';
import { distFile } from '../../core/paths.js';
import { toWireInput, type CircuitInput, type ProofResult, type WorkerRequest, type WorkerResponse } from './messages.js';

export interface ProverPoolOptions {
  /** How many proofs may run at once (each one already uses every core in its multi-exponentiations). */
  size?: number;
}

export interface ProveJob {
  wasmPath: string;
  zkeyPath: string;
  input: CircuitInput;
}

interface PendingJob extends ProveJob {
  id: number;
  resolve(result: ProofResult): void;
  reject(error: Error): void;
}

interface Slot {
  child: ChildProcess;
  exited: Promise<void>;
  job?: PendingJob;
  /** The end of what the worker wrote to stderr, for crash reports. */
  stderrTail: string;
  spawnError?: Error;
}

const CLOSE_GRACE_MS = 2_000;
const STDERR_TAIL = 2_000;

export class ProverPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: PendingJob[] = [];
  private nextId = 1;
  private closing?: Promise<void>;

  private constructor(
    private readonly size: number,
    private readonly workerFile: string,
  ) {}

  static async create(options: ProverPoolOptions = {}): Promise<ProverPool> {
    const { size = 1 } = options;
    if (!Number.isInteger(size) || size < 1) throw new ZkinferError('USAGE', `a prover pool needs a size of at least 1, got ${size}`);
    const workerFile = distFile('prover', 'pool', 'worker.js');
    if (!existsSync(workerFile)) {
      throw new ZkinferError('INTERNAL', `the compiled prover worker is missing: ${workerFile} (run \`npm run build\`)`, {
        details: { path: workerFile },
      });
    }
    return new ProverPool(size, workerFile);
  }

  /** Process ids of the running workers (none after close). */
  get workerPids(): number[] {
    return [...this.slots].flatMap((slot) => (slot.child.pid === undefined ? [] : [slot.child.pid]));
  }

  async prove(job: ProveJob): Promise<ProofResult> {
    if (this.closing) throw closedError('the prover pool is closed');
    for (const [file, what] of [
      [job.wasmPath, 'witness generator (.wasm)'],
      [job.zkeyPath, 'proving key (.zkey)'],
    ] as const) {
      if (!(await exists(file))) throw new ArtifactError('ARTIFACT_MISSING', `${what} not found: ${file}`, file);
    }
    // The pool may have closed while we looked; a job queued now would never run.
    if (this.closing) throw closedError('the prover pool was closed before this proof started');
    return new Promise<ProofResult>((resolve, reject) => {
      this.queue.push({ ...job, id: this.nextId++, resolve, reject });
      this.dispatch();
    });
  }

  /** Stop all workers; queued and running jobs are rejected. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closing) {
      const slot = [...this.slots].find((candidate) => !candidate.job) ?? (this.slots.size < this.size ? this.startWorker() : undefined);
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      const { id, wasmPath, zkeyPath, input } = job;
      slot.child.send({ kind: 'prove', id, wasmPath, zkeyPath, input: toWireInput(input) } satisfies WorkerRequest);
    }
  }

  private startWorker(): Slot {
    // Output is captured: circom's witness code prints assertion failures, and library code never prints.
    const child = fork(this.workerFile, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [] });
    const slot: Slot = { child, stderrTail: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
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
    const job = slot.job;
    if (!job || job.id !== response.id) return;
    slot.job = undefined;
    if (response.kind === 'proved') {
      const { proof, publicSignals, witnessMs, proveMs } = response;
      job.resolve({ proof, publicSignals, witnessMs, proveMs });
    } else {
      job.reject(failureError(response.stage, response.message, job));
    }
    this.dispatch();
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    this.slots.delete(slot);
    const job = slot.job;
    slot.job = undefined;
    if (job && !this.closing) {
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      const reason = slot.spawnError?.message ?? slot.stderrTail.trim().split('\n').at(-1) ?? '';
      job.reject(
        new ZkinferError('PROVE', `the prover worker stopped unexpectedly (${how})${reason ? `: ${reason}` : ''}`, {
          details: { exitCode: code, signal, stderr: slot.stderrTail, wasmPath: job.wasmPath, zkeyPath: job.zkeyPath },
          cause: slot.spawnError,
        }),
      );
    }
    this.dispatch();
  }

  private async shutdown(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(closedError('the prover pool was closed before this proof started'));
    await Promise.all(
      [...this.slots].map(async (slot) => {
        if (slot.job) {
          slot.job.reject(closedError('the prover pool was closed while this proof was running'));
          slot.job = undefined;
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

function closedError(message: string): ZkinferError {
  return new ZkinferError('PROVE', message, { details: { reason: 'pool closed' } });
}

function failureError(stage: 'witness' | 'prove', message: string, job: PendingJob): ZkinferError {
  const details = { stage, wasmPath: job.wasmPath, zkeyPath: job.zkeyPath };
  const text = message.trim().replace(/^Error:\s*/, '');
  if (stage === 'witness') {
    const summary = /assert failed/i.test(text)
      ? `the input does not satisfy the circuit: ${text.replace(/\s*\n\s*/g, '; ')}`
      : `witness generation failed: ${text.split('\n')[0]}`;
    return new ZkinferError('PROVE', summary, { details: { ...details, circomMessage: text } });
  }
  return new ZkinferError('PROVE', `the prover failed: ${text}`, { details: { ...details, snarkjsMessage: text } });
}
