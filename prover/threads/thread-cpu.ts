/**
 * This thread's CPU time, in ms, where Linux tells it (/proc/thread-self/stat, fields 14 and 15, in
 * 1/100 s); undefined elsewhere. Node 20 has no per-thread CPU clock, and the process's includes
 * V8's helper threads: the bench's CPU per phase reads this in the proof's threads and, with one
 * thread, in the calling one, so that both are counted alike.
 */
import { existsSync, readFileSync } from 'node:fs';

const STAT = '/proc/thread-self/stat';

export const threadCpuMs: (() => number) | undefined = existsSync(STAT)
  ? () => {
      const fields = readFileSync(STAT, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    }
  : undefined;
