/**
 * The threads of one prover, and the scheduler that runs a proof's plan (prover/groth16-steps.ts)
 * on them: a task goes to the first idle thread as soon as the tasks it needs are done, in plan
 * order. The calling thread only schedules; every WebAssembly call of a proof is in the threads.
 * Messages, not Atomics, carry the tasks: a proof has a few dozen tasks of milliseconds each, so a
 * message's tens of microseconds do not count, and the calling thread never blocks.
 *
 * A thread that fails (its task throws, it dies) fails the proof with a ZkinferError('PROVE')
 * naming the thread and the task, and every thread is stopped: the memory they share may be
 * half-written, so the team refuses further proofs.
 */
import { ZkinferError } from '../../core/errors.js';
import type { PlannedTask, ProofLayout, ProofPhase, ProofTask } from '../groth16-steps.js';
import type { MsmWorkspace } from '../msm.js';
import type { FromThread, ProverThread, SpawnProverThread } from './protocol.js';

/** Per phase: the wall time during which any of its tasks ran, and the threads' time in its tasks (CPU time where the threads can tell it). */
export type PhaseTimes = Record<ProofPhase, { wallMs: number; busyMs: number }>;

/** A run's times: per phase, and per task of the plan (the thread's CPU time where it tells it, else wall). */
export interface RunTimes {
  phases: PhaseTimes;
  taskMs: number[];
}

interface Run {
  plan: PlannedTask[];
  waiting: number[];
  ready: number[];
  done: number;
  assigned: (number | undefined)[];
  started: number[];
  times: RunTimes;
  resolve(times: RunTimes): void;
  reject(error: Error): void;
}

export function emptyPhaseTimes(): PhaseTimes {
  return { qap: { wallMs: 0, busyMs: 0 }, fft: { wallMs: 0, busyMs: 0 }, msm: { wallMs: 0, busyMs: 0 }, finish: { wallMs: 0, busyMs: 0 } };
}

export class ProverThreads {
  private failure?: ZkinferError;
  private run?: Run;
  private closed = false;
  /** Per phase: when each of the current proof's tasks started and ended (calling thread's clock). */
  private spans = new Map<ProofPhase, [number, number][]>();

  private constructor(private readonly threads: ProverThread[]) {}

  get size(): number {
    return this.threads.length;
  }

  /**
   * Start one thread per module, each instantiating its module on `memory`; resolves when all
   * are ready. On failure every thread started is stopped.
   */
  static async start(modules: WebAssembly.Module[], memory: WebAssembly.Memory, spawn: SpawnProverThread): Promise<ProverThreads> {
    const threads: ProverThread[] = [];
    let team: ProverThreads | undefined;
    try {
      for (let k = 0; k < modules.length; k++) threads.push(spawn(k));
      team = new ProverThreads(threads);
      const created = team;
      await new Promise<void>((resolve, reject) => {
        let ready = 0;
        threads.forEach((thread, k) => {
          thread.listen(
            (message) => {
              if (message.kind === 'ready' && ++ready === threads.length) resolve();
              else if (message.kind !== 'ready') created.receive(k, message);
            },
            (error) => created.fail(k, undefined, error.message),
          );
        });
        created.onStartFailure = reject;
        threads.forEach((thread, k) => thread.post({ kind: 'init', module: modules[k]!, memory }));
      });
      team.onStartFailure = undefined;
      return team;
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.terminate()));
      throw error;
    }
  }

  private onStartFailure?: (error: Error) => void;

  /** Send the key's layout and each thread's MSM working space. */
  load(layout: ProofLayout, workspaces: { G1: MsmWorkspace; G2: MsmWorkspace }[]): void {
    this.threads.forEach((thread, k) => thread.post({ kind: 'load', layout, workspaces: workspaces[k]! }));
  }

  /** Run a proof's plan; resolves with the time per phase and per task. One run at a time. */
  execute(plan: PlannedTask[]): Promise<RunTimes> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new ZkinferError('INTERNAL', 'the prover threads are closed'));
    if (this.run) return Promise.reject(new ZkinferError('INTERNAL', 'a proof is already running on these threads'));
    this.spans.clear();
    return new Promise<RunTimes>((resolve, reject) => {
      const waiting = plan.map((step) => step.after.length);
      this.run = {
        plan,
        waiting,
        ready: waiting.flatMap((count, i) => (count === 0 ? [i] : [])),
        done: 0,
        assigned: this.threads.map(() => undefined),
        started: [],
        times: { phases: emptyPhaseTimes(), taskMs: [] },
        resolve,
        reject,
      };
      this.dispatch();
    });
  }

  /** Stop every thread. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.run?.reject(new ZkinferError('INTERNAL', 'the prover threads were closed during a proof'));
    this.run = undefined;
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private dispatch(): void {
    const run = this.run!;
    for (let k = 0; k < this.threads.length && run.ready.length > 0; k++) {
      if (run.assigned[k] !== undefined) continue;
      // The earliest ready task in plan order.
      run.ready.sort((a, b) => a - b);
      const id = run.ready.shift()!;
      run.assigned[k] = id;
      run.started[id] = performance.now();
      this.threads[k]!.post({ kind: 'task', id, task: run.plan[id]!.task });
    }
  }

  private receive(k: number, message: FromThread): void {
    if (message.kind === 'failed') {
      this.fail(k, message.id, message.message);
      return;
    }
    const run = this.run;
    if (message.kind !== 'done' || !run || run.assigned[k] !== message.id) {
      this.fail(k, undefined, `an unexpected message (${message.kind})`);
      return;
    }
    run.assigned[k] = undefined;
    const step = run.plan[message.id]!;
    const end = performance.now();
    this.spans.set(step.phase, [...(this.spans.get(step.phase) ?? []), [run.started[message.id]!, end]]);
    const taskMs = message.cpuMs ?? message.ms;
    run.times.phases[step.phase].busyMs += taskMs;
    run.times.taskMs[message.id] = taskMs;
    run.done += 1;
    run.plan.forEach((other, i) => {
      if (other.after.includes(message.id) && --run.waiting[i]! === 0) run.ready.push(i);
    });
    if (run.done === run.plan.length) {
      for (const [phase, intervals] of this.spans) run.times.phases[phase].wallMs = coveredMs(intervals);
      this.run = undefined;
      run.resolve(run.times);
      return;
    }
    this.dispatch();
  }

  /** Thread k failed (during task `id`, if known): fail the proof and stop every thread. */
  private fail(k: number, id: number | undefined, text: string): void {
    if (this.closed || this.failure) return;
    const task = id !== undefined ? this.run?.plan[id]?.task : undefined;
    this.failure = new ZkinferError('PROVE', `prover thread ${k} failed${task ? ` in ${describeTask(task)}` : ''}: ${text}`, {
      details: { thread: k, ...(task ? { task: describeTask(task) } : {}) },
    });
    this.onStartFailure?.(this.failure);
    this.run?.reject(this.failure);
    this.run = undefined;
    void this.close();
  }
}

/** The length of the union of time intervals. */
export function coveredMs(intervals: readonly [number, number][]): number {
  let total = 0;
  let reached = Number.NEGATIVE_INFINITY;
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (end <= reached) continue;
    total += end - Math.max(start, reached);
    reached = end;
  }
  return total;
}

function describeTask(task: ProofTask): string {
  switch (task.kind) {
    case 'witness':
      return `the witness's values ${task.from}..${task.from + task.count - 1}`;
    case 'abc':
    case 'quotient':
      return `${task.kind} of constraints ${task.from}..${task.from + task.count - 1}`;
    case 'transform':
      return `the FFTs of ${'ABC'[task.column]}`;
    case 'msm':
      return `the ${task.section.toUpperCase()} MSM's points ${task.from}..${task.from + task.count - 1}${task.part ? `, window share ${task.part.index + 1} of ${task.part.of}` : ''}`;
    case 'finish':
      return 'the blinding';
  }
}
