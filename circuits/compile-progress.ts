/**
 * Progress while circom runs: which phase it is in (read from the lines it prints as each one
 * ends) and how far it has come, as its CPU time against an estimate of the whole. The estimate
 * starts from the predicted CPU time of each phase (circuits/compile-estimate.ts); once phases
 * have finished, the rest is scaled by how far off the prediction was for them.
 */
import type { OnProgress } from '../core/progress.js';

/** circom's phases in the order it runs them, each ended by a line it prints. */
export const CIRCOM_PHASES = [
  { name: 'building constraints', endsWith: /^template instances:/ },
  { name: 'simplifying constraints', endsWith: /^Written successfully: .*\.sym$/ },
  { name: 'writing the witness program', endsWith: /^Written successfully: .*\.wasm$/ },
] as const;

/** Predicted CPU time of each of CIRCOM_PHASES, in ms. */
export type PhaseCpuMs = readonly [number, number, number];

export class CircomProgress {
  private phase = 0;
  private cpuMs = 0;
  private estimateMs: number;

  constructor(
    private readonly onProgress: OnProgress,
    private readonly predicted?: PhaseCpuMs,
  ) {
    this.estimateMs = predicted ? predicted.reduce((a, b) => a + b, 0) : 0;
    this.report();
  }

  /** One line of circom's output (colours removed). */
  line(text: string): void {
    const phase = CIRCOM_PHASES[this.phase];
    if (!phase || !phase.endsWith.test(text.trim())) return;
    this.phase++;
    if (this.predicted && this.cpuMs > 0) {
      const predictedSoFar = this.predicted.slice(0, this.phase).reduce((a, b) => a + b, 0);
      const rest = this.predicted.slice(this.phase).reduce((a, b) => a + b, 0);
      this.estimateMs = this.cpuMs + (rest * this.cpuMs) / predictedSoFar;
    }
    this.report();
  }

  /** circom's CPU time so far. */
  cpu(ms: number): void {
    this.cpuMs = ms;
    this.report();
  }

  private report(): void {
    const phase = `circom: ${CIRCOM_PHASES[this.phase]?.name ?? 'finishing'}`;
    const done = Math.floor(this.cpuMs / 1000);
    if (this.estimateMs <= 0) {
      this.onProgress({ step: 'compile', message: `${phase}, ${done} s of CPU` });
      return;
    }
    // Never a full bar before circom is done: an estimate that ran out only stretches.
    const total = Math.max(done + 1, Math.round(this.estimateMs / 1000));
    this.onProgress({ step: 'compile', message: `${phase}, CPU s (est.)`, done, total });
  }
}
