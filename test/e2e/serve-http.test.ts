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
