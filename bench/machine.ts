/** The machine a benchmark ran on, so that its figures can be read (and compared) in context. */
import * as os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  platform: string;
  /** 1-minute load averages when the benchmark started and ended: other work on the machine skews times. */
  loadAverage: { start: number; end?: number };
}

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
