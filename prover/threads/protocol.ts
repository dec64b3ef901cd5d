/**
 * What a proof's scheduler (team.ts, on the calling thread) and its threads (thread.ts) say to each
 * other, and the seam between them and the platform's threads: ProverThread is all the scheduler
 * needs of a thread, node.ts implements it with worker_threads, and a browser's Web Workers can
 * implement it the same way (postMessage of a WebAssembly.Module and a shared Memory works in both).
 */
import type { ProofLayout, ProofTask } from '../groth16-steps.js';
import type { MsmWorkspace } from '../msm.js';

export type ToThread =
  /** Instantiate `module` (this thread's, see prover/wasm-module.ts's proverThreadModules) on the shared `memory`. */
  | { kind: 'init'; module: WebAssembly.Module; memory: WebAssembly.Memory }
  /** The key is in memory: where everything is, and this thread's own MSM working space. */
  | { kind: 'load'; layout: ProofLayout; workspaces: { G1: MsmWorkspace; G2: MsmWorkspace } }
  | { kind: 'task'; id: number; task: ProofTask };

export type FromThread =
  | { kind: 'ready' }
  /** Task `id` is done; it took `ms` of wall time, and `cpuMs` of this thread's CPU where the platform tells. */
  | { kind: 'done'; id: number; ms: number; cpuMs?: number }
  | { kind: 'failed'; id?: number; message: string };

/** One thread of a proof, as the scheduler sees it. */
export interface ProverThread {
  post(message: ToThread): void;
  /**
   * `onMessage` gets every message the thread sends; `onFailure` is called if the thread dies
   * (an uncaught error, an exit, a failure to start), after which it sends nothing more.
   */
  listen(onMessage: (message: FromThread) => void, onFailure: (error: Error) => void): void;
  /** Stop the thread; resolves when it has stopped. */
  terminate(): Promise<void>;
}

/** Starts thread `index` of a proof. */
export type SpawnProverThread = (index: number) => ProverThread;

/** The thread's side of the seam: how it receives and sends messages. */
export interface ThreadEndpoint {
  post(message: FromThread): void;
  onMessage(handler: (message: ToThread) => void): void;
}
