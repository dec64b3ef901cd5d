/**
 * Worker threads for the development setup's fixed-base multiplications, one per core. Threads,
 * not processes (as the prover pool uses): the work is pure WebAssembly in workers that never load
 * ffjavascript, and threads can take the results back without copying. Jobs queue; a worker that
 * fails rejects every job, since a setup with a hole in it is worthless. Always close() them.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ZkinferError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import type { MultiplyOutputs } from './fixed-base.js';
import type { FixedBaseWorkerData, MultiplyRequest, MultiplyResponse, PrepareRequest } from './fixed-base-messages.js';
import { FR_BYTES, type GroupName } from '../bn128-layout.js';

interface Job {
  request: MultiplyRequest;
  resolve(outputs: MultiplyOutputs): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

export class FixedBaseThreads {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private failure?: Error;
  private closed = false;

  private constructor(data: FixedBaseWorkerData, readonly size: number) {
    const file = distFile('prover', 'setup', 'fixed-base-worker.js');
    if (!existsSync(file)) {
      throw new ZkinferError('INTERNAL', `the compiled setup worker is missing: ${file} (run \`npm run build\`)`, { details: { path: file } });
    }
    for (let i = 0; i < size; i++) {
      // execArgv: [] so that the parent's flags (e.g. --input-type of `node -e`) do not break the worker.
      const slot: Slot = { worker: new Worker(file, { workerData: data, execArgv: [] }) };
      slot.worker.on('message', (response: MultiplyResponse) => this.settle(slot, response));
      slot.worker.on('error', (error) => this.fail(new ZkinferError('SETUP', `a setup worker thread failed: ${error.message}`, { cause: error })));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new ZkinferError('SETUP', `a setup worker thread stopped unexpectedly (exit code ${code})`));
      });
      this.slots.push(slot);
    }
  }

  static start(data: FixedBaseWorkerData, size = os.availableParallelism()): FixedBaseThreads {
    return new FixedBaseThreads(data, Math.max(1, size));
  }

  /** Have every worker build its table for (group, window) now, ahead of the jobs that will use it. */
  prepare(group: GroupName, window: number): void {
    for (const slot of this.slots) slot.worker.postMessage({ kind: 'prepare', group, window } satisfies PrepareRequest);
  }

  /** k·G for each scalar of `scalars` (32-byte little-endian, normal form); the buffer is handed over and wiped. */
  multiply(group: GroupName, window: number, scalars: Uint8Array, wanted: { lem: boolean; uncompressed: boolean }): Promise<MultiplyOutputs> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new ZkinferError('INTERNAL', 'the setup worker threads are closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { kind: 'multiply', id: this.nextId++, group, window, scalars, ...wanted }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new ZkinferError('INTERNAL', 'the setup worker threads were closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      const { scalars } = job.request;
      if (scalars.byteOffset !== 0 || scalars.byteLength !== scalars.buffer.byteLength) {
        job.reject(new ZkinferError('INTERNAL', 'setup scalars must own their buffer, to be handed to a worker'));
        continue;
      }
      slot.job = job;
      // Transferred, not copied: no other copy of these secret-derived scalars stays here.
      slot.worker.postMessage(job.request, [scalars.buffer as ArrayBuffer]);
    }
  }

  private settle(slot: Slot, response: MultiplyResponse): void {
    const job = slot.job;
    if (!job || job.request.id !== response.id) return;
    slot.job = undefined;
    if (response.ok) {
      const outputs: MultiplyOutputs = {};
      if (response.lem) outputs.lem = response.lem;
      if (response.uncompressed) outputs.uncompressed = response.uncompressed;
      job.resolve(outputs);
    } else {
      this.fail(new ZkinferError('SETUP', `fixed-base multiplication failed: ${response.message}`));
      job.reject(this.failure!);
    }
    this.dispatch();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.queue.splice(0)) {
      job.request.scalars.fill(0);
      job.reject(this.failure);
    }
    for (const slot of this.slots) {
      slot.job?.reject(this.failure);
      slot.job = undefined;
    }
  }
}

/** Split a long list of scalars into jobs of about `chunk` scalars; the buffer is consumed (wiped). */
export function chunkScalars(scalars: Uint8Array, chunk: number): Uint8Array[] {
  const count = scalars.length / FR_BYTES;
  const parts: Uint8Array[] = [];
  for (let start = 0; start < count; start += chunk) {
    // A copy with its own ArrayBuffer, so each part can be transferred on its own (a Buffer's
    // slice() would be a view of the whole).
    parts.push(new Uint8Array(scalars.subarray(start * FR_BYTES, Math.min(count, start + chunk) * FR_BYTES)));
  }
  scalars.fill(0);
  return parts;
}
