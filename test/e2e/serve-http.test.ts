/**
 * The proving service's HTTP layer under hostile clients, over raw TCP on 127.0.0.1: request
 * targets that are not URLs, a seeded fuzz of request lines, headers, chunked bodies, pipelining
 * and abrupt closes (after each case the service must still answer GET /health), slow clients
 * that trickle headers or bodies while honest requests are proven, and the connection cap.
 * One real prover is made for the file and lent to each server; every proof is a real one.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Prover, type ProvingServer, type ProvingServerOptions, type ServerMetrics, createProver, startProvingServer, verifyGroth16 } from '../../index.js';
import type { VerificationKey } from '../../prover/verify.js';
import { randomInputs } from '../helpers/fixtures.js';
import { type Rng, randomInt, seededRng } from '../helpers/random.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';

let artifacts: TinyArtifacts;
let dir: string;
let vk: VerificationKey;
let prover: Prover;
const inputs = randomInputs(21, 8, 16);

beforeAll(async () => {
  artifacts = await makeTinyArtifacts('zkinfer-serve-http-');
  ({ dir, vk } = artifacts);
  prover = await createProver(dir, { size: 1 });
});

afterAll(async () => {
  await prover?.close();
  await artifacts?.remove();
});

async function withServer(options: Partial<ProvingServerOptions>, body: (server: ProvingServer) => Promise<void>): Promise<void> {
  const server = await startProvingServer(dir, { port: 0, prover, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Wait until `condition` holds, checking every 20 ms, for at most `ms`. */
async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!condition() && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
}

interface Exchange {
  /** Everything the server sent. */
  data: Buffer;
  /** The server closed the connection (or reset it) before the client gave up waiting. */
  closedByServer: boolean;
  ms: number;
}

/**
 * Open a TCP connection, write `parts` (waiting `gapMs` between them), then half-close (`end`),
 * reset (`destroy`) or keep the connection open (`keep`) and collect what comes back until the
 * server closes it or `waitMs` pass.
 */
function exchange(port: number, parts: (string | Buffer)[], options: { gapMs?: number; then?: 'end' | 'destroy' | 'keep'; waitMs?: number } = {}): Promise<Exchange> {
  const { gapMs = 0, then = 'end', waitMs = 5_000 } = options;
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closedByServer, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (socket.destroyed) return;
        socket.write(part);
      }
      if (then === 'end') socket.end();
      else if (then === 'destroy') socket.resetAndDestroy();
    });
  });
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Split what a server sent into HTTP/1.1 responses, failing on anything that is not one. */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = data.toString('latin1');
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    expect(end, `an unterminated response head: ${JSON.stringify(rest.slice(0, 200))}`).toBeGreaterThan(0);
    const [statusLine, ...headerLines] = rest.slice(0, end).split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(statusLine!);
    expect(match, `a malformed status line: ${JSON.stringify(statusLine)}`).not.toBeNull();
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      expect(colon, `a malformed header line: ${JSON.stringify(line)}`).toBeGreaterThan(0);
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(match![1]);
    rest = rest.slice(end + 4);
    if (status < 200) continue; // 100 Continue: no body
    expect(headers['content-length'], `a response without content-length: ${statusLine}`).toMatch(/^\d+$/);
    const length = Number(headers['content-length']);
    expect(rest.length, `a truncated body after ${statusLine}`).toBeGreaterThanOrEqual(length);
    const body = Buffer.from(rest.slice(0, length), 'latin1').toString('utf8');
    rest = rest.slice(length);
    if (status >= 400) {
      expect(headers['content-type']).toMatch(/^application\/json/);
      const json = JSON.parse(body);
      expect(typeof json.error?.code, `an error body without a code: ${body}`).toBe('string');
      expect(typeof json.error?.message).toBe('string');
    }
    responses.push({ status, headers, body });
  }
  return responses;
}

async function health(server: ProvingServer): Promise<number> {
  const reply = await exchange(server.port, ['GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  const [response] = parseResponses(reply.data);
  return response?.status ?? 0;
}

function provePost(input: number[], extraHeaders = ''): string {
  const body = JSON.stringify({ input });
  return `POST /prove HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;
}

describe('a request target that is not a URL', () => {
  it('is answered 400 with a JSON error, and the service goes on', async () => {
    await withServer({}, async (server) => {
      for (const target of ['//[', '//[::1', 'http://[/', '//%', '//a:b:c/']) {
        const reply = await exchange(server.port, [`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`]);
        const responses = parseResponses(reply.data);
        expect(responses.map((r) => r.status), `GET ${target}`).toEqual([400]);
        expect(JSON.parse(responses[0]!.body).error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('not a valid URL') });
        expect(await health(server)).toBe(200);
      }
      expect(server.metrics().rejected.badRequest).toBeGreaterThanOrEqual(1);
    });
  });
});

/** A POST /prove whose headers are complete and whose body then trickles in a byte every `gapMs`. */
function trickledBody(port: number, gapMs: number, waitMs: number): Promise<Exchange> {
  const body = JSON.stringify({ input: inputs[0] });
  const head = `POST /prove HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  return exchange(port, [head, ...body.split('')], { gapMs, then: 'keep', waitMs });
}

/** A request whose headers trickle in a byte every `gapMs`. */
function trickledHeaders(port: number, gapMs: number, waitMs: number): Promise<Exchange> {
  const head = `POST /prove HTTP/1.1\r\nHost: x\r\n${'X-Slow: '.padEnd(400, 'z')}\r\n\r\n`;
  return exchange(port, head.split(''), { gapMs, then: 'keep', waitMs });
}

const pick = <T,>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'get', 'GE T', 'FOO', '', 'POST\0', '\x80\xff'];
const TARGETS = [
  '/health', '/health', '/prove', '/prove', '/metrics', '//[', '%', '/%', '/%zz', '/%00', '/he\0alth', 'http://example.com/health', 'http://[/', 'https://x:99999/prove',
  '*', '', ' ', '/health?x=%&y', '/health#frag', '/\xe9\xff', '/ health', '/../../etc/passwd', `/${'a'.repeat(3_000)}`, `/${'%'.repeat(20_000)}`,
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '', 'HTTP/9.9', 'http/1.1'];
const HEADERS = [
  'Host: x', 'Host: a\r\nHost: b', 'X-Big: ' + 'v'.repeat(20_000), 'X Y: 1', 'X\0: 1', ': empty', 'X-Nul: a\0b', 'X-Del: a\x7fb', 'X-Fold: a\r\n  folded',
  'Content-Length: abc', 'Content-Length: -1', 'Content-Length: 1e3', 'Content-Length: 5\r\nContent-Length: 6', 'Content-Length: 99999999999999999999',
  'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked, gzip', 'Transfer-Encoding: identity', 'Transfer-Encoding: chunked\r\nContent-Length: 3',
  'Expect: 100-continue', 'Expect: teapot', 'Connection: close', 'Connection: Upgrade\r\nUpgrade: websocket', 'Connection: keep-alive', 'Content-Type: text/plain',
  'X-Bare-LF: 1\nX-After: 2', '\x01\x02: \x03',
];

/** A body and the framing headers that go with it: by length, chunked (maybe broken), or none. */
function fuzzBody(rng: Rng): { headers: string[]; body: string } {
  const valid = JSON.stringify({ input: pick(rng, inputs), salt: String(randomInt(rng, 0, 99)) });
  const tooLarge = JSON.stringify({ input: pick(rng, inputs), pad: 'x'.repeat(5_000) });
  const text = pick(rng, [valid, valid, '{"input": [', JSON.stringify({ input: [2, 3] }), '', tooLarge, tooLarge, '\0\0\0', JSON.stringify({ input: 'x'.repeat(100) })]);
  const framing = pick(rng, ['length', 'length', 'chunked', 'badChunk', 'truncated', 'short', 'none']);
  const hex = Buffer.byteLength(text).toString(16);
  switch (framing) {
    case 'length':
      return { headers: [`Content-Length: ${Buffer.byteLength(text)}`], body: text };
    case 'chunked': {
      const cut = randomInt(rng, 0, text.length);
      const chunks = [text.slice(0, cut), text.slice(cut)].filter((c) => c.length > 0);
      return { headers: ['Transfer-Encoding: chunked'], body: chunks.map((c) => `${Buffer.byteLength(c).toString(16)};ext=1\r\n${c}\r\n`).join('') + '0\r\nX-Trailer: t\r\n\r\n' };
    }
    case 'badChunk':
      return { headers: ['Transfer-Encoding: chunked'], body: pick(rng, [`zz\r\n${text}\r\n0\r\n\r\n`, `${hex}\r\n${text}0\r\n\r\n`, `${hex}\n${text}\n0\n\n`, `-1\r\n\r\n`, `ffffffffffffffffff\r\n${text}`]) };
    case 'truncated':
      return { headers: ['Transfer-Encoding: chunked'], body: `${hex}\r\n${text.slice(0, text.length >> 1)}` };
    case 'short':
      return { headers: [`Content-Length: ${Buffer.byteLength(text) + 10}`], body: text };
    default:
      return { headers: [], body: text };
  }
}

/** One request, mostly well-formed with one or two hostile parts; `last` asks the server to close after it. */
function fuzzRequest(rng: Rng, last: boolean): { text: string; unframed: boolean } {
  const sane = rng() < 0.5;
  const method = sane ? pick(rng, ['GET', 'POST', 'POST']) : pick(rng, METHODS);
  const target = sane ? pick(rng, ['/health', '/prove', '/prove', '/metrics', '/nothing']) : pick(rng, TARGETS);
  const version = sane ? 'HTTP/1.1' : pick(rng, VERSIONS);
  const line = sane ? `${method} ${target} ${version}` : pick(rng, [`${method} ${target} ${version}`, `${method} ${target} ${version}`, `${method}  ${target} ${version}`, `${method} ${target}`, `${method}\t${target} ${version}`]);
  const headers = rng() < 0.9 ? ['Host: x'] : [];
  for (let k = sane ? 0 : randomInt(rng, 0, 2); k > 0; k--) headers.push(pick(rng, HEADERS));
  if (last) headers.push('Connection: close');
  let body = '';
  if (method === 'POST' || rng() < 0.15) {
    const framed = fuzzBody(rng);
    headers.push(...framed.headers);
    body = framed.body;
  }
  // A body without framing headers is, to the server, the start of another request.
  return { text: `${line}\r\n${headers.join('\r\n')}\r\n\r\n${body}`, unframed: body.length > 0 && !/content-length|transfer-encoding/i.test(headers.join()) };
}

const ANSWERS = new Set([200, 400, 404, 405, 408, 413, 417, 429, 431, 503]);

describe('the HTTP layer under a seeded fuzz', () => {
  it('answers every malformed, hostile, pipelined or cut-off request well-formed or not at all, and keeps serving', async () => {
    const rng = seededRng(20261206);
    const cases = 160;
    const budgetMs = 35_000;
    const started = performance.now();
    const seen = new Map<number, number>();
    let ran = 0;
    let counted!: ServerMetrics;
    await withServer({ maxQueue: 2, maxBodyBytes: 4_096, headersTimeoutMs: 1_000, requestTimeoutMs: 1_500 }, async (server) => {
      for (let i = 0; i < cases && performance.now() - started < budgetMs; i++) {
        // Then: half-close at once, wait for the server to answer and close (the last request says
        // Connection: close; a cut-off one waits for its deadline), or reset the connection.
        const then = pick(rng, ['end', 'keep', 'keep', 'destroy'] as const);
        const count = rng() < 0.25 ? randomInt(rng, 2, 3) : 1;
        const requests = Array.from({ length: count }, (_, k) => fuzzRequest(rng, then === 'keep' && k === count - 1));
        const bytes = Buffer.from(requests.map((r) => r.text).join(''), 'latin1');
        // Written whole, or split at random points (a request's parts in separate packets).
        const cuts = [0, ...Array.from({ length: randomInt(rng, 0, 3) }, () => randomInt(rng, 0, bytes.length)).sort((a, b) => a - b), bytes.length];
        const parts = cuts.slice(1).map((end, k) => bytes.subarray(cuts[k], end)).filter((p) => p.length > 0);
        const label = `case ${i} (${then}): ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`;
        const reply = await exchange(server.port, parts, { gapMs: parts.length > 1 ? 5 : 0, then, waitMs: 5_000 });
        let responses: RawResponse[] = [];
        try {
          responses = parseResponses(reply.data);
        } catch (error) {
          throw new Error(`${label}: ${(error as Error).message}; the server sent ${JSON.stringify(reply.data.toString("latin1").slice(0, 300))}`);
        }
        // At most one answer per request (a request's own broken body must not get a second one).
        expect(responses.length, label).toBeLessThanOrEqual(requests.length + requests.filter((r) => r.unframed).length);
        for (const r of responses) {
          expect(ANSWERS.has(r.status), `${label}: status ${r.status} ${r.body}`).toBe(true);
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        }
        expect(await health(server), label).toBe(200);
        ran += 1;
      }
      // Nothing is left held: aborted bodies released their reading slots and admitted proofs finished.
      await until(() => server.metrics().reading === 0 && server.metrics().inFlight === 0);
      expect(server.metrics()).toMatchObject({ reading: 0, inFlight: 0 });
      const reply = await exchange(server.port, [provePost(inputs[2]!, 'Connection: close\r\n')], { then: 'keep', waitMs: 60_000 });
      const [proved] = parseResponses(reply.data);
      expect(proved?.status).toBe(200);
      const proof = JSON.parse(proved!.body);
      expect(await verifyGroth16(vk, proof.publicSignals, proof.proof)).toBe(true);
      counted = server.metrics();
    });
    // The fuzz reached the layers it is meant to: parser errors, routing, body limits, input checks, deadlines and real proofs.
    // (Refusals are counted by the server: an answer raced by the client's own reset or half-close still counts.)
    expect(ran, `only ${ran} cases in ${budgetMs} ms`).toBeGreaterThanOrEqual(60);
    for (const status of [200, 400, 404, 405]) expect(seen.get(status) ?? 0, `answers with ${status}: ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    expect(counted.proved).toBeGreaterThan(1);
    for (const reason of ['badRequest', 'badInput', 'tooLarge', 'timeout'] as const) expect(counted.rejected[reason], `rejected.${reason}: ${JSON.stringify(counted.rejected)}`).toBeGreaterThan(0);
  });
});

describe('slow clients', () => {
  it('cannot hold proving slots: honest requests are proven while they trickle, and the deadlines cut them off', async () => {
    const headersTimeoutMs = 800;
    const requestTimeoutMs = 3_000;
    await withServer({ maxQueue: 1, headersTimeoutMs, requestTimeoutMs }, async (server) => {
      expect(server.metrics().capacity).toBe(2);
      // More slow senders than there are proving slots, plus slow headers and a connection that says nothing.
      const slowBodies = Array.from({ length: 5 }, () => trickledBody(server.port, 100, 10_000));
      const slowHeads = Array.from({ length: 2 }, () => trickledHeaders(server.port, 100, 10_000));
      const silent = exchange(server.port, [], { then: 'keep', waitMs: 10_000 });
      await until(() => server.metrics().reading === 5);
      expect(server.metrics().reading).toBe(5);

      const proved: RawResponse[] = [];
      for (const input of inputs.slice(0, 3)) {
        const reply = await exchange(server.port, [provePost(input, 'Connection: close\r\n')], { then: 'keep', waitMs: 60_000 });
        const [response] = parseResponses(reply.data);
        expect(response?.status, response?.body).toBe(200);
        proved.push(response!);
        // Proven while every slow sender was still holding its connection and reading slot.
        if (proved.length === 1) expect(server.metrics().reading).toBe(5);
      }

      for (const [slow, deadline] of [
        ...slowBodies.map((p) => [p, requestTimeoutMs] as const),
        ...slowHeads.map((p) => [p, headersTimeoutMs] as const),
        [silent, headersTimeoutMs] as const,
      ]) {
        const reply = await slow;
        expect(reply.closedByServer).toBe(true);
        // Cut off after the deadline, within node's checking interval and scheduling slack on a busy
        // machine (without a deadline they would trickle for 15 s, past the 10 s the client waits).
        expect(reply.ms).toBeGreaterThanOrEqual(deadline - 50);
        expect(reply.ms).toBeLessThan(deadline + 3_000);
        const responses = parseResponses(reply.data);
        expect(responses.map((r) => [r.status, JSON.parse(r.body).error.code])).toEqual([[408, 'TIMEOUT']]);
      }
      // Verified only now: verifying blocks this thread, which would delay noticing the cut-offs.
      for (const response of proved) {
        const proof = JSON.parse(response.body);
        expect(await verifyGroth16(vk, proof.publicSignals, proof.proof)).toBe(true);
      }
      await until(() => server.metrics().reading === 0);
      const metrics = server.metrics();
      expect(metrics).toMatchObject({ proved: 3, reading: 0, inFlight: 0 });
      expect(metrics.rejected).toMatchObject({ timeout: 8, queueFull: 0, readingFull: 0 });
      expect(await health(server)).toBe(200);
    });
  });

  it('have a budget of their own: bodies beyond maxReadingBodies get 429 at once, and GETs are still served', async () => {
    await withServer({ maxReadingBodies: 2, headersTimeoutMs: 1_000, requestTimeoutMs: 3_000 }, async (server) => {
      const slow = [trickledBody(server.port, 100, 10_000), trickledBody(server.port, 100, 10_000)];
      await until(() => server.metrics().reading === 2);
      const third = await exchange(server.port, [provePost(inputs[1]!)], { then: 'keep' });
      expect(third.closedByServer).toBe(true);
      const [response] = parseResponses(third.data);
      expect(response).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
      expect(JSON.parse(response!.body).error.code).toBe('BUSY');
      expect(await health(server)).toBe(200);
      expect(server.metrics().rejected.readingFull).toBe(1);
      for (const reply of await Promise.all(slow)) expect(parseResponses(reply.data).map((r) => r.status)).toEqual([408]);
    });
  });
});

describe('connections', () => {
  it('beyond maxConnections are closed as they arrive, and counted', async () => {
    await withServer({ maxConnections: 3 }, async (server) => {
      const held = Array.from({ length: 3 }, () => net.connect(server.port, '127.0.0.1'));
      await Promise.all(held.map((socket) => new Promise((r) => socket.once('connect', r))));
      await new Promise((r) => setTimeout(r, 100));
      const extra = await exchange(server.port, ['GET /health HTTP/1.1\r\nHost: x\r\n\r\n'], { then: 'keep' });
      expect(extra.closedByServer).toBe(true);
      expect(extra.data.length).toBe(0);
      expect(extra.ms).toBeLessThan(1_000);
      expect(server.metrics().rejected.connections).toBe(1);
      for (const socket of held) socket.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(await health(server)).toBe(200);
    });
  });

  it('limits and deadlines are checked before anything starts', async () => {
    await expect(startProvingServer(dir, { port: 0, prover, headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'USAGE',
      message: 'requestTimeoutMs must be an integer of at least headersTimeoutMs (5000), found 1000',
    });
    await expect(startProvingServer(dir, { port: 0, prover, maxConnections: 0 })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/^maxConnections must be/) });
    await expect(startProvingServer(dir, { port: 0, prover, maxReadingBodies: 1.5 })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/^maxReadingBodies must be/) });
  });
});
