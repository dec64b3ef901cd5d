/**
 * A snarkjs logger that prints nothing: it turns snarkjs's messages into progress events and keeps
 * its error messages, because some snarkjs functions report failure only through `logger.error`
 * and a `-1` result.
 */
import type { Logger } from 'snarkjs';
import type { OnProgress } from '../core/progress.js';

export interface CollectingLogger extends Logger {
  readonly errors: string[];
}

export function progressLogger(step: string, onProgress: OnProgress | undefined): CollectingLogger {
  const report = (message: string) => onProgress?.({ step, message: String(message).replace(/\s+/g, ' ').trim() });
  const errors: string[] = [];
  return {
    errors,
    debug: report,
    info: report,
    warn: report,
    error: (message) => {
      errors.push(String(message));
      report(message);
    },
  };
}
