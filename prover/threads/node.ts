/** The prover's platform under Node: its modules from dist/ (or built here) and threads on worker_threads. */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ZkinferError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import type { ProverPlatform } from '../platform.js';
import { proverModule, proverThreadModules } from '../wasm-module.js';
import type { ProverThread, SpawnProverThread } from './protocol.js';
import { threadCpuMs } from './thread-cpu.js';

export const spawnNodeThread: SpawnProverThread = (): ProverThread => {
  const file = distFile('prover', 'threads', 'node-entry.js');
  if (!existsSync(file)) {
    throw new ZkinferError('INTERNAL', `the compiled prover thread is missing: ${file} (run \`npm run build\`)`, { details: { path: file } });
  }
  // execArgv: [] so that the parent's flags (e.g. --input-type of `node -e`) do not break the thread.
  const worker = new Worker(file, { execArgv: [] });
  return {
    post: (message) => worker.postMessage(message),
    listen(onMessage, onFailure) {
      worker.on('message', onMessage);
      worker.on('error', onFailure);
      worker.on('exit', (code) => onFailure(new Error(`it stopped (exit code ${code})`)));
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
};

export const nodePlatform: ProverPlatform = {
  module: proverModule,
  threadModules: proverThreadModules,
  spawnThread: spawnNodeThread,
  ...(threadCpuMs ? { cpuClock: threadCpuMs } : {}),
};
