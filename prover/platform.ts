/**
 * What the prover needs of the platform it runs on: its WebAssembly modules and a way to start
 * threads. prover/groth16.ts takes one and imports no platform API itself, so that the same
 * prover runs under Node (prover/threads/node.ts's nodePlatform: modules from dist/ or built in the
 * process, worker_threads) and in a browser (web/platform.ts: modules fetched beside the page,
 * Web Workers).
 */
import type { SpawnProverThread } from './threads/protocol.js';

/** The modules of a proof's threads, which share one memory (see prover/wasm-module.ts's proverThreadModules). */
export interface ThreadModules {
  /** The module of thread k (k < count), compiled. */
  modules: WebAssembly.Module[];
  /** Bytes below this hold the threads' static data; allocations start above it. */
  staticEnd: number;
  /** The memory's maximum size in pages, as the modules declare it. */
  maxPages: number;
}

export interface ProverPlatform {
  /** The prover's module, for a memory of its own (one thread). */
  module(): WebAssembly.Module;
  /** The modules of `count` threads sharing one memory. */
  threadModules(count: number): ThreadModules;
  /** Starts thread `index` of a proof. */
  spawnThread: SpawnProverThread;
  /** This thread's CPU time so far in ms, where the platform tells it (timings only). */
  cpuClock?: () => number;
}
