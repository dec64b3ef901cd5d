/**
 * `zkinfer serve`: a small HTTP proving service on a warm prover.
 *
 *   POST /prove    body: an input document { "input": [...], "salt"?: "...", "recipient"?: "0x…" } (JSON, at most maxBodyBytes)
 *                  200: the proof file's contents (zkinfer-proof/1) plus `timing`; 400 a bad input,
 *                  413 a body too large, 429 the queue is full, 503 stopping, 500 a prover failure
 *   GET  /health   200 { status: "ok" } while serving, 503 { status: "stopping" }
 *   GET  /metrics  counts, queue, latency percentiles, proofs per minute, workers' peak memory (JSON)
 *
 * Admission is bounded: at most `workers + maxQueue` requests are held at once (a slot is taken
 * before the body is read), so memory never grows with the load; the rest get 429 at once.
 * Errors are JSON `{ "error": { "code", "message" } }`. close() stops accepting, lets admitted
 * requests finish (up to a grace period), then stops the workers.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ZkinferError, messageOf } from '../core/errors.js';
import { type CreateProverOptions, type Prover, createProver } from './prover.js';

export interface ProvingServerOptions extends CreateProverOptions {
  /** Port to listen on (0: any free port). */
  port: number;
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  host?: string;
  /** The largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Requests that may wait for a worker besides those being proved (default 4 per worker). */
  maxQueue?: number;
  /** How long close() lets admitted requests finish before cutting them off (default 30 s). */
  closeGraceMs?: number;
  /** A prover to serve (left open by close); without one, one is made for the server and closed with it. */
  prover?: Prover;
}

export interface ServerMetrics {
  model: string;
  verificationKey: string;
  uptimeSeconds: number;
  requests: number;
  proved: number;
  failed: number;
  rejected: { badInput: number; tooLarge: number; queueFull: number; stopping: number };
  /** Requests admitted and not answered yet (being read, waiting or being proved). */
  inFlight: number;
  queued: number;
  running: number;
  capacity: number;
  proofsPerMinute: number;
  latencyMs: { p50: number; p95: number; max: number; samples: number };
  workers: { pid: number; jobs: number; peakRssBytes: number }[];
  pool: { size: number; threadsPerWorker: number };
}

export interface ProvingServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly prover: Prover;
  metrics(): ServerMetrics;
  close(): Promise<void>;
}

const LATENCY_WINDOW = 1000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}): void {
  send(res, status, { error: { code, message } }, headers);
}

/** The body as text, refusing it (413) as soon as it is longer than `limit`. */
function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `the request body is larger than ${limit} bytes`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function startProvingServer(dir: string, options: ProvingServerOptions): Promise<ProvingServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 2 ** 20;
  for (const [name, value, min] of [
    ['port', options.port, 0],
    ['maxBodyBytes', maxBodyBytes, 1],
    ['maxQueue', options.maxQueue, 0],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min || (name === 'port' && value > 65535))) {
      throw new ZkinferError('USAGE', `${name} must be an integer${name === 'port' ? ' in 0..65535' : ` of at least ${min}`}, found ${value}`);
    }
  }
  const prover = options.prover ?? (await createProver(dir, options));
  const ownProver = !options.prover;
  const maxQueue = options.maxQueue ?? 4 * prover.shape.size;
  const capacity = prover.shape.size + maxQueue;
  const started = Date.now();
  const latencies: number[] = [];
  const counts = { requests: 0, proved: 0, failed: 0 };
  const rejected = { badInput: 0, tooLarge: 0, queueFull: 0, stopping: 0 };
  let inFlight = 0;
  let stopping = false;
  let idle: (() => void) | undefined;

  const metrics = (): ServerMetrics => {
    const stats = prover.stats();
    const sorted = [...latencies].sort((a, b) => a - b);
    const minutes = (Date.now() - started) / 60_000;
    return {
      model: prover.model.name,
      verificationKey: prover.verificationKey,
      uptimeSeconds: (Date.now() - started) / 1000,
      ...counts,
      rejected: { ...rejected },
      inFlight,
      queued: stats.queued,
      running: stats.running,
      capacity,
      proofsPerMinute: minutes > 0 ? counts.proved / minutes : 0,
      latencyMs: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) ?? 0, samples: sorted.length },
      workers: stats.workers.map((w) => ({ pid: w.pid, jobs: w.jobs, peakRssBytes: w.peakRss })),
      pool: { size: stats.size, threadsPerWorker: stats.threadsPerWorker },
    };
  };

  const prove = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (stopping) {
      rejected.stopping += 1;
      return sendError(res, 503, 'STOPPING', 'the server is stopping', { connection: 'close' });
    }
    if (inFlight >= capacity) {
      rejected.queueFull += 1;
      // The body is not read: answer, and close the connection rather than drain an unread body.
      return sendError(res, 429, 'QUEUE_FULL', `the proving queue is full (${capacity} requests admitted); retry later`, { 'retry-after': '1', connection: 'close' });
    }
    inFlight += 1;
    const start = performance.now();
    try {
      const text = await readBody(req, maxBodyBytes);
      const input = prover.parseInputText(text, 'request body');
      const result = await prover.prove(input, 'request body');
      const ms = performance.now() - start;
      latencies.push(ms);
      if (latencies.length > LATENCY_WINDOW) latencies.shift();
      counts.proved += 1;
      send(res, 200, { ...result.bundle, timing: { totalMs: ms, witnessMs: result.witnessMs, proveMs: result.proveMs } });
    } catch (error) {
      if (error instanceof HttpError) {
        rejected.tooLarge += 1;
        sendError(res, error.status, error.code, error.message, { connection: 'close' });
      } else if (error instanceof ZkinferError && error.code === 'INPUT_INVALID') {
        rejected.badInput += 1;
        sendError(res, 400, error.code, error.message);
      } else if (error instanceof ZkinferError && error.details.reason === 'pool closed') {
        rejected.stopping += 1;
        sendError(res, 503, 'STOPPING', 'the server stopped before this proof was done');
      } else {
        counts.failed += 1;
        sendError(res, 500, error instanceof ZkinferError ? error.code : 'INTERNAL', messageOf(error));
      }
    } finally {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    }
  };

  const server = http.createServer((req, res) => {
    counts.requests += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /prove') return void prove(req, res);
    // Anything else has no body worth reading.
    req.resume();
    if (route === 'GET /health') return send(res, stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok', model: prover.model.name, workers: prover.shape.size });
    if (route === 'GET /metrics') return send(res, 200, metrics());
    if (['/prove', '/health', '/metrics'].includes(url.pathname)) return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`);
    sendError(res, 404, 'NOT_FOUND', `no such endpoint: ${url.pathname} (POST /prove, GET /health, GET /metrics)`);
  });
  server.keepAliveTimeout = 5_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if (ownProver) await prover.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new ZkinferError('USAGE', `cannot listen on ${host}:${options.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : messageOf(error)}`, { cause: error });
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stopping = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        const grace = options.closeGraceMs ?? 30_000;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, grace);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (ownProver) await prover.close();
      server.closeAllConnections();
      await stopped;
    })());

  return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port, prover, metrics, close };
}
