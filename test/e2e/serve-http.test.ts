/**
 * The proving service's HTTP layer under hostile clients, over raw TCP on 127.0.0.1: request
 * targets that are not URLs, a seeded fuzz of request lines, headers, chunked bodies, pipelining
 * and abrupt closes (after each case the service must still answer GET /health), slow clients
 * that trickle headers or bodies while honest requests are proven, and the connection cap.
 * One real prover is made for the file and lent to each server; every proof is a real one.
 */
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Prover, type ProvingServer, type ProvingServerOptions, compileStep, createProver, quantizeStep, setupStep, startProvingServer, verifyGroth16 } from '../../index.js';
import type { VerificationKey } from '../../prover/verify.js';
import { randomInputs, writeTinyModel } from '../helpers/fixtures.js';

let modelDir: string;
let tmp: string;
let dir: string;
let vk: VerificationKey;
let prover: Prover;
const inputs = randomInputs(21, 8, 16);

beforeAll(async () => {
  modelDir = await writeTinyModel();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-serve-http-'));
  dir = path.join(tmp, 'artifacts');
  await quantizeStep({ model: modelDir, out: dir });
  await compileStep(dir);
  await setupStep(dir);
  vk = JSON.parse(await fs.readFile(path.join(dir, 'keys', 'verification_key.json'), 'utf8'));
  prover = await createProver(dir, { size: 1 });
});

afterAll(async () => {
  await prover?.close();
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.rm(modelDir, { recursive: true, force: true });
});

async function withServer(options: Partial<ProvingServerOptions>, body: (server: ProvingServer) => Promise<void>): Promise<void> {
  const server = await startProvingServer(dir, { port: 0, prover, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
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

describe('slow clients', () => {
  it('cannot hold proving slots: honest requests are proven while they trickle, and the deadlines cut them off', async () => {
    const headersTimeoutMs = 800;
    const requestTimeoutMs = 2_000;
    await withServer({ maxQueue: 1, headersTimeoutMs, requestTimeoutMs }, async (server) => {
      expect(server.metrics().capacity).toBe(2);
      // More slow senders than there are proving slots, plus slow headers and a connection that says nothing.
      const slowBodies = Array.from({ length: 5 }, () => trickledBody(server.port, 100, 10_000));
      const slowHeads = Array.from({ length: 2 }, () => trickledHeaders(server.port, 100, 10_000));
      const silent = exchange(server.port, [], { then: 'keep', waitMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      expect(server.metrics().reading).toBe(5);

      for (const input of inputs.slice(0, 3)) {
        const reply = await exchange(server.port, [provePost(input, 'Connection: close\r\n')], { then: 'keep', waitMs: 60_000 });
        const [response] = parseResponses(reply.data);
        expect(response?.status, response?.body).toBe(200);
        const proof = JSON.parse(response!.body);
        expect(await verifyGroth16(vk, proof.publicSignals, proof.proof)).toBe(true);
      }

      for (const [slow, deadline] of [
        ...slowBodies.map((p) => [p, requestTimeoutMs] as const),
        ...slowHeads.map((p) => [p, headersTimeoutMs] as const),
        [silent, headersTimeoutMs] as const,
      ]) {
        const reply = await slow;
        expect(reply.closedByServer).toBe(true);
        // Cut off after the deadline, within node's checking interval and some scheduling slack.
        expect(reply.ms).toBeGreaterThanOrEqual(deadline - 50);
        expect(reply.ms).toBeLessThan(deadline + 1_500);
        const responses = parseResponses(reply.data);
        expect(responses.map((r) => [r.status, JSON.parse(r.body).error.code])).toEqual([[408, 'TIMEOUT']]);
      }
      const metrics = server.metrics();
      expect(metrics).toMatchObject({ proved: 3, reading: 0, inFlight: 0 });
      expect(metrics.rejected).toMatchObject({ timeout: 8, queueFull: 0, readingFull: 0 });
      expect(await health(server)).toBe(200);
    });
  });

  it('have a budget of their own: bodies beyond maxReadingBodies get 429 at once, and GETs are still served', async () => {
    await withServer({ maxReadingBodies: 2, headersTimeoutMs: 1_000, requestTimeoutMs: 3_000 }, async (server) => {
      const slow = [trickledBody(server.port, 100, 10_000), trickledBody(server.port, 100, 10_000)];
      await new Promise((r) => setTimeout(r, 300));
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
