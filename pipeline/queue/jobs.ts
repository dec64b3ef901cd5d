/**
 * What producers and workers of the proof queue agree on: where a model's jobs live in Redis,
 * what a job holds and returns, its id, and how a `redis://` URL becomes a connection.
 *
 * Each model (named by the sha256 of its verification key, its "key hash") has a BullMQ queue of
 * its own under one prefix: a worker listens only to the queues of the models it holds, so a job
 * never lands on a machine that cannot prove it (BullMQ has no per-job routing within a queue).
 * One Redis, one prefix, any number of models.
 */
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { JobsOptions } from 'bullmq';
import { ZkinferError, messageOf } from '../../core/errors.js';
import type { ProofBundle } from '../proof-bundle.js';
import type { InferenceInput } from '../prove.js';

/** Redis key prefix of every zkinfer queue. */
export const QUEUE_PREFIX = 'zkinfer';
const QUEUE_NAME_PREFIX = 'proofs-';

/** Attempts a job gets (failures, not stalls: a stall is counted apart, up to the same number). */
export const DEFAULT_ATTEMPTS = 3;
/** How long a worker's lock on a job lasts without renewal; a dead worker's job is retried after about this. */
export const DEFAULT_LOCK_MS = 30_000;

export function queueName(keyHash: string): string {
  return `${QUEUE_NAME_PREFIX}${keyHash}`;
}

/** The key hash of a queue's name, or undefined for a queue that is not a zkinfer model's. */
export function keyHashOfQueue(name: string): string | undefined {
  return name.startsWith(QUEUE_NAME_PREFIX) && /^[0-9a-f]{64}$/.test(name.slice(QUEUE_NAME_PREFIX.length)) ? name.slice(QUEUE_NAME_PREFIX.length) : undefined;
}

/** A job: the model's key hash and the input document as a client sent it (a worker checks it again). */
export interface ProofJobData {
  model: string;
  input: { input: number[]; salt?: string; recipient?: string };
}

/** What a job returns: the proof file's contents, checked against the reference by the worker that made it. */
export interface ProofJobResult {
  bundle: ProofBundle;
  /** The worker that proved it (host:pid). */
  worker: string;
  witnessMs: number;
  proveMs: number;
}

/** The job document of a checked input: the values as given, the salt in decimal, the recipient in hex. */
export function proofJobData(keyHash: string, input: InferenceInput): ProofJobData {
  return {
    model: keyHash,
    input: {
      input: input.values,
      ...(input.salt !== undefined ? { salt: input.salt.toString() } : {}),
      ...(input.recipient !== undefined ? { recipient: `0x${input.recipient.toString(16).padStart(40, '0')}` } : {}),
    },
  };
}

/**
 * A job's id: a hash of the model, the input, the salt and the recipient, so one request sent
 * twice (or by fifty clients at once) is one job with one proof. BullMQ refuses to add a job
 * whose id it holds already, and answers with the existing one.
 */
export function proofJobId(data: ProofJobData): string {
  const { input, salt, recipient } = data.input;
  return createHash('sha256').update(JSON.stringify([data.model, input, salt ?? '0', recipient ?? null])).digest('hex');
}

/** Retries with backoff; finished jobs are kept a day (so a repeated request gets the same answer), failed ones a week. */
export function proofJobOptions(attempts = DEFAULT_ATTEMPTS): JobsOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** The connection settings of a `redis://host:port[/db]` URL; anything else is a usage error. */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ZkinferError('USAGE', `--queue must be a redis://HOST:PORT URL, found '${url}'`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (parsed.protocol !== 'redis:' || !parsed.hostname || (db !== '' && !/^\d+$/.test(db))) {
    throw new ZkinferError('USAGE', `--queue must be a redis://HOST:PORT[/DB] URL, found '${url}'`);
  }
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    // BullMQ's workers block on Redis and must never give up a command; they reconnect instead.
    maxRetriesPerRequest: null,
  };
}

/** A connection that answered PING, or a QUEUE error naming the URL (never a hang on an unreachable Redis). */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis({ ...redisOptions(url), lazyConnect: true, connectTimeout: 5_000, retryStrategy: (times) => Math.min(times * 200, 2_000) });
  redis.on('error', () => {}); // reported by the PING below, and by the commands that fail later
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000)),
    ]);
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new ZkinferError('QUEUE', `cannot reach Redis at ${url}: ${messageOf(error)}`, { cause: error, details: { url } });
  }
}
