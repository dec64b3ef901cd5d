/**
 * A warm prover for one artifacts folder, for services and batches: workers that each hold the
 * circuit's witness generator and the proving key, fed from one queue.
 *
 *   const prover = await createProver('artifacts/mlp');
 *   try { const { bundle } = await prover.prove({ values: pixels }); } finally { await prover.close(); }
 *
 * Inputs go through the same checks as `zkinfer prove` (prepareInference) before they reach a
 * worker, and every proof is checked against the integer reference before it is returned.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { parseJson } from '../core/files.js';
import type { QModel } from '../model/ir.js';
import { parseInputDocument } from '../model/input.js';
import type { CircuitFiles, Groth16Proof } from '../prover/pool/messages.js';
import { ProverPool, type WorkerStats, isWithdrawn } from '../prover/pool/pool.js';
import { choosePoolShape, machineShapeInputs, type PoolChoice, type PoolGoal } from '../prover/pool/shape.js';
import { artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES, witnessGeneratorPath } from './manifest.js';
import type { ProofBundle, ReadableOutputs } from './proof-bundle.js';
import { bundleProof, circuitInput, type InferenceInput, prepareInference, readInputFile } from './prove.js';

export interface CreateProverOptions {
  /** Workers proving at once; by default one per core, as many as memory allows for this key. */
  size?: number;
  /** Threads of each worker's proofs: more than 1 proves each proof on that many threads (prover/threads/). */
  threads?: number;
  /** What the workers and threads not set are chosen for (prover/pool/shape.ts; default throughput). */
  optimize?: PoolGoal;
  /** Start the workers and load the circuit and key before returning (default true). */
  warm?: boolean;
  /** Workers precompute the key's window multiples at load: slower start, faster proofs (default true). */
  precompute?: boolean;
}

export interface ProverProof {
  proof: Groth16Proof;
  publicSignals: string[];
  outputs: ReadableOutputs;
  /** What `zkinfer prove` writes: the proof, public signals and decoded outputs, with the key's hash. */
  bundle: ProofBundle;
  quantizedInput: number[];
  witnessMs: number;
  proveMs: number;
  /** Threads the proof ran on. */
  threads: number;
  /** CPU time of the worker on this proof, all its threads. */
  cpuMs: number;
  workerPid: number;
}

export interface ProverStats {
  size: number;
  threadsPerWorker: number;
  proved: number;
  failed: number;
  queued: number;
  running: number;
  workers: WorkerStats[];
}

export interface Prover {
  readonly model: QModel;
  readonly dir: string;
  /** The pool's shape, and why it was chosen. */
  readonly shape: PoolChoice;
  /** The sha256 of the verification key the proofs are for. */
  readonly verificationKey: string;
  /**
   * Prove one input: an input file's path, the input itself, or a parsed input document `{ "input": [...], "salt"?, "recipient"? }`; `where` names it in errors.
   * `signal` withdraws it while it waits for a free worker (a PROVE error, `isWithdrawn`); a proof already started runs on.
   */
  prove(input: string | InferenceInput, where?: string, signal?: AbortSignal): Promise<ProverProof>;
  /** Check an input document (as in an input file) against the model's shape; `where` names it in errors. */
  parseInput(json: unknown, where: string): InferenceInput;
  /** Parse and check an input document given as JSON text. */
  parseInputText(text: string, where: string): InferenceInput;
  stats(): ProverStats;
  /** Stop every worker; proofs still queued or running are rejected. Safe to call more than once. */
  close(): Promise<void>;
}

export async function createProver(dir: string, options: CreateProverOptions = {}): Promise<Prover> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const { model } = circuit;
  const vkHash = manifest.stages.setup!.outputs[FILES.vk]!;
  const files: CircuitFiles = { witnessPath: witnessGeneratorPath(dir, manifest), zkeyPath: artifactPath(dir, FILES.zkey) };
  const zkeyBytes = (await stat(files.zkeyPath)).size;
  const shape = choosePoolShape(
    machineShapeInputs(zkeyBytes),
    {
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(options.threads !== undefined ? { threadsPerWorker: options.threads } : {}),
    },
    options.optimize,
  );
  const pool = await ProverPool.create({ size: shape.size, threadsPerWorker: shape.threadsPerWorker, precompute: options.precompute ?? true });
  let proved = 0;
  let failed = 0;
  try {
    if (options.warm !== false) await pool.warm(files);
  } catch (error) {
    await pool.close();
    throw error;
  }

  const parseInput = (json: unknown, where: string) => parseInputDocument(json, model.input.shape, where);
  return {
    model,
    dir,
    shape,
    verificationKey: vkHash,
    parseInput,
    parseInputText: (text, where) => parseInput(parseJson(text, where, 'input', (m, cause) => new InputError(m, { cause })), where),
    async prove(input, where, signal) {
      try {
        const document = typeof input === 'string' ? await readInputFile(input, model.input.shape) : input;
        const prepared = prepareInference(circuit, document, where ?? (typeof input === 'string' ? input : 'input'));
        const result = await pool.prove({ ...files, input: circuitInput(circuit, prepared) }, signal);
        const bundle = bundleProof(circuit, vkHash, prepared, result);
        proved += 1;
        return {
          proof: result.proof,
          publicSignals: result.publicSignals,
          outputs: bundle.outputs,
          bundle,
          quantizedInput: prepared.quantized,
          witnessMs: result.witnessMs,
          proveMs: result.proveMs,
          threads: result.threads,
          cpuMs: result.cpuMs,
          workerPid: result.workerPid,
        };
      } catch (error) {
        if (!isWithdrawn(error)) failed += 1;
        throw error;
      }
    },
    stats: () => ({ size: shape.size, threadsPerWorker: shape.threadsPerWorker, proved, failed, queued: pool.queued, running: pool.running, workers: pool.workerStats }),
    close: () => pool.close(),
  };
}
