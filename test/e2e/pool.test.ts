/**
 * The warm prover on a small model, as services and batch users meet it: createProver (the same
 * input checks as `zkinfer prove`, proofs that verify, nothing left running after close),
 * `zkinfer prove --batch` (one bad line fails alone, every proof file whole), the HTTP service
 * with real requests on 127.0.0.1 (limits, a bounded load test, clean stop on SIGTERM), and the
 * throughput measurement.
 */
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Prover, createProver, measureThroughput, quantizeStep, startProvingServer, verifyGroth16 } from '../../index.js';
import type { VerificationKey } from '../../prover/verify.js';
import { randomInputs } from '../helpers/fixtures.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';
import { runCli } from '../helpers/node-script.js';
import { nonMsmShare, verifyPoolProofs } from '../../bench/throughput.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let artifacts: TinyArtifacts;
let modelDir: string;
let dir: string;
let tmp: string;
let vk: VerificationKey;
const inputs = randomInputs(11, 6, 16);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  artifacts = await makeTinyArtifacts('zkinfer-pool-');
  ({ modelDir, tmp, dir, vk } = artifacts);
});

afterAll(async () => artifacts?.remove());

describe('createProver', () => {
  let prover: Prover;
  afterAll(async () => prover?.close());

  it('proves on warm workers; every proof verifies and shows the reference outputs', async () => {
    prover = await createProver(dir, { size: 2 });
    expect(prover.shape).toMatchObject({ size: 2, threadsPerWorker: 1 });
    // Warm: both workers are up before the first proof.
    expect(prover.stats().workers.map((w) => w.pid).filter(alive)).toHaveLength(2);
    const results = await Promise.all(inputs.slice(0, 4).map((values, k) => prover.prove({ values, salt: BigInt(k) })));
    for (const result of results) {
      expect(await verifyGroth16(vk, result.publicSignals, result.proof)).toBe(true);
      expect(result.bundle.verificationKey).toBe(prover.verificationKey);
      // The label is the first largest logit, in the model's units.
      const logits = result.outputs.logits!.map((v, i) => Number(v) * result.outputs.logitScales![i]!);
      expect(result.outputs.label).toBe(logits.indexOf(Math.max(...logits)));
      expect(result.cpuMs).toBeGreaterThan(0);
    }
    expect(new Set(results.map((r) => r.workerPid)).size).toBeLessThanOrEqual(2);
    const file = path.join(modelDir, 'input.json');
    const fromFile = await prover.prove(file);
    expect(await verifyGroth16(vk, fromFile.publicSignals, fromFile.proof)).toBe(true);
    const stats = prover.stats();
    expect(stats.proved).toBe(5);
    expect(stats.workers.every((w) => w.peakRss > 50 * 2 ** 20)).toBe(true);
  });

  it('agrees with a one-shot `zkinfer prove` (its own process, no pool): the same public signals and outputs, both proofs verify', async () => {
    const [values, salt] = [inputs[5]!, 77n];
    const pooled = await prover.prove({ values, salt });
    const [inputFile, proofFile] = [path.join(tmp, 'one-shot-input.json'), path.join(tmp, 'one-shot-proof.json')];
    await fs.writeFile(inputFile, JSON.stringify({ input: values, salt: salt.toString() }));
    const run = await runCli(['prove', dir, '--input', inputFile, '--out', proofFile, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const bundle = JSON.parse(await fs.readFile(proofFile, 'utf8'));
    expect(bundle.publicSignals).toEqual(pooled.publicSignals);
    expect(bundle.outputs).toEqual(JSON.parse(JSON.stringify(pooled.outputs)));
    expect(JSON.parse(run.stdout).outputs).toEqual(bundle.outputs);
    expect(await verifyGroth16(vk, bundle.publicSignals, bundle.proof)).toBe(true);
    expect(await verifyGroth16(vk, pooled.publicSignals, pooled.proof)).toBe(true);
    // Fresh blinding in each: the same statement, two different proofs.
    expect(bundle.proof.pi_a).not.toEqual(pooled.proof.pi_a);
  });

  it('refuses an input out of range, or of the wrong shape, before any witness, naming where', async () => {
    const jobsBefore = prover.stats().workers.reduce((n, w) => n + w.jobs, 0);
    const values = [...inputs[0]!];
    values[5] = 7;
    await expect(prover.prove({ values })).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/input\[5\] = 7 is outside the model's input range/) });
    await expect(prover.prove(prover.parseInput({ input: values }, 'request 9'), 'request 9')).rejects.toThrow(/^request 9: input\[5\] = 7 is outside/);
    expect(() => prover.parseInput({ input: [1, 2] }, 'request 10')).toThrow(/request 10: input must have 16 entries, found 2/);
    expect(() => prover.parseInputText('{"input": [', 'request 11')).toThrow(/request 11 is not valid JSON/);
    expect(prover.stats().workers.reduce((n, w) => n + w.jobs, 0)).toBe(jobsBefore);
  });

  it('with threads, proves each proof on that many threads of one worker, and the proofs verify', async () => {
    const threaded = await createProver(dir, { optimize: 'latency', size: 1, threads: 3 });
    try {
      expect(threaded.shape).toMatchObject({ size: 1, threadsPerWorker: 3, reason: 'as set' });
      for (const [k, values] of inputs.slice(0, 3).entries()) {
        const result = await threaded.prove({ values, salt: BigInt(k) });
        expect(result.threads).toBe(3);
        expect(await verifyGroth16(vk, result.publicSignals, result.proof)).toBe(true);
      }
    } finally {
      await threaded.close();
    }
    const latency = await createProver(dir, { optimize: 'latency', warm: false });
    await latency.close();
    expect(latency.shape).toMatchObject({ size: 1, reason: expect.stringMatching(/^latency: one worker, each proof on \d+ threads? of the \d+ cores?, so that it finishes soonest$/) });
  });

  it('close stops every worker and later proofs are refused', async () => {
    const pids = prover.stats().workers.map((w) => w.pid);
    await prover.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(prover.prove({ values: inputs[0]! })).rejects.toThrow(/closed/);
  });

  it('refuses a folder without keys with the command that makes them', async () => {
    const bare = path.join(tmp, 'bare');
    await quantizeStep({ model: modelDir, out: bare });
    await expect(createProver(bare)).rejects.toMatchObject({ code: 'ARTIFACT_MISSING' });
  });
});

describe('zkinfer prove --batch', () => {
  it('proves every good line, fails each bad one alone with its reason, and writes a summary', async () => {
    const batch = path.join(tmp, 'inputs.jsonl');
    const outOfRange = [...inputs[1]!];
    outOfRange[3] = -2;
    const lines = [
      JSON.stringify({ input: inputs[0] }),
      JSON.stringify({ input: inputs[1], salt: '42' }),
      JSON.stringify({ input: outOfRange }),
      '',
      '{"input": [0.1, 0.2',
      JSON.stringify({ input: inputs[2] }),
      JSON.stringify({ input: inputs[3], salt: 'x' }),
      JSON.stringify({ input: inputs[4] }),
    ];
    await fs.writeFile(batch, lines.join('\n') + '\n');
    const out = path.join(tmp, 'proofs');
    const run = await runCli(['prove', dir, '--batch', batch, '--out', out, '--workers', '2'], { timeoutMs: 300_000 });
    expect(run.timedOut).toBe(false);
    expect(run.code, run.stderr).toBe(3); // some inputs were bad
    expect(run.stderr).not.toMatch(/\r/); // no progress bar when not on a terminal
    expect(run.stdout).toMatch(/proved 4 of 7 inputs .* proofs\/min, 2 worker\(s\) × 1 thread\(s\)/);
    expect(run.stdout).toMatch(/line 3: .*inputs\.jsonl:3: input\[3\] = -2 is outside the model's input range/);

    const summary = JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ format: 'zkinfer-batch/1', model: 'tiny_mlp', count: 7, proved: 4, failed: 3 });
    expect(summary.failures.map((f: { line: number; code: string }) => [f.line, f.code])).toEqual([
      [3, 'INPUT_INVALID'],
      [5, 'INPUT_INVALID'],
      [7, 'INPUT_INVALID'],
    ]);
    expect(summary.failures[1].reason).toMatch(/inputs\.jsonl:5 is not valid JSON/);
    expect(summary.failures[2].reason).toMatch(/inputs\.jsonl:7: salt must be a decimal string/);
    expect(summary.proofsPerMinute).toBeGreaterThan(0);
    expect(summary.pool.workerPeakRssBytes).toHaveLength(2);
    expect(summary.proofs.map((p: { line: number }) => p.line)).toEqual([1, 2, 6, 8]);
    // One whole proof file per good line, nothing else (no temp files), each one verifies.
    expect((await fs.readdir(out)).sort()).toEqual(['proof-000001.json', 'proof-000002.json', 'proof-000006.json', 'proof-000008.json', 'summary.json']);
    const verified = await runCli(['verify', dir, '--proof', path.join(out, 'proof-000002.json')], { timeoutMs: 120_000 });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^valid/);
  });

  it('is a usage error to give both --input and --batch, or a missing batch file', async () => {
    const both = await runCli(['prove', dir, '--input', path.join(modelDir, 'input.json'), '--batch', 'x.jsonl'], { timeoutMs: 60_000 });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --input FILE .* or --batch FILE\.jsonl/);
    const missing = await runCli(['prove', dir, '--batch', path.join(tmp, 'nope.jsonl'), '--out', path.join(tmp, 'nope')], { timeoutMs: 60_000 });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/batch file not found: .*nope\.jsonl/);
  });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One HTTP request on loopback; the body may be larger than the server accepts. */
function request(url: string, method: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    // The server may answer (413, 429) and close before the whole body is sent: the answer counts.
    req.on('error', (error) => reject(error));
    req.setTimeout(120_000, () => req.destroy(new Error('request timed out')));
    req.end(body);
  });
}

describe('the proving service', () => {
  it('answers proofs, health and metrics on 127.0.0.1, with size and queue limits', async () => {
    const server = await startProvingServer(dir, { port: 0, size: 1, maxQueue: 1, maxBodyBytes: 4096 });
    const pids = server.prover.stats().workers.map((w) => w.pid);
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await request(`${server.url}/health`, 'GET');
      expect(health).toMatchObject({ status: 200, body: { status: 'ok', model: 'tiny_mlp', workers: 1 } });

      const proved = await request(`${server.url}/prove`, 'POST', JSON.stringify({ input: inputs[0], salt: '7' }));
      expect(proved.status).toBe(200);
      expect(proved.body.format).toBe('zkinfer-proof/1');
      expect(await verifyGroth16(vk, proved.body.publicSignals, proved.body.proof)).toBe(true);
      expect(proved.body.timing.totalMs).toBeGreaterThan(0);

      const bad = [...inputs[0]!];
      bad[0] = 2;
      const outOfRange = await request(`${server.url}/prove`, 'POST', JSON.stringify({ input: bad }));
      expect(outOfRange).toMatchObject({ status: 400, body: { error: { code: 'INPUT_INVALID', message: expect.stringMatching(/request body: input\[0\] = 2 is outside/) } } });
      expect((await request(`${server.url}/prove`, 'POST', '{"input": ')).status).toBe(400);
      const big = await request(`${server.url}/prove`, 'POST', JSON.stringify({ input: inputs[0], pad: 'x'.repeat(5000) }));
      expect(big).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
      expect((await request(`${server.url}/nothing`, 'GET')).status).toBe(404);
      expect((await request(`${server.url}/prove`, 'GET')).status).toBe(405);

      // A bounded load test: 10 requests at once against room for 2 (one proving, one waiting).
      const started = performance.now();
      const replies = await Promise.all(inputs.concat(inputs).slice(0, 10).map((input) => request(`${server.url}/prove`, 'POST', JSON.stringify({ input }))));
      const statuses = replies.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      const accepted = statuses.filter((s) => s === 200).length;
      expect(accepted).toBeGreaterThanOrEqual(2);
      expect(accepted).toBeLessThan(10);
      const refused = replies.find((r) => r.status === 429)!;
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body.error.message).toMatch(/queue is full \(2 requests admitted\)/);
      expect(performance.now() - started).toBeLessThan(120_000);

      const metrics = (await request(`${server.url}/metrics`, 'GET')).body;
      expect(metrics).toMatchObject({ model: 'tiny_mlp', proved: 1 + accepted, failed: 0, capacity: 2, inFlight: 0 });
      expect(metrics.rejected).toEqual({ badRequest: 0, badInput: 2, tooLarge: 1, timeout: 0, readingFull: 0, queueFull: 10 - accepted, connections: 0, stopping: 0 });
      expect(metrics.latencyMs.samples).toBe(1 + accepted);
      expect(metrics.workers[0].peakRssBytes).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(request(`${server.url}/health`, 'GET')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('`zkinfer serve` stops cleanly on SIGTERM, leaving no worker behind', async () => {
    const bin = fileURLToPath(new URL('../../bin/zkinfer.js', import.meta.url));
    const limits = ['--max-body', '5000', '--headers-timeout', '2000', '--request-timeout', '7000', '--max-connections', '16', '--max-reading', '3'];
    const child = spawn(process.execPath, [bin, 'serve', dir, '--port', '0', '--workers', '1', ...limits], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
          const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        child.on('close', () => reject(new Error(`serve exited early: ${stderr}`)));
      });
      const proved = await request(`${url}/prove`, 'POST', JSON.stringify({ input: inputs[5] }));
      expect(proved.status).toBe(200);
      const metrics = (await request(`${url}/metrics`, 'GET')).body;
      expect(metrics.limits).toEqual({ maxBodyBytes: 5000, headersTimeoutMs: 2000, requestTimeoutMs: 7000, maxConnections: 16, maxReadingBodies: 3 });
      const workerPids: number[] = metrics.workers.map((w: { pid: number }) => w.pid);
      expect(workerPids).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/stopped: 1 proved, 0 failed, 0 rejected/);
      for (const pid of workerPids) expect(alive(pid)).toBe(false);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('`zkinfer serve` refuses limits out of range or deadlines that contradict each other, before starting workers', async () => {
    const contradicting = await runCli(['serve', dir, '--port', '0', '--headers-timeout', '5000', '--request-timeout', '1000'], { timeoutMs: 60_000 });
    expect(contradicting.code).toBe(2);
    expect(contradicting.stderr).toMatch(/requestTimeoutMs must be an integer of at least headersTimeoutMs \(5000\), found 1000/);
    const none = await runCli(['serve', dir, '--port', '0', '--max-connections', '0'], { timeoutMs: 60_000 });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--max-connections must be an integer in 1\.\.100000, found '0'/);
  });
});

describe('measureThroughput', () => {
  it('measures the pool, the plain loop, the cold CLI and the MSM floor on the key itself', async () => {
    const r = await measureThroughput(dir, { proofs: 4, coldProofs: 1, msmRepeats: 1, size: 1, threads: 1 });
    expect(r.model).toBe('tiny_mlp');
    expect(r.pool).toMatchObject({ proofs: 4, size: 1, threadsPerWorker: 1 });
    expect(r.plainLoop.proofs).toBe(4);
    expect(r.cold!.secondsEach).toHaveLength(1);
    for (const m of [r.pool, r.plainLoop, r.cold!]) {
      expect(m.proofsPerMinute).toBeCloseTo((60 * m.proofs) / m.seconds, 6);
      expect(m.cpuMsPerProof).toBeGreaterThan(0);
    }
    expect(r.constraintsPerSecond).toBeCloseTo((r.constraints * 4) / r.pool.seconds, 6);
    // The MSMs run over the key's own sections: A, B1, B2 over every wire, C over the private ones, H over the domain.
    expect(r.msm.points).toEqual({ a: r.wires, b1: r.wires, b2: r.wires, c: r.wires - 6 - 1, h: r.domainSize });
    expect(r.msm.ms).toBeGreaterThan(0);
    expect(r.msm.proofMs).toBeGreaterThan(r.msm.ms);
    expect(r.msm.ffjavascriptMs).toBeGreaterThan(0);
    // What is not the five MSMs, of the pool's CPU time per proof (absent when the MSMs measured alone took longer).
    expect(r.msm.nonMsmShareOfPoolCpu).toBe(nonMsmShare(r.msm.ms, r.pool.cpuMsPerProof));
    expect(r.pool.workerPeakRssBytes).toHaveLength(1);
    expect(r.pool.verified).toBe(4);
  });

  it("counts the pool's proofs only when every one verifies", async () => {
    const prover = await createProver(dir, { size: 1 });
    let results;
    try {
      results = await Promise.all(inputs.slice(0, 2).map((values) => prover.prove({ values })));
    } finally {
      await prover.close();
    }
    expect(await verifyPoolProofs(dir, results)).toBe(2);
    const other = results[0]!.publicSignals;
    const tampered = [results[0]!, { ...results[1]!, publicSignals: [...other.slice(0, -1), String(BigInt(other.at(-1)!) + 1n)] }];
    await expect(verifyPoolProofs(dir, tampered)).rejects.toThrow(/proof 2 of 2 does not verify/);
  });
});
