/**
 * One prover process, owned by ProverPool. It is warm: it keeps the last circuit's compiled
 * witness generator and its proving key in memory between jobs, so a job costs a witness and a
 * proof, not a WASM compilation, a key read and a curve build. It proves with the key resident in
 * WebAssembly memory (prover/groth16.ts), a proof on as many threads as its settings say
 * (prover/threads/), and stops those threads before exiting.
 */
import { CircuitProver, type ProverStage, groth16KeyProver, peakRss, proverError } from '../circuit-prover.js';
import {
  WORKER_SETTINGS_ENV,
  toWireError,
  type CircuitFiles,
  type FailedResponse,
  type LoadRequest,
  type LoadedResponse,
  type ProveRequest,
  type ProvedResponse,
  type WorkerRequest,
  type WorkerResponse,
  type WorkerSettings,
} from './messages.js';

const settings: WorkerSettings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{"threads":1,"precompute":false}');

let loaded: CircuitProver | undefined;
// One job at a time: the pool sends one, but a load and a job may overlap.
let queue: Promise<unknown> = Promise.resolve();

process.on('message', (request: WorkerRequest) => {
  if (request.kind === 'close') {
    void queue.then(exit, exit);
    return;
  }
  const work = (): Promise<WorkerResponse> => (request.kind === 'load' ? answerLoad(request) : answerProve(request));
  queue = queue
    .then(work)
    .catch((error: unknown) => failed(request.id, 'prove', error, request))
    .then((response) => process.send!(response));
});
process.on('disconnect', () => void exit());

const keyProver = groth16KeyProver({ threads: settings.threads, ...(settings.precompute ? {} : { precomputeBudget: 0 }) });

async function ensureLoaded(files: CircuitFiles): Promise<{ circuit: CircuitProver; warm: boolean }> {
  if (loaded && loaded.files.witnessPath === files.witnessPath && loaded.files.zkeyPath === files.zkeyPath) return { circuit: loaded, warm: true };
  const old = loaded;
  loaded = undefined; // drop the old circuit before reading the new one
  await old?.close();
  loaded = await CircuitProver.load({ witnessPath: files.witnessPath, zkeyPath: files.zkeyPath }, keyProver);
  return { circuit: loaded, warm: false };
}

/** The failure as the pool rebuilds it: a ZkinferError with its own code, whatever threw it. */
function failed(id: number, stage: ProverStage, error: unknown, files: CircuitFiles): FailedResponse {
  return { kind: 'failed', id, error: toWireError(proverError(stage, error, files)) };
}

async function answerLoad(request: LoadRequest): Promise<LoadedResponse | FailedResponse> {
  const start = performance.now();
  try {
    await ensureLoaded(request);
  } catch (error) {
    return failed(request.id, 'load', error, request);
  }
  return { kind: 'loaded', id: request.id, loadMs: performance.now() - start, workerPid: process.pid, workerPeakRss: peakRss() };
}

async function answerProve(request: ProveRequest): Promise<ProvedResponse | FailedResponse> {
  let circuit: CircuitProver;
  let warm: boolean;
  try {
    ({ circuit, warm } = await ensureLoaded(request));
  } catch (error) {
    return failed(request.id, 'load', error, request);
  }
  try {
    return { kind: 'proved', id: request.id, ...(await circuit.witnessAndProve(request.input)), warm };
  } catch (error) {
    // A proof's threads that failed are stopped and their memory may be half-written: the next job loads afresh.
    if (settings.threads > 1 && loaded === circuit) {
      loaded = undefined;
      await circuit.close();
    }
    return failed(request.id, 'prove', error, request);
  }
}

async function exit(): Promise<never> {
  await loaded?.close();
  process.exit(0);
}
