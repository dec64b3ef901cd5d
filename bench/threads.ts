/**
 * One proof on 1 and on N threads (prover/threads/), on an artifacts folder (`zkinfer bench
 * --threads N` runs it on LeNet): wall time and CPU per phase (witness, QAP, FFTs, MSMs, the
 * blinding), the speed-up of each, and the time projected for more cores from the parts measured
 * serial. Proofs of the two provers alternate, so that the machine's other load falls on both
 * alike; the load average is recorded beside every figure.
 */
import * as fs from 'node:fs/promises';
import { ZkinferError } from '../core/errors.js';
import { artifactPath, openArtifacts, readCircuit } from '../pipeline/artifacts.js';
import { FILES, witnessGeneratorPath } from '../pipeline/manifest.js';
import { loadWitnessCalculator } from '../circuits/witness.js';
import { circuitInput, prepareInference, readInputFile } from '../pipeline/prove.js';
import { Groth16Prover } from '../prover/groth16.js';
import { nodePlatform } from '../prover/threads/node.js';
import type { PlannedTask, ProofPhase } from '../prover/groth16-steps.js';
import { zooModelPath } from '../pipeline/demo.js';
import { currentLoad } from './machine.js';
import { median } from './stats.js';
import * as path from 'node:path';

/** The model `zkinfer bench --threads` measures: the zoo's largest proof. */
export const THREADS_BENCH_MODEL = 'lenet_28_6_16_120_84_10';

/** The parts of a proof as the bench reports them: the witness (circom's generator) and the prover's phases. */
export type ThreadPhase = 'witness' | ProofPhase;
export const THREAD_PHASES: readonly ThreadPhase[] = ['witness', 'qap', 'fft', 'msm', 'finish'];

export interface PhaseMeasure {
  /** Median wall time, ms. */
  wallMs: number;
  /** Median time the threads spent in the phase's tasks (CPU when the machine is not oversubscribed), ms. */
  busyMs: number;
}

export interface ThreadRun {
  threads: number;
  /**
   * Median wall time this proof would take on idle cores: the witness's CPU time, then the
   * tasks' CPU times laid out on the threads as the scheduler lays them (scheduleMs). Other
   * work on the machine inflates wall times, not CPU times.
   */
  idleWallMs: number;
  /** Median wall time of a proof, witness included, and the process's CPU time over it (all threads), ms. */
  wallMs: number;
  cpuMs: number;
  phases: Record<ThreadPhase, PhaseMeasure>;
  /** The 1-minute load average at each of this run's proofs. */
  loadAverages: number[];
}

export interface ThreadsResult {
  model: string;
  proofs: number;
  single: ThreadRun;
  multi: ThreadRun;
  /** single / multi wall time, per phase and for the whole proof. */
  speedup: Record<ThreadPhase | 'proof', number>;
  /** multi.wallMs / single.wallMs: the target is at most 0.6 on 2 threads. */
  ratio: number;
  /** The same on idle cores: multi.idleWallMs / single.idleWallMs. */
  idleRatio: number;
  /** The proof's wall time projected for 16 idle cores from one thread's CPU time per phase (projectProofMs). */
  projected16Ms: number;
}

/**
 * A proof's wall time on `cores` idle cores, projected by Amdahl's law from one thread's time per
 * phase (its CPU time: a loaded machine inflates wall times): the witness and the blinding run on
 * one thread, the FFT phase on at most three (one per polynomial), the QAP's range steps and the
 * MSMs on every core.
 */
export function projectProofMs(single: Record<ThreadPhase, number>, cores: number): number {
  if (!Number.isInteger(cores) || cores < 1) throw new ZkinferError('USAGE', `cores must be a positive integer, got ${cores}`);
  const serial = single.witness + single.finish;
  return serial + single.fft / Math.min(cores, 3) + (single.qap + single.msm) / cores;
}

/**
 * The wall time of a plan whose task i takes durations[i] on `threads` threads, each free thread
 * taking the earliest task (in plan order) whose predecessors are done: prover/threads/team.ts's
 * policy, without its messages.
 */
export function scheduleMs(plan: readonly Pick<PlannedTask, 'after'>[], durations: readonly number[], threads: number): number {
  const waiting = plan.map((step) => step.after.length);
  const ready = waiting.flatMap((count, i) => (count === 0 ? [i] : []));
  const running: { end: number; id: number }[] = [];
  let now = 0;
  let done = 0;
  while (done < plan.length) {
    ready.sort((a, b) => a - b);
    while (running.length < threads && ready.length > 0) {
      const id = ready.shift()!;
      running.push({ end: now + durations[id]!, id });
    }
    if (running.length === 0) throw new ZkinferError('INTERNAL', 'a plan whose tasks wait on each other');
    running.sort((a, b) => a.end - b.end);
    const { end, id } = running.shift()!;
    now = end;
    done += 1;
    plan.forEach((step, i) => {
      if (step.after.includes(id) && --waiting[i]! === 0) ready.push(i);
    });
  }
  return now;
}

export interface ThreadsOptions {
  threads: number;
  /** Measured proofs per thread count (default 5), after one that warms the JIT. */
  proofs?: number;
  /** The input file to prove (default: the zoo model's input.json). */
  input?: string;
}

export async function measureThreads(dir: string, options: ThreadsOptions): Promise<ThreadsResult> {
  const { threads } = options;
  const proofs = options.proofs ?? 5;
  if (!Number.isInteger(threads) || threads < 2) throw new ZkinferError('USAGE', `the threads benchmark compares 1 thread with more: give at least 2, got ${threads}`);
  if (!Number.isInteger(proofs) || proofs < 1) throw new ZkinferError('USAGE', `the threads benchmark needs at least one proof, got ${proofs}`);
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const document = await readInputFile(options.input ?? path.join(zooModelPath(circuit.model.name), 'input.json'), circuit.model.input.shape);
  const input = circuitInput(circuit, prepareInference(circuit, document, 'input'));
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const zkey = new Uint8Array(await fs.readFile(zkeyPath));
  // The folder's witness generator, whichever backend compiled it.
  const calculator = await loadWitnessCalculator(witnessGeneratorPath(dir, manifest));
  const provers = [await Groth16Prover.load(zkey, zkeyPath, nodePlatform), await Groth16Prover.load(zkey, zkeyPath, nodePlatform, { threads })];
  const samples = provers.map(() => ({ wall: [] as number[], cpu: [] as number[], idle: [] as number[], load: [] as number[], phases: new Map<ThreadPhase, { wall: number[]; busy: number[] }>() }));
  try {
    for (let k = 0; k <= proofs; k++) {
      for (const [p, prover] of provers.entries()) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        const wtns = await calculator.calculateWtns(input);
        const witnessMs = performance.now() - started;
        const witnessCpu = process.cpuUsage(cpu);
        const { timings } = await prover.prove(wtns);
        const used = process.cpuUsage(cpu);
        if (k === 0) continue; // the JIT's warm-up
        const sample = samples[p]!;
        sample.wall.push(performance.now() - started);
        sample.cpu.push((used.user + used.system) / 1000);
        sample.idle.push((witnessCpu.user + witnessCpu.system) / 1000 + scheduleMs(prover.tasks, timings.taskMs, prover.threads));
        sample.load.push(currentLoad());
        const record = (phase: ThreadPhase, wall: number, busy: number) => {
          const entry = sample.phases.get(phase) ?? { wall: [], busy: [] };
          entry.wall.push(wall);
          entry.busy.push(busy);
          sample.phases.set(phase, entry);
        };
        record('witness', witnessMs, (witnessCpu.user + witnessCpu.system) / 1000);
        for (const phase of ['qap', 'fft', 'msm', 'finish'] as const) record(phase, timings.phases[phase].wallMs, timings.phases[phase].busyMs);
      }
    }
  } finally {
    await Promise.all(provers.map((prover) => prover.close()));
  }
  const [single, multi] = samples.map((sample, p): ThreadRun => {
    const phases = Object.fromEntries(
      THREAD_PHASES.map((phase) => [phase, { wallMs: median(sample.phases.get(phase)!.wall), busyMs: median(sample.phases.get(phase)!.busy) }]),
    ) as Record<ThreadPhase, PhaseMeasure>;
    return { threads: p === 0 ? 1 : threads, idleWallMs: median(sample.idle), wallMs: median(sample.wall), cpuMs: median(sample.cpu), phases, loadAverages: sample.load };
  }) as [ThreadRun, ThreadRun];
  const speedup = Object.fromEntries([
    ...THREAD_PHASES.map((phase) => [phase, single.phases[phase].wallMs / multi.phases[phase].wallMs]),
    ['proof', single.wallMs / multi.wallMs],
  ]) as ThreadsResult['speedup'];
  return { model: circuit.model.name, proofs, single, multi, speedup, ratio: multi.wallMs / single.wallMs, idleRatio: multi.idleWallMs / single.idleWallMs, projected16Ms: projectProofMs(Object.fromEntries(THREAD_PHASES.map((phase) => [phase, single.phases[phase].busyMs])) as Record<ThreadPhase, number>, 16) };
}
