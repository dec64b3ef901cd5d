/**
 * One prover process, owned by ProverPool. It is warm: it keeps the last circuit's compiled
 * witness generator and its proving key in memory between jobs, so a job costs a witness and a
 * proof, not a WASM compilation, a key read and a curve build. A single-threaded worker (the pool's
 * default when several fit) proves with the key resident in WebAssembly memory (prover/groth16.ts);
 * a worker given several threads uses snarkjs's prover on ffjavascript's threaded curve, and
 * terminates the curve's threads before exiting when asked to close or when the pool goes away.
 */
import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder, type CircomWitnessCalculator } from 'circom_runtime';
import type * as Snarkjs from 'snarkjs';
import { Groth16Prover } from '../groth16.js';
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

const settings: WorkerSettings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{"threads":1,"precompute":false}');

interface Loaded extends CircuitFiles {
  wasm: Uint8Array;
  calculator: CircomWitnessCalculator;
  /** Set after a failed witness: the instance stopped mid-computation, so the next job compiles a fresh one. */
  calculatorSpent: boolean;
  prove(witness: Uint8Array): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
}

let loaded: Loaded | undefined;
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
  const work = (): Promise<WorkerResponse> => (request.kind === 'load' ? load(request) : prove(request));
  queue = queue
    .then(work)
    .catch((error: unknown) => failed(request.id, 'prove', error))
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

async function proverFor(zkey: Uint8Array, zkeyPath: string): Promise<Loaded['prove']> {
  if (settings.threads <= 1) {
    const prover = await Groth16Prover.load(zkey, zkeyPath, settings.precompute ? {} : { precomputeBudget: 0 });
    return async (witness) => prover.prove(witness);
  }
  await ensureCurve();
  return async (witness) => {
    const { proof, publicSignals } = await (await snarkjs()).groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: witness });
    return { proof: proof as Groth16Proof, publicSignals };
  };
}

async function ensureLoaded(files: CircuitFiles): Promise<{ circuit: Loaded; warm: boolean }> {
  if (loaded && loaded.wasmPath === files.wasmPath && loaded.zkeyPath === files.zkeyPath) return { circuit: loaded, warm: true };
  loaded = undefined; // drop the old circuit before reading the new one
  const [wasm, zkeyFile] = await Promise.all([readFile(files.wasmPath), readFile(files.zkeyPath)]);
  const zkey = new Uint8Array(zkeyFile.buffer, zkeyFile.byteOffset, zkeyFile.byteLength);
  const calculator = await WitnessCalculatorBuilder(wasm);
  loaded = { ...files, wasm, calculator, calculatorSpent: false, prove: await proverFor(zkey, files.zkeyPath) };
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
    const { proof, publicSignals } = await circuit.prove(witness);
    const proveMs = performance.now() - witnessDone;
    const cpu = process.cpuUsage(cpuStart);
    return {
      kind: 'proved',
      id: request.id,
      proof,
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
  const shared = (globalThis as { curve_bn128?: Snarkjs.Curve | null }).curve_bn128;
  if (shared) await shared.terminate();
  process.exit(0);
}
