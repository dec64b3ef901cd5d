/** A proof's thread under Node's worker_threads (started by node.ts): thread.ts on the parent port. */
import { existsSync, readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ToThread } from './protocol.js';
import { serveProverThread } from './thread.js';

/** Linux's count of this thread's user and system time (fields 14 and 15 of its stat, in 1/100 s), for the bench's CPU per phase. */
const STAT = '/proc/thread-self/stat';
const threadCpuMs = existsSync(STAT)
  ? () => {
      const fields = readFileSync(STAT, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    }
  : undefined;

const port = parentPort!;
serveProverThread({ post: (message) => port.postMessage(message), onMessage: (handler) => port.on('message', (message: ToThread) => handler(message)) }, threadCpuMs);
