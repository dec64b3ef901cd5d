/** A proof's thread under Node's worker_threads (started by node.ts): thread.ts on the parent port. */
import { parentPort } from 'node:worker_threads';
import type { ToThread } from './protocol.js';
import { serveProverThread } from './thread.js';
import { threadCpuMs } from './thread-cpu.js';

const port = parentPort!;
serveProverThread({ post: (message) => port.postMessage(message), onMessage: (handler) => port.on('message', (message: ToThread) => handler(message)) }, threadCpuMs);
