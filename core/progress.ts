/**
 * Progress reporting from library to caller. The library never writes to the terminal; long steps
 * call `onProgress`, and the CLI decides whether to draw a bar (TTY) or stay quiet.
 */
export interface ProgressEvent {
  /** The step, e.g. 'ptau', 'compile', 'prove'. */
  step: string;
  /** What is happening now, in a few words. */
  message: string;
  /** Units done and in all, when the work is countable. */
  done?: number;
  total?: number;
}

export type OnProgress = (event: ProgressEvent) => void;

export const noProgress: OnProgress = () => {};

/** Time an async step in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}
