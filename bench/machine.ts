/** The machine a benchmark ran on, so that its figures can be read (and compared) in context. */
import * as os from 'node:os';
import { maxOf, minOf } from '../core/numbers.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  platform: string;
  /**
   * 1-minute load averages when the benchmark started and ended, and over the run (sampled every
   * LOAD_SAMPLE_MS): other work on the machine skews times.
   */
  loadAverage: { start: number; end?: number; min?: number; max?: number; mean?: number };
}

export const LOAD_SAMPLE_MS = 10_000;

export function currentLoad(): number {
  return os.loadavg()[0]!;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() || 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: { start: currentLoad() },
  };
}

/**
 * Sample the load average in the background. `record` takes a sample now and writes the summary so
 * far into `machine` (for a report written part way); `stop` ends the sampling with a last record.
 */
export function watchLoad(machine: Machine): { record(): void; stop(): void } {
  const samples = [machine.loadAverage.start];
  const timer = setInterval(() => samples.push(currentLoad()), LOAD_SAMPLE_MS);
  timer.unref();
  const record = () => {
    samples.push(currentLoad());
    Object.assign(machine.loadAverage, {
      end: samples.at(-1)!,
      min: minOf(samples),
      max: maxOf(samples),
      mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    });
  };
  return {
    record,
    stop: () => {
      clearInterval(timer);
      record();
    },
  };
}
