/**
 * One prover process, owned by ProverPool. It is warm: it keeps the last circuit's compiled
 * witness generator and its proving key in memory between jobs, so a job costs a witness and a
 * proof, not a WASM compilation, a key read and a curve build. A single-threaded worker (the pool's
 * default when several fit) proves with the key resident in WebAssembly memory (prover/groth16.ts);
 * a worker given several threads uses snarkjs's prover on ffjavascript's threaded curve, and
 * terminates the curve's threads before exiting when asked to close or when the pool goes away.
 */
import type * as Snarkjs from 'snarkjs';
import { CircuitProver, type KeyProver, type ProverStage, groth16KeyProver, peakRss, proverError } from '../circuit-prover.js';
import {
  WORKER_SETTINGS_ENV,
  toWireError,
  type CircuitFiles,
  type FailedResponse,
  type Groth16Proof,
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
let curve: Promise<Snarkjs.Curve> | undefined;
/** snarkjs, loaded only by a worker that uses it (several threads): a single-threaded worker starts without it. */
const snarkjs = () => import('snarkjs');
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

/**
 * snarkjs builds its curve for every proof unless a multi-threaded one is cached in
 * globalThis.curve_bn128 (ffjavascript's own cache, which snarkjs consults first).
 */
function ensureCurve(): Promise<Snarkjs.Curve> {
  curve ??= (async () => {
    const built = await (await snarkjs()).curves.getCurveFromName('bn128');
    (globalThis as { curve_bn128?: Snarkjs.Curve | null }).curve_bn128 = built;
    return built;
  })();
  return curve;
}

const snarkjsKeyProver: KeyProver = async (zkey) => {
  await ensureCurve();
  return async (witness) => {
    const { proof, publicSignals } = await (await snarkjs()).groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: witness });
    return { proof: proof as Groth16Proof, publicSignals };
  };
};

const keyProver: KeyProver = settings.threads <= 1 ? groth16KeyProver(settings.precompute ? {} : { precomputeBudget: 0 }) : snarkjsKeyProver;

async function ensureLoaded(files: CircuitFiles): Promise<{ circuit: CircuitProver; warm: boolean }> {
  if (loaded && loaded.files.witnessPath === files.witnessPath && loaded.files.zkeyPath === files.zkeyPath) return { circuit: loaded, warm: true };
  loaded = undefined; // drop the old circuit before reading the new one
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
    return failed(request.id, 'prove', error, request);
  }
}

async function exit(): Promise<never> {
  const shared = (globalThis as { curve_bn128?: Snarkjs.Curve | null }).curve_bn128;
  if (shared) await shared.terminate();
  process.exit(0);
}
