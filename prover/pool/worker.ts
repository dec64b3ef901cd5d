/**
 * One prover process, owned by ProverPool. It is warm: it keeps the last circuit's compiled
 * witness generator and its proving key in memory between jobs, so a job costs a witness and a
 * proof, not a WASM compilation, a key read and a curve build. It proves with the key resident in
 * WebAssembly memory (prover/groth16.ts), a proof on as many threads as its settings say
 * (prover/threads/), and stops those threads before exiting. It proves its jobs one after another
 * in the order sent; the pool may send one ahead while another proves, and take it back
 * ('withdraw') until it starts.
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
  type WithdrawnResponse,
} from './messages.js';

const settings: WorkerSettings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{"threads":1,"precompute":false}');

let loaded: CircuitProver | undefined;
/**
 * Requests in the order the pool sent them, one at a time: the pool sends a job ahead while
 * another proves (so that the next starts the moment one ends), and may take a waiting one back.
 */
const waiting: (ProveRequest | LoadRequest)[] = [];
let working = false;
let closeAsked = false;

process.on('message', (request: WorkerRequest) => {
  if (request.kind === 'close') {
    closeAsked = true;
    if (!working) void exit();
  } else if (request.kind === 'withdraw') {
    const at = waiting.findIndex((r) => r.id === request.id);
    if (at >= 0) {
      waiting.splice(at, 1);
      process.send!({ kind: 'withdrawn', id: request.id } satisfies WithdrawnResponse);
    }
  } else {
    waiting.push(request);
    void work();
  }
});
process.on('disconnect', () => void exit());

async function work(): Promise<void> {
  if (working) return;
  working = true;
  while (waiting.length > 0) {
    const request = waiting.shift()!;
    const response = await (request.kind === 'load' ? answerLoad(request) : answerProve(request)).catch((error: unknown) => failed(request.id, 'prove', error, request));
    process.send!(response);
    // Messages that came during the proof (a withdrawal of the next job) are read before it starts.
    await new Promise(setImmediate);
  }
  working = false;
  if (closeAsked) await exit();
}

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
