/** ProverThread on Node's worker_threads: the only Node-specific part of the threaded prover. */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ZkinferError } from '../../core/errors.js';
import { distFile } from '../../core/paths.js';
import type { ProverThread, SpawnProverThread } from './protocol.js';

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
