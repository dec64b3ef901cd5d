/**
 * The prover's platform in a browser (prover/platform.ts): the modules export-web shipped beside
 * the page, and threads on Web Workers (prover-thread.ts). A shared WebAssembly.Memory can be
 * posted to a worker only when the page is cross-origin isolated (COOP/COEP headers); without it
 * the prover runs on one thread.
 */
import type { ProverPlatform } from '../prover/platform.js';
import type { FromThread, ProverThread } from '../prover/threads/protocol.js';
import { SHARED_MAX_PAGES, staticStride } from '../prover/wasm-threads.js';

/** `single`: the module for one thread; `shared[k]`: thread k's; `threadUrl`: the thread worker's script. */
export function browserPlatform(single: WebAssembly.Module, shared: WebAssembly.Module[], threadUrl: string): ProverPlatform {
  return {
    module: () => single,
    threadModules(count) {
      if (count > shared.length) throw new Error(`${count} threads asked for, and the page ships modules for ${shared.length}`);
      return { modules: shared.slice(0, count), staticEnd: count * staticStride(single), maxPages: SHARED_MAX_PAGES };
    },
    spawnThread(index): ProverThread {
      const worker = new Worker(threadUrl, { type: 'module', name: `zkinfer prover thread ${index}` });
      return {
        post: (message) => worker.postMessage(message),
        listen(onMessage, onFailure) {
          worker.onmessage = (event: MessageEvent<FromThread>) => onMessage(event.data);
          worker.onerror = (event) => onFailure(new Error(event.message || 'the thread failed to start'));
          worker.onmessageerror = () => onFailure(new Error('a message could not be read'));
        },
        terminate: async () => worker.terminate(),
      };
    },
  };
}
