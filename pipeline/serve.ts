/**
 * `zkinfer serve`: a small HTTP proving service on a warm prover, or (`--queue`, startQueueServer)
 * the producer of a proving fleet: the same HTTP layer in front of the proof queue (queue/).
 *
 *   POST /prove    body: an input document { "input": [...], "salt"?: "...", "recipient"?: "0x…" }
 *                  (JSON, at most maxBodyBytes)
 *                  200: the proof file's contents (zkinfer-proof/1) plus `timing`; 400 a bad input or a
 *                  malformed request, 408 a request not received in time, 413 a body too large, 429 too
 *                  many bodies being received or the queue is full, 503 stopping, 500 a prover failure
 *   GET  /health   200 { status: "ok" } while serving, 503 { status: "stopping" }
 *   GET  /metrics  counts, rejections by reason, queue, latency percentiles, proofs per minute,
 *                  workers' peak memory (JSON)
 *
 * The HTTP layer limits and times out requests before any work is queued:
 *  - no request can end the service: every handler failure (sync or async) is answered 400/500, and
 *    malformed HTTP (node's `clientError`) is answered 400 (431, 408) and its connection closed;
 *  - headers must arrive within headersTimeoutMs and the whole request within requestTimeoutMs
 *    (node's own deadlines, checked often enough to mean it), else 408 and the connection closed;
 *  - at most maxConnections connections are open; more are closed as they arrive;
 *  - at most maxReadingBodies bodies are received at once (429 beyond), so memory for bodies stays
 *    under maxReadingBodies × maxBodyBytes, apart from the proving slots;
 *  - a proving slot (capacity `workers + maxQueue`) is taken only once the body is complete and a
 *    valid input, so slow senders cannot hold slots; the rest get 429 at once.
 * Errors are JSON `{ "error": { "code", "message" } }`. close() stops accepting, lets admitted
 * requests finish (up to a grace period), then stops the workers.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ZkinferError, messageOf } from '../core/errors.js';
import { percentile } from '../core/numbers.js';
import { type CreateProverOptions, type Prover, createProver } from './prover.js';
import type { InferenceInput } from './prove.js';
import { type ProofQueue, type ProofQueueOptions, openProofQueue } from './queue/producer.js';

/** The HTTP layer's settings, the same whether proofs are made here or by a fleet through a queue. */
export interface HttpServerOptions {
  /** Port to listen on (0: any free port). */
  port: number;
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  host?: string;
  /** The largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Requests that may wait for a worker besides those being proved (default 4 per worker; with a queue, requests waiting at once, default 256). */
  maxQueue?: number;
  /** Time a client has to send a request's headers, from its connection or its request's first byte (default 10 s). */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, headers and body (default 30 s; at least headersTimeoutMs). */
  requestTimeoutMs?: number;
  /** Connections open at once; more are closed as they arrive (default 128). */
  maxConnections?: number;
  /** Request bodies received at once; more get 429 (default 32). Bounds memory at this × maxBodyBytes. */
  maxReadingBodies?: number;
  /** How long close() lets admitted requests finish before cutting them off (default 30 s). */
  closeGraceMs?: number;
}

export interface ProvingServerOptions extends HttpServerOptions, CreateProverOptions {
  /** A prover to serve (left open by close); without one, one is made for the server and closed with it. */
  prover?: Prover;
}

export interface QueueServerOptions extends HttpServerOptions, Omit<ProofQueueOptions, 'models'> {
  /** How long POST /prove waits for the proof before answering 202 with the job's id (default 5 min). */
  waitTimeoutMs?: number;
}

/** Why requests were refused, one count per refused request (connections: refused at the door). */
export interface Rejections {
  /** Malformed HTTP, a request target that is not a URL, an unmet Expect, a body cut short. */
  badRequest: number;
  /** A body that is not a valid input document for the model. */
  badInput: number;
  /** A body over maxBodyBytes, or headers over node's limit. */
  tooLarge: number;
  /** Headers or a whole request not received within its deadline. */
  timeout: number;
  /** maxReadingBodies bodies were being received already. */
  readingFull: number;
  /** Every proving slot was taken. */
  queueFull: number;
  /** Connections closed on arrival because maxConnections were open. */
  connections: number;
  stopping: number;
}

/** What every server counts at its HTTP layer. */
export interface HttpMetrics {
  uptimeSeconds: number;
  requests: number;
  proved: number;
  failed: number;
  rejected: Rejections;
  /** Request bodies being received now (not admitted yet). */
  reading: number;
  /** Requests admitted and not answered yet (waiting or being proved). */
  inFlight: number;
  capacity: number;
  /** The limits and deadlines in force (options or their defaults). */
  limits: { maxBodyBytes: number; headersTimeoutMs: number; requestTimeoutMs: number; maxConnections: number; maxReadingBodies: number };
  proofsPerMinute: number;
  latencyMs: { p50: number; p95: number; max: number; samples: number };
}

export interface ServerMetrics extends HttpMetrics {
  model: string;
  verificationKey: string;
  queued: number;
  running: number;
  workers: { pid: number; jobs: number; peakRssBytes: number }[];
  pool: { size: number; threadsPerWorker: number };
}

export interface QueueServerMetrics extends HttpMetrics {
  queue: string;
  models: { keyHash: string; name: string }[];
}

interface HttpServer<M> {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  metrics(): M;
  close(): Promise<void>;
}

export interface ProvingServer extends HttpServer<ServerMetrics> {
  readonly prover: Prover;
}

export interface QueueServer extends HttpServer<QueueServerMetrics> {
  readonly queue: ProofQueue;
}

/** What POST /prove runs: where proofs come from (a local prover, or a queue) and the extra routes that go with it. */
interface ProofBackend<Request, M> {
  /** The request body checked (InputError on a bad one): nothing is admitted before this. */
  parse(text: string, params: URLSearchParams): Request;
  /** Prove an admitted request; `proved` says whether it counts as a proof (a 202 does not). */
  run(request: Request, params: URLSearchParams, start: number): Promise<{ status: number; body: unknown; proved: boolean }>;
  /** GET routes besides /health and /metrics (a handler, or undefined for none at this path). */
  get?(pathname: string): (() => Promise<{ status: number; body: unknown }>) | undefined;
  health(): Record<string, unknown>;
  /** The backend's part of GET /metrics (awaited there; metrics() has the synchronous part). */
  metrics(): Omit<M, keyof HttpMetrics>;
  fleet?(): Promise<unknown>;
  capacity: number;
  close(): Promise<void>;
}

const LATENCY_WINDOW = 1000;

/** A refusal the HTTP layer answers itself: its status, error code and the count it goes to. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason: keyof Rejections,
    readonly headers: http.OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The body as text, refusing it (413) as soon as it is longer than `limit`, and (400) if the
 * connection closes or the request is answered (a deadline) before the body is complete.
 */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number): Promise<string> {
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
    // After 'end' these do nothing; before it, no 'end' will come (node stops reading a request once it is answered).
    const incomplete = () => reject(new HttpError(400, 'BODY_INCOMPLETE', 'the connection closed before the request body was complete', 'badRequest'));
    req.once('close', incomplete);
    res.once('close', incomplete);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `the request body is larger than ${limit} bytes`, 'tooLarge');
}

/** The path and query of a request target (origin- or absolute-form); 400 if it is not a URL. */
function requestUrl(target: string): URL {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    const shown = target.length > 100 ? `${target.slice(0, 100)}...` : target;
    throw new HttpError(400, 'BAD_REQUEST', `the request target ${JSON.stringify(shown)} is not a valid URL path`, 'badRequest');
  }
}

/** What node's parser or deadlines found wrong with a connection's bytes, as a refusal. */
function clientErrorReply(error: NodeJS.ErrnoException): HttpError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new HttpError(408, 'TIMEOUT', 'the request was not received in time', 'timeout');
  if (error.code === 'HPE_HEADER_OVERFLOW') return new HttpError(431, 'HEADERS_TOO_LARGE', 'the request headers are too large', 'tooLarge');
  return new HttpError(400, 'BAD_REQUEST', `malformed HTTP request (${error.code ?? 'unknown'}: ${error.message})`, 'badRequest');
}

/** Options checked before anything starts: a usage error names the one at fault. */
function checkHttpOptions(options: HttpServerOptions): void {
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  for (const [name, value, min] of [
    ['port', options.port, 0],
    ['maxBodyBytes', options.maxBodyBytes, 1],
    ['maxQueue', options.maxQueue, 0],
    ['headersTimeoutMs', headersTimeoutMs, 1],
    ['requestTimeoutMs', options.requestTimeoutMs, headersTimeoutMs],
    ['maxConnections', options.maxConnections, 1],
    ['maxReadingBodies', options.maxReadingBodies, 1],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min || (name === 'port' && value > 65535))) {
      const range = name === 'port' ? ' in 0..65535' : name === 'requestTimeoutMs' ? ` of at least headersTimeoutMs (${min})` : ` of at least ${min}`;
      throw new ZkinferError('USAGE', `${name} must be an integer${range}, found ${value}`);
    }
  }
}

/** `zkinfer serve DIR`: proofs made here, on a warm worker pool. */
export async function startProvingServer(dir: string, options: ProvingServerOptions): Promise<ProvingServer> {
  checkHttpOptions(options);
  const prover = options.prover ?? (await createProver(dir, options));
  const ownProver = !options.prover;
  const backend: ProofBackend<InferenceInput, ServerMetrics> = {
    capacity: prover.shape.size + (options.maxQueue ?? 4 * prover.shape.size),
    parse: (text) => prover.parseInputText(text, 'request body'),
    async run(input, _params, start) {
      const result = await prover.prove(input, 'request body');
      return { status: 200, proved: true, body: { ...result.bundle, timing: { totalMs: performance.now() - start, witnessMs: result.witnessMs, proveMs: result.proveMs } } };
    },
    health: () => ({ model: prover.model.name, workers: prover.shape.size }),
    metrics() {
      const stats = prover.stats();
      return {
        model: prover.model.name,
        verificationKey: prover.verificationKey,
        queued: stats.queued,
        running: stats.running,
        workers: stats.workers.map((w) => ({ pid: w.pid, jobs: w.jobs, peakRssBytes: w.peakRss })),
        pool: { size: stats.size, threadsPerWorker: stats.threadsPerWorker },
      };
    },
    close: () => (ownProver ? prover.close() : Promise.resolve()),
  };
  try {
    return { ...(await serveHttp(backend, options)), prover };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

/**
 * `zkinfer serve DIR... --queue URL`: requests checked here go on the models' queues and are
 * proven by `zkinfer worker`s; each proof is checked here again before it is answered.
 *   POST /prove?model=KEYHASH&wait=false   202 { id, model, status: "/jobs/ID" } at once;
 *                                          without wait=false, 200 the proof (or 202 after waitTimeoutMs)
 *   GET  /jobs/ID                          200 the job's state, every attempt's outcome and its proof
 *   GET  /metrics                          the HTTP counts plus the fleet's (fleet.ts)
 */
export async function startQueueServer(dirs: string[], options: QueueServerOptions): Promise<QueueServer> {
  checkHttpOptions(options);
  const waitTimeoutMs = options.waitTimeoutMs ?? 300_000;
  const queue = await openProofQueue({ url: options.url, models: dirs, ...(options.attempts !== undefined ? { attempts: options.attempts } : {}) });
  const models = [...queue.models.values()].map((m) => ({ keyHash: m.keyHash, name: m.name }));
  const jobAnswer = (id: string, model: string) => ({ id, model, status: `/jobs/${id}` });
  const backend: ProofBackend<{ model: string; input: InferenceInput }, QueueServerMetrics> = {
    capacity: options.maxQueue ?? 256,
    parse(text, params) {
      const { model, input } = queue.parseInputText(text, 'request body', params.get('model') ?? undefined);
      return { model: model.keyHash, input };
    },
    async run({ model, input }, params, start) {
      const job = await queue.submitProofJob(input, { model, where: 'request body' });
      if (params.get('wait') === 'false') return { status: 202, proved: false, body: jobAnswer(job.id, job.model) };
      try {
        const result = await queue.waitForProof(job.id, waitTimeoutMs);
        return { status: 200, proved: true, body: { ...result.bundle, job: { id: job.id, worker: result.worker }, timing: { totalMs: performance.now() - start, witnessMs: result.witnessMs, proveMs: result.proveMs } } };
      } catch (error) {
        // Not finished in time: the job goes on, and the client polls for it.
        if (error instanceof ZkinferError && error.code === 'QUEUE' && error.details.state !== undefined && error.details.state !== 'failed') {
          return { status: 202, proved: false, body: jobAnswer(job.id, job.model) };
        }
        throw error;
      }
    },
    get(pathname) {
      const id = /^\/jobs\/([^/]+)$/.exec(pathname)?.[1];
      if (id === undefined) return undefined;
      return async () => {
        try {
          return { status: 200, body: await queue.jobStatus(decodeURIComponent(id)) };
        } catch (error) {
          if (error instanceof ZkinferError && error.details.reason === 'unknown job') return { status: 404, body: errorBody('NOT_FOUND', error.message) };
          throw error;
        }
      };
    },
    health: () => ({ models }),
    metrics: () => ({ queue: options.url, models }),
    fleet: () => queue.fleetMetrics(),
    close: () => queue.close(),
  };
  try {
    return { ...(await serveHttp(backend, options)), queue };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

async function serveHttp<Request, M extends HttpMetrics>(backend: ProofBackend<Request, M>, options: HttpServerOptions): Promise<HttpServer<M>> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 2 ** 20;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? Math.max(30_000, headersTimeoutMs);
  const maxConnections = options.maxConnections ?? 128;
  const maxReadingBodies = options.maxReadingBodies ?? 32;
  const { capacity } = backend;
  const started = Date.now();
  const latencies: number[] = [];
  const counts = { requests: 0, proved: 0, failed: 0 };
  const rejected: Rejections = { badRequest: 0, badInput: 0, tooLarge: 0, timeout: 0, readingFull: 0, queueFull: 0, connections: 0, stopping: 0 };
  let reading = 0;
  let inFlight = 0;
  let stopping = false;
  let idle: (() => void) | undefined;

  const metrics = (): M => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const minutes = (Date.now() - started) / 60_000;
    const http: HttpMetrics = {
      uptimeSeconds: (Date.now() - started) / 1000,
      ...counts,
      rejected: { ...rejected },
      reading,
      inFlight,
      capacity,
      limits: { maxBodyBytes, headersTimeoutMs, requestTimeoutMs, maxConnections, maxReadingBodies },
      proofsPerMinute: minutes > 0 ? counts.proved / minutes : 0,
      latencyMs: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) ?? 0, samples: sorted.length },
    };
    return { ...backend.metrics(), ...http } as M;
  };

  /**
   * Answer a request that failed, counting it once by its reason; a request already answered (or
   * whose connection is gone) is left alone. An unread body closes the connection rather than
   * being drained. Never throws: this is the last line of defence.
   */
  const fail = (req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void => {
    try {
      if (res.headersSent || res.destroyed) return;
      const close: http.OutgoingHttpHeaders = req.complete ? {} : { connection: 'close' };
      let reply: HttpError;
      if (error instanceof HttpError) reply = error;
      else if (error instanceof ZkinferError && error.code === 'INPUT_INVALID') reply = new HttpError(400, error.code, error.message, 'badInput');
      else if (error instanceof ZkinferError && error.details.reason === 'pool closed') reply = new HttpError(503, 'STOPPING', 'the server stopped before this proof was done', 'stopping');
      else {
        counts.failed += 1;
        return send(res, 500, errorBody(error instanceof ZkinferError ? error.code : 'INTERNAL', messageOf(error)), close);
      }
      rejected[reply.reason] += 1;
      send(res, reply.status, errorBody(reply.code, reply.message), { ...reply.headers, ...close });
    } catch {
      res.destroy();
    }
  };

  const prove = async (req: http.IncomingMessage, res: http.ServerResponse, params: URLSearchParams): Promise<void> => {
    const start = performance.now();
    if (stopping) throw new HttpError(503, 'STOPPING', 'the server is stopping', 'stopping');
    if (reading >= maxReadingBodies) {
      throw new HttpError(429, 'BUSY', `${maxReadingBodies} request bodies are being received already; retry later`, 'readingFull', { 'retry-after': '1' });
    }
    // The body is read outside the proving slots: a slow sender holds a reading slot at most until its deadline.
    reading += 1;
    let text: string;
    try {
      text = await readBody(req, res, maxBodyBytes);
    } finally {
      reading -= 1;
    }
    const request = backend.parse(text, params);
    if (stopping) throw new HttpError(503, 'STOPPING', 'the server is stopping', 'stopping');
    if (inFlight >= capacity) {
      throw new HttpError(429, 'QUEUE_FULL', `the proving queue is full (${capacity} requests admitted); retry later`, 'queueFull', { 'retry-after': '1' });
    }
    inFlight += 1;
    try {
      const answer = await backend.run(request, params, start);
      if (answer.proved) {
        latencies.push(performance.now() - start);
        if (latencies.length > LATENCY_WINDOW) latencies.shift();
        counts.proved += 1;
      }
      send(res, answer.status, answer.body);
    } finally {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    counts.requests += 1;
    // HTTP/1.1 requires Host (node would answer 400 itself, without a JSON body); nothing here depends on its value.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) throw new HttpError(400, 'BAD_REQUEST', 'an HTTP/1.1 request must have a Host header', 'badRequest');
    const { pathname, searchParams } = requestUrl(req.url ?? '/');
    const route = `${req.method} ${pathname}`;
    if (route === 'POST /prove') return prove(req, res, searchParams);
    // Anything else has no body worth reading (the request deadline still bounds one sent slowly).
    req.resume();
    if (route === 'GET /health') return send(res, stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok', ...backend.health() });
    if (route === 'GET /metrics') return send(res, 200, backend.fleet ? { ...metrics(), fleet: await backend.fleet() } : metrics());
    const extra = req.method === 'GET' ? backend.get?.(pathname) : undefined;
    if (extra) {
      const { status, body } = await extra();
      return send(res, status, body);
    }
    if (['/prove', '/health', '/metrics'].includes(pathname) || backend.get?.(pathname)) {
      return send(res, 405, errorBody('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${pathname}`), { allow: pathname === '/prove' ? 'POST' : 'GET' });
    }
    send(res, 404, errorBody('NOT_FOUND', `no such endpoint: ${pathname} (POST /prove, ${backend.get ? 'GET /jobs/ID, ' : ''}GET /health, GET /metrics)`));
  };

  /** Each connection's latest request, so a deadline or parse error in its body can answer through it. */
  const latest = new WeakMap<Socket, { req: http.IncomingMessage; res: http.ServerResponse }>();

  const server = http.createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node checks its deadlines only this often (30 s by default, which would stretch a 10 s deadline to 40 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
      keepAliveTimeout: 5_000,
      requireHostHeader: false,
    },
    (req, res) => {
      latest.set(req.socket, { req, res });
      handle(req, res).catch((error) => fail(req, res, error));
    },
  );
  server.maxConnections = maxConnections;
  server.on('drop', () => (rejected.connections += 1));
  // An Expect other than 100-continue: node would answer 417 itself, without a JSON body.
  server.on('checkExpectation', (req, res) => {
    counts.requests += 1;
    fail(req, res, new HttpError(417, 'EXPECTATION_FAILED', `Expect: ${req.headers.expect} is not supported`, 'badRequest'));
  });
  // Malformed HTTP, oversized headers, a missed deadline: answer once and close, never throw.
  const answered = new WeakSet<Socket>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (answered.has(socket)) return; // node reports every later chunk of a broken stream again
    answered.add(socket);
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) return void socket.destroy();
    const reply = clientErrorReply(error);
    const current = latest.get(socket);
    if (current && !current.req.complete) {
      // The request being received is the one at fault (its body broken or late): answer through it,
      // unless it was answered already (then a second answer would be one nobody asked for).
      fail(current.req, current.res, reply);
      if (current.res.writableFinished || !current.res.headersSent) return void socket.destroy();
      return void current.res.once('close', () => socket.destroy());
    }
    // A request before the broken one is still being answered: let it finish, then close.
    if (current && !current.res.writableFinished) return void current.res.once('close', () => socket.destroy());
    rejected[reply.reason] += 1;
    const text = JSON.stringify(errorBody(reply.code, reply.message));
    const head = `HTTP/1.1 ${reply.status} ${http.STATUS_CODES[reply.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n`;
    socket.end(head + text, () => socket.destroy());
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ZkinferError('USAGE', `cannot listen on ${host}:${options.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : messageOf(error)}`, { cause: error });
  }
  // Once listening, the server's own errors are failed accepts (EMFILE, ECONNABORTED): node goes on
  // accepting, and without a listener the error would end the process.
  server.on('error', () => {});
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
      await backend.close();
      server.closeAllConnections();
      await stopped;
    })());

  return { url: `http://${urlHost}:${address.port}`, host: address.address, port: address.port, metrics, close };
}
