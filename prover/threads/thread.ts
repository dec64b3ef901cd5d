/**
 * The body of one of a proof's threads: an instance of its module on the shared memory, and the
 * tasks the scheduler sends, run one at a time (prover/groth16-steps.ts). No Node API here: the
 * platform's side is the ThreadEndpoint (node-entry.ts for worker_threads).
 */
import { runTask, type ProofLayout, type ThreadMsms } from '../groth16-steps.js';
import { Msm } from '../msm.js';
import { WasmArena } from '../wasm-arena.js';
import type { ThreadEndpoint, ToThread } from './protocol.js';

/** `cpuClock`, where the platform has one: this thread's CPU time so far, in ms. */
export function serveProverThread(endpoint: ThreadEndpoint, cpuClock?: () => number): void {
  let arena: WasmArena | undefined;
  let loaded: { layout: ProofLayout; msms: ThreadMsms } | undefined;
  const handle = (message: ToThread): void => {
    switch (message.kind) {
      case 'init':
        arena = WasmArena.create(message.module, message.memory);
        endpoint.post({ kind: 'ready' });
        return;
      case 'load': {
        if (!arena) throw new Error('a key was sent before the module');
        const { G1, G2 } = message.workspaces;
        loaded = { layout: message.layout, msms: { G1: new Msm(arena, G1), G2: new Msm(arena, G2) } };
        return;
      }
      case 'task': {
        if (!arena || !loaded) throw new Error('a task was sent before the key');
        const started = performance.now();
        const cpu = cpuClock?.();
        runTask(arena, loaded.layout, loaded.msms, message.task);
        endpoint.post({ kind: 'done', id: message.id, ms: performance.now() - started, ...(cpu !== undefined ? { cpuMs: cpuClock!() - cpu } : {}) });
        return;
      }
    }
  };
  endpoint.onMessage((message) => {
    try {
      handle(message);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      endpoint.post({ kind: 'failed', ...(message.kind === 'task' ? { id: message.id } : {}), message: text });
    }
  });
}
