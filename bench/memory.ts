/**
 * Peak resident memory of processes, from Linux's /proc/<pid>/status: VmHWM is the largest RSS a
 * process has had, so one read just before a process ends tells its peak without sampling. Where
 * /proc is absent (macOS, Windows) the figures are undefined rather than guessed.
 */
import * as fs from 'node:fs/promises';
import { peakRssFromStatus } from '../core/peak-rss.js';

/** VmHWM of a running process in bytes (VmRSS where the kernel does not report VmHWM). */
export async function peakRssOf(pid: number | 'self'): Promise<number | undefined> {
  let status: string;
  try {
    status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return peakRssFromStatus(status);
}

/**
 * Make this process's VmHWM restart from its current RSS (writing 5 to clear_refs, Linux 4.0+), so
 * that each model's peak is its own. False when the kernel does not allow it: peaks then count from
 * the start of the process.
 */
export async function resetPeakRss(): Promise<boolean> {
  try {
    await fs.writeFile('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
