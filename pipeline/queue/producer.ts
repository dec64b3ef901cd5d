/**
 * The producer side of the proof queue: inputs checked here are put on their model's BullMQ queue
 * (`submitProofJob`), and proofs that come back are checked again before they are handed out:
 * the bundle names this model's key, its public signals are the integer reference's for the
 * job's input, and the Groth16 proof verifies. A worker is trusted with nothing.
 *
 *   const queue = await openProofQueue({ url: 'redis://127.0.0.1:6379', models: ['artifacts/mlp'] });
 *   try { const { id } = await queue.submitProofJob(input); const proof = await queue.waitForProof(id); }
 *   finally { await queue.close(); }
 */
import { readFile } from 'node:fs/promises';
import { type Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { expectedPublicSignals } from '../../circuits/signals.js';
import { InputError, ZkinferError, messageOf } from '../../core/errors.js';
import { parseJson } from '../../core/files.js';
import { parseInputDocument } from '../../model/input.js';
import { VerificationBatches } from '../../prover/verify-batches.js';
import { type PreparedVerifier, type VerificationKey, preparedVerifier } from '../../prover/verify.js';
import { type CompiledCircuit, artifactPath, openArtifacts, readCircuit } from '../artifacts.js';
import { FILES } from '../manifest.js';
import type { ProofBundle } from '../proof-bundle.js';
import { type InferenceInput, type PreparedInference, prepareInference } from '../prove.js';
import { readFleetMetrics, type FleetMetrics } from './fleet.js';
import { QUEUE_PREFIX, type ProofJobData, type ProofJobResult, connectRedis, proofJobData, proofJobId, proofJobOptions, queueName, redisOptions } from './jobs.js';

export interface ProofQueueOptions {
  /** redis://HOST:PORT[/DB] */
  url: string;
  /** Artifacts folders of the models this producer accepts requests for. */
  models: string[];
  /** Attempts each job gets before it lands in the failed set (default 3). */
  attempts?: number;
  /**
   * The longest a proof's check may wait for another to share its pairing check, where checks
   * arrive often (prover/verify-batches.ts): CPU saved for latency. Default 0: checks arriving
   * together are batched, none waits.
   */
  checkHoldMs?: number;
}

/** A model this producer serves: its folder, its circuit, its key. */
export interface QueueModel {
  keyHash: string;
  name: string;
  dir: string;
  circuit: CompiledCircuit;
  vk: VerificationKey;
  /** The key prepared for checking proofs, once, when the producer opens (a bad key is refused then). */
  verifier: PreparedVerifier;
  /** Its checks, those asked for at once verified together. */
  checks: VerificationBatches;
}

export interface SubmittedJob {
  id: string;
  model: string;
}

export type JobState = 'waiting' | 'active' | 'delayed' | 'prioritized' | 'completed' | 'failed' | 'waiting-children' | 'unknown';

export interface ProofJobStatus {
  id: string;
  model: string;
  state: JobState;
  progress: unknown;
  /** Every attempt's outcome as the workers logged it ("attempt 1 on host:pid: reason"). */
  attempts: string[];
  /** The reason of the last failure, once the job is in the failed set. */
  failedReason?: string;
  /** The proof file's contents, once completed and checked here. */
  proof?: ProofBundle;
  worker?: string;
}

export class ProofQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, QueueEvents>();
  /** Jobs whose proofs were checked here or are being checked (many clients may wait on one job: one check). */
  private readonly checked = new Map<string, Promise<ProofJobResult>>();
  /**
   * Jobs submitted here: the job as BullMQ's add returned it (waiting on it needs no read of it
   * back) and the public signals its input gives, computed from the request itself when it was
   * checked, so that its proof's check does not run the reference again.
   */
  private readonly submitted = new Map<string, { job: Job<ProofJobData, ProofJobResult>; keyHash: string; expected: string[] }>();

  private constructor(
    readonly url: string,
    readonly models: Map<string, QueueModel>,
    private readonly redis: Redis,
    private readonly attempts: number,
  ) {
    for (const keyHash of models.keys()) {
      const queue = new Queue(queueName(keyHash), { connection: redis, prefix: QUEUE_PREFIX });
      const events = new QueueEvents(queueName(keyHash), { connection: redisOptions(url), prefix: QUEUE_PREFIX });
      // Every request waiting for a proof listens on these: hundreds at once is normal, not a leak.
      queue.setMaxListeners(0);
      events.setMaxListeners(0);
      this.queues.set(keyHash, queue);
      this.events.set(keyHash, events);
    }
  }

  static async open(options: ProofQueueOptions): Promise<ProofQueue> {
    const attempts = options.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1) throw new ZkinferError('USAGE', `attempts must be an integer of at least 1, found ${attempts}`);
    const hold = options.checkHoldMs ?? 0;
    if (!Number.isFinite(hold) || hold < 0) throw new ZkinferError('USAGE', `checkHoldMs must be a number of at least 0, found ${hold}`);
    if (options.models.length === 0) throw new ZkinferError('USAGE', 'a proof queue needs at least one artifacts folder');
    const models = new Map<string, QueueModel>();
    for (const dir of options.models) {
      const model = await readQueueModel(dir, options.checkHoldMs);
      const other = models.get(model.keyHash);
      if (other) throw new ZkinferError('USAGE', `${dir} and ${other.dir} hold the same model (key ${model.keyHash.slice(0, 12)}…): give it once`);
      models.set(model.keyHash, model);
    }
    const redis = await connectRedis(options.url);
    const queue = new ProofQueue(options.url, models, redis, attempts);
    try {
      await Promise.all([...queue.events.values()].map((events) => events.waitUntilReady()));
    } catch (error) {
      await queue.close();
      throw new ZkinferError('QUEUE', `cannot listen for job events at ${options.url}: ${messageOf(error)}`, { cause: error });
    }
    return queue;
  }

  /** The model a request names by key hash (or prefix), or the only one when it names none. */
  model(keyHash?: string): QueueModel {
    if (keyHash === undefined) {
      if (this.models.size === 1) return [...this.models.values()][0]!;
      throw new InputError(`this queue serves ${this.models.size} models: name one by its key hash (${[...this.models.keys()].map((k) => k.slice(0, 12)).join(', ')})`);
    }
    const found = [...this.models.values()].filter((m) => /^[0-9a-f]{6,64}$/.test(keyHash) && m.keyHash.startsWith(keyHash));
    if (found.length !== 1) throw new InputError(`no single model with key hash ${JSON.stringify(keyHash.slice(0, 70))} here (${[...this.models.keys()].map((k) => k.slice(0, 12)).join(', ')})`);
    return found[0]!;
  }

  /** Check an input document (JSON text) against a model; `where` names it in errors. */
  parseInputText(text: string, where: string, keyHash?: string): { model: QueueModel; input: InferenceInput } {
    const model = this.model(keyHash);
    const json = parseJson(text, where, 'input', (m, cause) => new InputError(m, { cause }));
    return { model, input: parseInputDocument(json, model.circuit.model.input.shape, where) };
  }

  /**
   * Put one checked input on its model's queue. The id is derived from the model and the input,
   * so the same request submitted again (at once or later) is the same job.
   */
  async submitProofJob(input: InferenceInput, options: { model?: string; where?: string; priority?: number } = {}): Promise<SubmittedJob> {
    const model = this.model(options.model);
    // The checks a worker makes (range, recipient), here too, so that a bad request never becomes a job.
    const prepared = prepareInference(model.circuit, input, options.where ?? 'input');
    const data = proofJobData(model.keyHash, input);
    const id = proofJobId(data);
    let job: Job<ProofJobData, ProofJobResult>;
    try {
      job = await this.queues.get(model.keyHash)!.add('prove', data, { ...proofJobOptions(this.attempts), jobId: id, ...(options.priority ? { priority: options.priority } : {}) });
    } catch (error) {
      throw new ZkinferError('QUEUE', `cannot put the job on the queue at ${this.url}: ${messageOf(error)}`, { cause: error });
    }
    if (!this.submitted.has(id)) remember(this.submitted, id, { job, keyHash: model.keyHash, expected: expectedSignals(model, prepared) });
    return { id, model: model.keyHash };
  }

  /**
   * The checked proof of a job, once a worker has made it: waits up to `timeoutMs`. A job that
   * failed every attempt is a QUEUE error listing each attempt's reason.
   */
  async waitForProof(id: string, timeoutMs = 300_000): Promise<ProofJobResult> {
    const { job, keyHash } = this.submitted.get(id) ?? (await this.findJob(id));
    let result: ProofJobResult;
    try {
      // The result as the completion event (or BullMQ's own look at a job finished already) carries it.
      // A job submitted here is not read back at all: its input is the request's, whose public
      // signals were computed when it was submitted; another's was read above (a job never changes).
      result = (await job.waitUntilFinished(this.events.get(keyHash)!, timeoutMs)) as ProofJobResult;
    } catch (error) {
      const status = await this.jobStatus(id);
      if (status.state === 'failed') throw failedJobError(status);
      throw new ZkinferError('QUEUE', `job ${id} is not finished (${status.state}): ${messageOf(error)}`, { cause: error, details: { id, state: status.state } });
    }
    return this.checkedResult(job, keyHash, result);
  }

  /** Where a job is, every attempt's reason, and its checked proof when it has one. */
  async jobStatus(id: string): Promise<ProofJobStatus> {
    const { job, keyHash } = await this.findJob(id);
    const queue = this.queues.get(keyHash)!;
    const [state, logs] = await Promise.all([job.getState(), queue.getJobLogs(id)]);
    const status: ProofJobStatus = { id, model: keyHash, state: state as JobState, progress: job.progress, attempts: logs.logs };
    if (state === 'failed') status.failedReason = job.failedReason;
    if (state === 'completed') {
      const result = await this.checkedResult(job, keyHash);
      status.proof = result.bundle;
      status.worker = result.worker;
    }
    return status;
  }

  /** The fleet's state across this producer's models (queue depth, workers, latency, failures). */
  fleetMetrics(): Promise<FleetMetrics> {
    return readFleetMetrics(this.redis, [...this.models.keys()]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.events.values()].map((events) => events.close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    this.redis.disconnect();
  }

  private async findJob(id: string): Promise<{ job: Job<ProofJobData, ProofJobResult>; keyHash: string }> {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new InputError(`a job id is 64 hex digits, found ${JSON.stringify(id.slice(0, 70))}`);
    for (const [keyHash, queue] of this.queues) {
      const job = (await queue.getJob(id)) as Job<ProofJobData, ProofJobResult> | undefined;
      if (job) return { job, keyHash };
    }
    throw new ZkinferError('QUEUE', `no job ${id} in the queues of this producer's models (unknown, or removed after its retention)`, { details: { id, reason: 'unknown job' } });
  }

  /** A completed job's result after the producer's own checks; a proof that fails them is never handed out. */
  private checkedResult(job: Job<ProofJobData, ProofJobResult>, keyHash: string, result: ProofJobResult | undefined = job.returnvalue): Promise<ProofJobResult> {
    const known = this.checked.get(job.id!);
    if (known) return known;
    const checking = this.check(job, keyHash, result);
    remember(this.checked, job.id!, checking);
    // A result that fails is not kept: the next look at the job checks it again.
    checking.catch(() => this.checked.get(job.id!) === checking && this.checked.delete(job.id!));
    return checking;
  }

  private async check(job: Job<ProofJobData, ProofJobResult>, keyHash: string, result: ProofJobResult | undefined): Promise<ProofJobResult> {
    const model = this.models.get(keyHash)!;
    const where = `job ${job.id}`;
    const bundle = result?.bundle;
    if (!bundle || bundle.verificationKey !== keyHash) throw new ZkinferError('CHECK_FAILED', `${where}: the worker's result is not a proof for key ${keyHash.slice(0, 12)}…`);
    const expected = this.submitted.get(job.id!)?.expected ?? expectedSignals(model, prepareInference(model.circuit, parseInputDocument(job.data.input, model.circuit.model.input.shape, where), where));
    if (JSON.stringify(bundle.publicSignals) !== JSON.stringify(expected)) {
      throw new ZkinferError('CHECK_FAILED', `${where}: the worker's public signals are not the reference's for this input`, { details: { worker: result.worker } });
    }
    if (!(await model.checks.verify(bundle.publicSignals, bundle.proof))) {
      throw new ZkinferError('CHECK_FAILED', `${where}: the worker's proof does not verify`, { details: { worker: result.worker } });
    }
    return result;
  }
}

/** The public signals an honest proof of this prepared input shows. */
function expectedSignals(model: QueueModel, prepared: PreparedInference): string[] {
  return expectedPublicSignals(model.circuit.model, model.circuit.plan, prepared.quantized, prepared.salt, prepared.recipient, prepared.reference);
}

/** Set a job's entry in one of the producer's memories, which keep the newest 10,000 jobs. */
function remember<T>(memory: Map<string, T>, id: string, value: T): void {
  if (memory.size >= 10_000) memory.delete(memory.keys().next().value!);
  memory.set(id, value);
}

export function openProofQueue(options: ProofQueueOptions): Promise<ProofQueue> {
  return ProofQueue.open(options);
}

/** A model's folder read for the queue: current artifacts, the circuit, the verification key and its hash. */
export async function readQueueModel(dir: string, checkHoldMs = 0): Promise<QueueModel> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const keyHash = manifest.stages.setup!.outputs[FILES.vk]!;
  const vkPath = artifactPath(dir, FILES.vk);
  const vk = JSON.parse(await readFile(vkPath, 'utf8')) as VerificationKey;
  const verifier = await preparedVerifier(vk).catch((error: unknown) => {
    throw error instanceof ZkinferError ? new ZkinferError(error.code, `${vkPath}: ${error.message}`, { cause: error, details: error.details }) : error;
  });
  return { keyHash, name: circuit.model.name, dir, circuit, vk, verifier, checks: new VerificationBatches(verifier, checkHoldMs) };
}

export function failedJobError(status: ProofJobStatus): ZkinferError {
  const attempts = status.attempts.length > 0 ? status.attempts.join('; ') : (status.failedReason ?? 'no reason recorded');
  return new ZkinferError('QUEUE', `job ${status.id} failed: ${attempts}`, { details: { id: status.id, attempts: status.attempts, failedReason: status.failedReason } });
}
