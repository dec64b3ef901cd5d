/**
 * One prover process, owned by ProverPool. It is warm: it keeps the last circuit's compiled
 * witness generator, its proving key's bytes and snarkjs's curve in memory between jobs, so a job
 * costs a witness and a proof, not a WASM compilation, a key read and a curve build. It terminates
 * the curve's threads before exiting when asked to close or when the pool goes away.
 */
import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder, type CircomWitnessCalculator } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import {
  WORKER_SETTINGS_ENV,
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

const settings: WorkerSettings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{"threads":1}');

interface Loaded extends CircuitFiles {
  wasm: Uint8Array;
  calculator: CircomWitnessCalculator;
  /** Set after a failed witness: the instance stopped mid-computation, so the next job compiles a fresh one. */
  calculatorSpent: boolean;
  zkey: Uint8Array;
}

let loaded: Loaded | undefined;
let curve: Promise<snarkjs.Curve> | undefined;
// One job at a time: the pool sends one, but a load and a job may overlap.
let queue: Promise<unknown> = Promise.resolve();

process.on('message', (request: WorkerRequest) => {
  if (request.kind === 'close') {
    void queue.then(exit, exit);
    return;
  }
  const work = (): Promise<WorkerResponse> => (request.kind === 'load' ? load(request) : prove(request));
  queue = queue
    .then(work)
    .catch((error: unknown) => failed(request.id, 'prove', error))
    .then((response) => process.send!(response));
});
process.on('disconnect', () => void exit());

/**
 * snarkjs builds its curve for every proof unless a multi-threaded one is cached in
 * globalThis.curve_bn128 (ffjavascript's own cache, which snarkjs consults first). A worker with
 * one thread puts a single-threaded curve there once, so it is reused too.
 */
function ensureCurve(): Promise<snarkjs.Curve> {
  curve ??= (async () => {
    const built = await snarkjs.curves.getCurveFromName('bn128', { singleThread: settings.threads <= 1 });
    (globalThis as { curve_bn128?: snarkjs.Curve | null }).curve_bn128 = built;
    return built;
  })();
  return curve;
}

async function ensureLoaded(files: CircuitFiles): Promise<{ circuit: Loaded; warm: boolean }> {
  if (loaded && loaded.wasmPath === files.wasmPath && loaded.zkeyPath === files.zkeyPath) return { circuit: loaded, warm: true };
  loaded = undefined; // drop the old circuit before reading the new one
  const [wasm, zkey] = await Promise.all([readFile(files.wasmPath), readFile(files.zkeyPath), ensureCurve()]);
  const calculator = await WitnessCalculatorBuilder(wasm);
  loaded = { ...files, wasm, zkey: new Uint8Array(zkey.buffer, zkey.byteOffset, zkey.byteLength), calculator, calculatorSpent: false };
  return { circuit: loaded, warm: false };
}

function failed(id: number, stage: FailedResponse['stage'], error: unknown): FailedResponse {
  return { kind: 'failed', id, stage, message: error instanceof Error ? error.message : String(error) };
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function load(request: LoadRequest): Promise<LoadedResponse | FailedResponse> {
  const start = performance.now();
  try {
    await ensureLoaded(request);
  } catch (error) {
    return failed(request.id, 'load', error);
  }
  return { kind: 'loaded', id: request.id, loadMs: performance.now() - start, workerPid: process.pid, workerPeakRss: peakRss() };
}

async function prove(request: ProveRequest): Promise<ProvedResponse | FailedResponse> {
  let circuit: Loaded;
  let warm: boolean;
  try {
    ({ circuit, warm } = await ensureLoaded(request));
  } catch (error) {
    return failed(request.id, 'load', error);
  }
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let witness: Uint8Array;
  try {
    if (circuit.calculatorSpent) {
      circuit.calculator = await WitnessCalculatorBuilder(circuit.wasm);
      circuit.calculatorSpent = false;
    }
    witness = await circuit.calculator.calculateWTNSBin(request.input, false);
  } catch (error) {
    circuit.calculatorSpent = true;
    return failed(request.id, 'witness', error);
  }
  const witnessDone = performance.now();
  try {
    const { proof, publicSignals } = await snarkjs.groth16.prove({ type: 'mem', data: circuit.zkey }, { type: 'mem', data: witness });
    const proveMs = performance.now() - witnessDone;
    const cpu = process.cpuUsage(cpuStart);
    return {
      kind: 'proved',
      id: request.id,
      proof: proof as Groth16Proof,
      publicSignals,
      witnessMs: witnessDone - start,
      proveMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      warm,
      workerPid: process.pid,
      workerPeakRss: peakRss(),
    };
  } catch (error) {
    return failed(request.id, 'prove', error);
  }
}

async function exit(): Promise<never> {
  const shared = (globalThis as { curve_bn128?: snarkjs.Curve | null }).curve_bn128;
  if (shared) await shared.terminate();
  process.exit(0);
}
