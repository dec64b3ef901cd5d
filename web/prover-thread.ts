/** A proof's thread in a Web Worker (started by platform.ts): prover/threads/thread.ts on the worker's port. */
import type { FromThread, ToThread } from '../prover/threads/protocol.js';
import { serveProverThread } from '../prover/threads/thread.js';

const scope = self as unknown as { postMessage(message: FromThread): void; onmessage: ((event: MessageEvent<ToThread>) => void) | null };
serveProverThread({ post: (message) => scope.postMessage(message), onMessage: (handler) => (scope.onmessage = (event) => handler(event.data)) });
