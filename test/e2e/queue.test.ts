/**
 * The proof queue under the faults of issue 22, on 127.0.0.1 against a real redis-server that this
 * file starts on a port of its own (helpers/redis.ts; no mock): workers are `zkinfer worker`
 * processes (killed with SIGKILL where the fault says so), producers are the library's ProofQueue
 * and `zkinfer serve --queue`'s HTTP layer. Every proof handed out is checked by the producer
 * (reference public signals, Groth16 verification) and again here with the verification key.
 * Two tiny models (different weights, different keys) keep the CPU cost small.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProofQueue, InputError, connectRedis, createProver, openProofQueue, proofJobId, queueName, readFleetMetrics, startQueueServer, verifyGroth16 } from '../../index.js';
import type { ProofJobData, ProofJobResult } from '../../pipeline/queue/jobs.js';
import { randomInputs } from '../helpers/fixtures.js';
import { distModule, runCli } from '../helpers/node-script.js';
import { type TestRedis, startSlowLink, startTestRedis } from '../helpers/redis.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';

const BIN = new URL('../../bin/zkinfer.js', import.meta.url).pathname;
/** Short locks so that a dead worker's job is taken back in seconds, not the default 30. */
const LOCK_MS = 1500;

let redis: TestRedis;
let a: TinyArtifacts;
let b: TinyArtifacts;
let keyA: string;
let keyB: string;
let producer: ProofQueue;
const running = new Set<ChildProcess>();

interface WorkerProcess {
  name: string;
  proc: ChildProcess;
  /** The worker's events, each with the time this process read it (performance.now()). */
  events: { kind: string; job?: string; model?: string; message: string; at: number }[];
  /** Resolves when an event matching `test` has been printed (or rejects if the worker exits first). */
  waitFor(test: (e: WorkerProcess['events'][number]) => boolean, what: string): Promise<void>;
  exited: Promise<number | null>;
}

function startWorker(name: string, models: string[], extra: string[] = [], url = redis.url): WorkerProcess {
  distModule('cli/main.js');
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--models', ...models, '--name', name, '--lock', String(LOCK_MS), '--grace', '5000', '--json', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  const worker: WorkerProcess = {
    name,
    proc,
    events: [],
    exited: new Promise((resolve) => proc.once('exit', (code) => (running.delete(proc), resolve(code)))),
    waitFor: (test, what) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (worker.events.some(test)) return resolve();
          if (proc.exitCode !== null || proc.signalCode !== null) return reject(new Error(`worker ${name} exited before ${what}:\n${stderr}`));
          setTimeout(check, 10);
        };
        check();
      }),
  };
  let stderr = '';
  let buffered = '';
  proc.stderr!.on('data', (chunk) => (stderr += chunk));
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) worker.events.push({ ...JSON.parse(line), at: performance.now() });
  });
  return worker;
}

async function stopWorker(worker: WorkerProcess): Promise<number | null> {
  if (worker.proc.exitCode === null && worker.proc.signalCode === null) worker.proc.kill('SIGTERM');
  return worker.exited;
}

/** The lines of a job's log (every attempt: "attempt N on NAME: started | proved | CODE: reason | handed back"). */
async function jobLog(model: string, id: string): Promise<string[]> {
  const queue = new Queue(queueName(model), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer' });
  try {
    return (await queue.getJobLogs(id)).logs;
  } finally {
    await queue.close();
  }
}

/** The process ids of a process's children (Linux's /proc). */
function childPids(pid: number): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(entry)] : [];
    } catch {
      return []; // gone while we looked
    }
  });
}

const proofsIn = (log: string[]) => log.filter((line) => line.endsWith(': proved'));

async function verifiesWith(artifacts: TinyArtifacts, bundle: { publicSignals: string[]; proof: never }): Promise<boolean> {
  return verifyGroth16(artifacts.vk, bundle.publicSignals, bundle.proof);
}

beforeAll(async () => {
  redis = await startTestRedis();
  a = await makeTinyArtifacts('zkinfer-queue-a-', 7);
  b = await makeTinyArtifacts('zkinfer-queue-b-', 8);
  const keyOf = async (dir: string) => JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')).stages.setup.outputs['keys/verification_key.json'] as string;
  [keyA, keyB] = [await keyOf(a.dir), await keyOf(b.dir)];
  expect(keyA).not.toBe(keyB);
  producer = await openProofQueue({ url: redis.url, models: [a.dir, b.dir] });
});

afterAll(async () => {
  for (const proc of running) proc.kill('SIGKILL');
  await producer?.close();
  await redis?.remove();
  await a?.remove();
  await b?.remove();
});

describe('proof queue (BullMQ on a real redis-server)', () => {
  it('refuses a bad input before it is a job, and a bad job already queued fails at once with its reason', async () => {
    const inputs = randomInputs(101, 1, 16);
    expect(() => producer.parseInputText(JSON.stringify({ input: inputs[0]!.slice(1) }), 'request', keyA)).toThrow(InputError);
    await expect(producer.submitProofJob({ values: inputs[0]!.map(() => 7) }, { model: keyA })).rejects.toThrow(/input.*range|outside|range/i);
    // A job put on the queue by someone who skipped the checks: 15 values for a 16-input model.
    const data: ProofJobData = { model: keyA, input: { input: inputs[0]!.slice(1) } };
    const id = proofJobId(data);
    const raw = new Queue(queueName(keyA), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer' });
    await raw.add('prove', data, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    await raw.close();
    const worker = startWorker('w-bad-input', [a.dir]);
    try {
      await expect(producer.waitForProof(id, 60_000)).rejects.toThrow(/INPUT_INVALID/);
      const status = await producer.jobStatus(id);
      expect(status.state).toBe('failed');
      expect(status.attempts).toEqual(['attempt 1 on w-bad-input: started', expect.stringMatching(/^attempt 1 on w-bad-input: INPUT_INVALID: .*16/)]);
      expect(status.failedReason).toMatch(/^INPUT_INVALID/);
    } finally {
      expect(await stopWorker(worker)).toBe(0);
    }
  });

  it('50 identical requests at once over HTTP are one job with one proof', async () => {
    const server = await startQueueServer([a.dir, b.dir], { url: redis.url, port: 0 });
    const worker = startWorker('w-dup', [a.dir, b.dir]);
    try {
      const body = JSON.stringify({ input: randomInputs(202, 1, 16)[0], salt: '99' });
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${server.url}/prove?model=${keyB}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(async (r) => ({ status: r.status, json: await r.json() }))),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200));
      const ids = new Set(answers.map((r) => r.json.job.id));
      expect(ids.size).toBe(1);
      const proofs = new Set(answers.map((r) => JSON.stringify(r.json.proof)));
      expect(proofs.size).toBe(1);
      expect(await verifiesWith(b, answers[0]!.json)).toBe(true);
      const [id] = [...ids] as string[];
      expect(proofsIn(await jobLog(keyB, id!))).toHaveLength(1);
      // Polling the job gives the same proof; an unknown id is 404, a malformed one 400.
      const polled = await (await fetch(`${server.url}/jobs/${id}`)).json();
      expect(polled).toMatchObject({ id, model: keyB, state: 'completed', worker: 'w-dup' });
      expect(JSON.stringify(polled.proof.proof)).toBe([...proofs][0]);
      expect((await fetch(`${server.url}/jobs/${'0'.repeat(64)}`)).status).toBe(404);
      expect((await fetch(`${server.url}/jobs/nope`)).status).toBe(400);
      expect((await fetch(`${server.url}/jobs/${id}`, { method: 'DELETE' })).status).toBe(405);
      // wait=false answers 202 with the id at once: the same job again.
      const early = await fetch(`${server.url}/prove?model=${keyB}&wait=false`, { method: 'POST', body });
      expect(early.status).toBe(202);
      expect((await early.json()).id).toBe(id);
      const metrics = await (await fetch(`${server.url}/metrics`)).json();
      expect(metrics.fleet.workers.find((w: { worker: string }) => w.worker === 'w-dup')).toMatchObject({ live: true });
      expect(metrics.fleet.models.find((m: { model: string }) => m.model === keyB).completed).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
      expect(await stopWorker(worker)).toBe(0);
    }
  });

  it('a worker killed with SIGKILL mid-proof: the job is proven once, by another worker', async () => {
    const events = new QueueEvents(queueName(keyA), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer' });
    const completions = new Map<string, number>();
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    await events.waitUntilReady();
    try {
      // The kill lands between the worker's "proving" report and its answer; if the proof won the
      // race (a tiny circuit proves in milliseconds), the next trial kills on a new job.
      let killedMidProof: string | undefined;
      for (let trial = 0; trial < 5 && !killedMidProof; trial++) {
        const doomed = startWorker(`w-doomed-${trial}`, [a.dir]);
        await doomed.waitFor((e) => e.kind === 'listening', 'listening');
        const proving = new Promise<string>((resolve) => events.on('progress', ({ jobId, data }) => (data as { worker?: string }).worker === doomed.name && resolve(jobId)));
        const { id } = await producer.submitProofJob({ values: randomInputs(300 + trial, 1, 16)[0]! }, { model: keyA });
        expect(await proving).toBe(id);
        doomed.proc.kill('SIGKILL');
        await doomed.exited;
        if ((await jobLog(keyA, id)).some((line) => line === `attempt 1 on ${doomed.name}: proved`)) continue;
        killedMidProof = id;
      }
      expect(killedMidProof, 'no kill landed mid-proof in 5 trials').toMatch(/^[0-9a-f]{64}$/);
      const id = killedMidProof!;
      const rescuer = startWorker('w-rescuer', [a.dir]);
      try {
        const result = await producer.waitForProof(id, 60_000);
        expect(result.worker).toBe('w-rescuer');
        expect(await verifiesWith(a, result.bundle as never)).toBe(true);
        const log = await jobLog(keyA, id);
        expect(log[0]).toMatch(/^attempt 1 on w-doomed-\d: started$/);
        expect(proofsIn(log)).toEqual(['attempt 2 on w-rescuer: proved']);
        // Give a late duplicate every chance to show up before counting.
        await new Promise((r) => setTimeout(r, 2 * LOCK_MS));
        expect(completions.get(id)).toBe(1);
      } finally {
        expect(await stopWorker(rescuer)).toBe(0);
      }
    } finally {
      await events.close();
    }
  });

  it('SIGTERM with no grace left: the held job is handed back (no attempt spent) and proven by another worker', async () => {
    const events = new QueueEvents(queueName(keyB), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer' });
    await events.waitUntilReady();
    try {
      let handedBack: string | undefined;
      for (let trial = 0; trial < 5 && !handedBack; trial++) {
        const leaving = startWorker(`w-leaving-${trial}`, [b.dir], ['--grace', '0']);
        await leaving.waitFor((e) => e.kind === 'listening', 'listening');
        const proving = new Promise<string>((resolve) => events.on('progress', ({ jobId, data }) => (data as { worker?: string }).worker === leaving.name && resolve(jobId)));
        const { id } = await producer.submitProofJob({ values: randomInputs(350 + trial, 1, 16)[0]! }, { model: keyB });
        expect(await proving).toBe(id);
        leaving.proc.kill('SIGTERM');
        expect(await leaving.exited).toBe(0);
        if (leaving.events.some((e) => e.kind === 'handed back' && e.job === id)) handedBack = id;
      }
      expect(handedBack, 'no job was handed back in 5 trials').toMatch(/^[0-9a-f]{64}$/);
      const heir = startWorker('w-heir', [b.dir]);
      try {
        const result = await producer.waitForProof(handedBack!, 60_000);
        expect(result.worker).toBe('w-heir');
        const log = await jobLog(keyB, handedBack!);
        expect(log).toEqual([
          expect.stringMatching(/^attempt 1 on w-leaving-\d: started$/),
          expect.stringMatching(/^attempt 1 on w-leaving-\d: handed back \(worker stopping\)$/),
          'attempt 2 on w-heir: started',
          'attempt 2 on w-heir: proved',
        ]);
        expect((await producer.jobStatus(handedBack!)).state).toBe('completed');
      } finally {
        expect(await stopWorker(heir)).toBe(0);
      }
    } finally {
      await events.close();
    }
  });

  it("a worker awaits no log or progress write between proofs: behind a slow link to Redis, a job costs one round trip, and its log and progress still land in order", async () => {
    // Every chunk between the worker and Redis is held 150 ms each way: a round trip is 300 ms or
    // more, far above a tiny proof. Awaiting the "started" line, the progress and the "proved" line
    // cost three round trips a job beside BullMQ's completion (which fetches the next job): 1.2 s.
    const delayMs = 150;
    const link = await startSlowLink(redis.port, delayMs);
    const events = new QueueEvents(queueName(keyB), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer' });
    const progressOf = new Map<string, unknown>();
    events.on('progress', ({ jobId, data }) => progressOf.set(jobId, data));
    await events.waitUntilReady();
    const slow = startWorker('w-slow-link', [b.dir], [], link.url);
    try {
      await slow.waitFor((e) => e.kind === 'listening', 'listening');
      const jobs = await Promise.all(randomInputs(950, 6, 16).map((values) => producer.submitProofJob({ values }, { model: keyB })));
      for (const job of jobs) expect((await producer.waitForProof(job.id, 60_000)).worker).toBe('w-slow-link');
      // From the first proof (the key's load is before it) to the last: the time a job takes.
      const provedAt = jobs.map((job) => slow.events.find((e) => e.kind === 'proved' && e.job === job.id)!.at).sort((x, y) => x - y);
      const perJob = (provedAt.at(-1)! - provedAt[0]!) / (jobs.length - 1);
      expect(perJob, `ms per job behind a ${2 * delayMs} ms round trip`).toBeLessThan(3 * 2 * delayMs);
      for (const job of jobs) {
        expect(await jobLog(keyB, job.id)).toEqual(['attempt 1 on w-slow-link: started', 'attempt 1 on w-slow-link: proved']);
        expect(progressOf.get(job.id)).toEqual({ stage: 'proving', worker: 'w-slow-link' });
      }
      expect(slow.events.filter((e) => e.kind === 'error')).toEqual([]);
    } finally {
      expect(await stopWorker(slow)).toBe(0);
      await events.close();
      await link.close();
    }
  });

  it('a worker holds the next job while it proves: behind a slow link to Redis, the job after a proof starts at once, not a round trip later', async () => {
    // Without a job fetched ahead, a prover idles after each proof for BullMQ's completion of it,
    // which fetches the next job: a round trip (here 300 ms or more) before every proof. With one,
    // the next is waiting when a proof ends, at least every other time even when proofs are far
    // shorter than the round trip (two jobs then arrive per round trip).
    const delayMs = 150;
    const link = await startSlowLink(redis.port, delayMs);
    const fed = startWorker('w-fed', [b.dir], [], link.url);
    try {
      await fed.waitFor((e) => e.kind === 'listening', 'listening');
      const jobs = await Promise.all(randomInputs(960, 9, 16).map((values) => producer.submitProofJob({ values }, { model: keyB })));
      const results = new Map<string, ProofJobResult>();
      for (const job of jobs) results.set(job.id, await producer.waitForProof(job.id, 60_000));
      expect(new Set([...results.values()].map((r) => r.worker))).toEqual(new Set(['w-fed']));
      const provedAt = (id: string) => fed.events.find((e) => e.kind === 'proved' && e.job === id)!.at;
      const order = [...jobs].sort((x, y) => provedAt(x.id) - provedAt(y.id));
      // The prover's idle time before each proof after the first: the time between two proofs'
      // ends, less the later proof's own witness and proof times.
      const idle = order.slice(1).map((job, k) => {
        const { witnessMs, proveMs } = results.get(job.id)!;
        return provedAt(job.id) - provedAt(order[k]!.id) - witnessMs - proveMs;
      });
      const prompt = idle.filter((ms) => ms < delayMs);
      expect(prompt.length, `proofs that started less than ${delayMs} ms after the last one ended (idle ms: ${idle.map((ms) => ms.toFixed(0)).join(', ')})`).toBeGreaterThanOrEqual(idle.length / 2);
    } finally {
      expect(await stopWorker(fed)).toBe(0);
      await link.close();
    }
  });

  it('SIGTERM with grace left: a job held but not started is handed back at once, the one proving finishes', async () => {
    const worker = startWorker('w-ahead', [a.dir]);
    let stopped: number | undefined;
    try {
      await worker.waitFor((e) => e.kind === 'listening', 'listening');
      const warm = await producer.submitProofJob({ values: randomInputs(970, 1, 16)[0]! }, { model: keyA });
      await producer.waitForProof(warm.id, 60_000);
      // The worker's prover process, paused: the next proof cannot end until it is resumed.
      stopped = childPids(worker.proc.pid!)[0];
      expect(stopped, 'the worker has a prover process').toBeGreaterThan(0);
      process.kill(stopped!, 'SIGSTOP');
      const jobs = await Promise.all(randomInputs(971, 2, 16).map((values) => producer.submitProofJob({ values }, { model: keyA })));
      for (let waited = 0; (await Promise.all(jobs.map((j) => producer.jobStatus(j.id)))).some((status) => status.state !== 'active'); waited += 20) {
        if (waited > 10_000) throw new Error('the worker did not take a second job while it proved the first');
        await new Promise((r) => setTimeout(r, 20));
      }
      // Active in BullMQ is not yet on the prover: SIGTERM once one of them has gone to it.
      await worker.waitFor((e) => e.kind === 'proving' && jobs.some((j) => j.id === e.job), 'one of the two jobs on the prover');
      worker.proc.kill('SIGTERM');
      // Handed back within the grace (5 s), while the proof in progress is still paused.
      await worker.waitFor((e) => e.kind === 'handed back', 'a job handed back');
      const ahead = worker.events.find((e) => e.kind === 'handed back')!.job!;
      const proving = jobs.find((j) => j.id !== ahead)!.id;
      expect(jobs.map((j) => j.id)).toContain(ahead);
      expect(worker.events.some((e) => e.kind === 'proved' && e.job === proving)).toBe(false);
      process.kill(stopped!, 'SIGCONT');
      stopped = undefined;
      expect(await worker.exited).toBe(0);
      expect(worker.events.filter((e) => e.kind === 'handed back').map((e) => e.job)).toEqual([ahead]);
      expect(await jobLog(keyA, proving)).toEqual(['attempt 1 on w-ahead: started', 'attempt 1 on w-ahead: proved']);
      expect(await jobLog(keyA, ahead)).toEqual(['attempt 1 on w-ahead: started', 'attempt 1 on w-ahead: handed back (worker stopping)']);
      const heir = startWorker('w-ahead-heir', [a.dir]);
      try {
        expect((await producer.waitForProof(ahead, 60_000)).worker).toBe('w-ahead-heir');
        expect((await producer.waitForProof(proving, 60_000)).worker).toBe('w-ahead');
      } finally {
        expect(await stopWorker(heir)).toBe(0);
      }
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await stopWorker(worker);
    }
  });

  it('a memory budget that fits one key: the least recently used idle key is unloaded to load the other', async () => {
    // 200 MiB: one tiny model's prover process (about 160 MiB estimated) fits, two do not.
    const worker = startWorker('w-lru', [a.dir, b.dir], ['--memory', '200']);
    try {
      for (const [k, key] of [keyA, keyB, keyA].entries()) {
        const job = await producer.submitProofJob({ values: randomInputs(700 + k, 1, 16)[0]! }, { model: key });
        expect((await producer.waitForProof(job.id, 60_000)).worker).toBe('w-lru');
      }
      const kinds = worker.events.filter((e) => e.kind === 'loaded' || e.kind === 'evicted').map((e) => `${e.kind} ${e.model === keyA ? 'A' : 'B'}`);
      expect(kinds).toEqual(['loaded A', 'evicted A', 'loaded B', 'evicted B', 'loaded A']);
    } finally {
      expect(await stopWorker(worker)).toBe(0);
    }
  });

  it('Redis restarted (append-only file) while jobs wait: every job is still there and proven', async () => {
    const inputs = randomInputs(404, 6, 16);
    const jobs = await Promise.all(inputs.map((values, i) => producer.submitProofJob({ values }, { model: i % 2 ? keyA : keyB })));
    await redis.stop();
    await redis.start();
    const check = await connectRedis(redis.url);
    try {
      const fleet = await readFleetMetrics(check, [keyA, keyB]);
      expect(fleet.waiting).toBeGreaterThanOrEqual(jobs.length);
    } finally {
      check.disconnect();
    }
    const worker = startWorker('w-after-restart', [a.dir, b.dir]);
    try {
      // The producer's connections came back by themselves.
      const results = await Promise.all(jobs.map((job) => producer.waitForProof(job.id, 120_000)));
      for (const [i, result] of results.entries()) expect(await verifiesWith(i % 2 ? a : b, result.bundle as never)).toBe(true);
      for (const job of jobs) expect(proofsIn(await jobLog(job.model, job.id))).toHaveLength(1);
    } finally {
      expect(await stopWorker(worker)).toBe(0);
    }
  });

  it('a key a worker cannot load: the attempt fails with that reason, the worker stays up, the job is proven elsewhere or fails with every reason', async () => {
    // A copy of model A whose proving key is corrupt (one byte flipped).
    const corrupt = path.join(a.tmp, 'corrupt');
    await fs.cp(a.dir, corrupt, { recursive: true });
    const zkey = path.join(corrupt, 'keys', 'model.zkey');
    const bytes = await fs.readFile(zkey);
    bytes[bytes.length - 100] ^= 0xff;
    await fs.writeFile(zkey, bytes);

    const strict = await openProofQueue({ url: redis.url, models: [a.dir], attempts: 2 });
    const bad1 = startWorker('w-corrupt-1', [corrupt, b.dir]);
    const bad2 = startWorker('w-corrupt-2', [corrupt]);
    let good: WorkerProcess | undefined;
    try {
      await Promise.all([bad1, bad2].map((w) => w.waitFor((e) => e.kind === 'listening', 'listening')));
      // Two attempts, two workers that cannot load the key: the job fails with both reasons.
      const doomed = await strict.submitProofJob({ values: randomInputs(505, 1, 16)[0]! });
      await expect(strict.waitForProof(doomed.id, 60_000)).rejects.toThrow(/cannot load the key/);
      const status = await strict.jobStatus(doomed.id);
      expect(status.state).toBe('failed');
      const reasons = status.attempts.filter((line) => !line.endsWith(': started'));
      expect(reasons).toHaveLength(2);
      for (const reason of reasons) expect(reason).toMatch(/^attempt \d on w-corrupt-\d: ARTIFACT_INVALID: worker w-corrupt-\d cannot load the key of tiny_mlp from .*corrupt: /);
      expect(new Set(reasons.map((r) => r.split(':')[0]!.split(' on ')[1])).size).toBe(2);

      // Both stay up: w-corrupt-1 still proves model B.
      const other = await producer.submitProofJob({ values: randomInputs(506, 1, 16)[0]! }, { model: keyB });
      expect((await producer.waitForProof(other.id, 60_000)).worker).toBe('w-corrupt-1');
      expect([bad1, bad2].map((w) => w.proc.exitCode)).toEqual([null, null]);

      // They no longer take model A's jobs; a worker with a good copy proves the next one.
      const saved = await producer.submitProofJob({ values: randomInputs(507, 1, 16)[0]! }, { model: keyA });
      good = startWorker('w-good', [a.dir]);
      const result = await producer.waitForProof(saved.id, 60_000);
      expect(result.worker).toBe('w-good');
      expect(await verifiesWith(a, result.bundle as never)).toBe(true);
      const fleet = await producer.fleetMetrics();
      expect(fleet.failures.ARTIFACT_INVALID).toBeGreaterThanOrEqual(1);
      expect(fleet.models.find((m) => m.model === keyA)!.workers).toEqual(['w-good']);
    } finally {
      await strict.close();
      for (const w of [bad1, bad2, good]) if (w) expect(await stopWorker(w)).toBe(0);
    }
  });

  it('load: 300 jobs, two models, three workers, one killed and restarted halfway: every proof verifies, each once', async () => {
    const total = 300;
    const inputs = randomInputs(606, total, 16);
    const listeners = [keyA, keyB].map((key) => new QueueEvents(queueName(key), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer' }));
    const completions = new Map<string, number>();
    for (const events of listeners) events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    await Promise.all(listeners.map((events) => events.waitUntilReady()));
    const workers = ['w-load-1', 'w-load-2', 'w-load-3'].map((name) => startWorker(name, [a.dir, b.dir]));
    try {
      const jobs = await Promise.all(inputs.map((values, i) => producer.submitProofJob({ values, salt: BigInt(i) }, { model: i % 2 ? keyA : keyB })));
      expect(new Set(jobs.map((j) => j.id)).size).toBe(total);
      while (completions.size < total / 2) await new Promise((r) => setTimeout(r, 20));
      workers[1]!.proc.kill('SIGKILL');
      await workers[1]!.exited;
      workers.push(startWorker('w-load-2-again', [a.dir, b.dir]));
      const results = await Promise.all(jobs.map((job) => producer.waitForProof(job.id, 300_000)));
      for (const [i, result] of results.entries()) expect(await verifiesWith(i % 2 ? a : b, result.bundle as never)).toBe(true);
      await new Promise((r) => setTimeout(r, 2 * LOCK_MS));
      expect(completions.size).toBe(total);
      expect([...completions.values()].every((n) => n === 1)).toBe(true);
      // A worker killed after logging a proof but before BullMQ recorded the completion leaves a
      // proof that was never published, and the job is proven again: only its own line may repeat.
      for (const [i, job] of jobs.entries()) {
        const proved = proofsIn(await jobLog(job.model, job.id));
        const byKilled = proved.filter((line) => line.endsWith(' on w-load-2: proved'));
        expect(byKilled.length).toBeLessThanOrEqual(1);
        expect(proved.length - byKilled.length).toBe(results[i]!.worker === 'w-load-2' ? 0 : 1);
      }
      expect(new Set(results.map((r) => r.worker)).size).toBeGreaterThanOrEqual(3);
    } finally {
      for (const worker of workers) if (worker.proc.exitCode === null && worker.proc.signalCode === null) expect(await stopWorker(worker)).toBe(0);
      await Promise.all(listeners.map((events) => events.close()));
    }
  });

  it("the producer refuses what a worker returns that is not this input's valid proof, and hands out the valid ones checked beside it", async () => {
    const inputs = randomInputs(707, 4, 16);
    const prover = await createProver(a.dir, { size: 1 });
    const honest = new Map<string, ProofJobResult>();
    let jobs: { id: string }[];
    try {
      jobs = await Promise.all(inputs.map((values) => producer.submitProofJob({ values, salt: 7n }, { model: keyA })));
      for (const [i, values] of inputs.entries()) {
        const { bundle } = await prover.prove({ values, salt: 7n });
        honest.set(jobs[i]!.id, { bundle, worker: 'w-forger', witnessMs: 0, proveMs: 0 });
      }
    } finally {
      await prover.close();
    }
    const [valid, forged, swapped, alsoValid] = jobs.map((job) => job.id) as [string, string, string, string];
    // A worker of BullMQ's own, in this process: one job's proof tampered (C taken for A, a point
    // on the curve: the proof does not verify), another answered with a different input's proof.
    const forger = new Worker<ProofJobData, ProofJobResult>(
      queueName(keyA),
      async (job) => {
        const result = structuredClone(honest.get(job.id!)!);
        if (job.id === forged) result.bundle.proof.pi_a = result.bundle.proof.pi_c;
        if (job.id === swapped) result.bundle = structuredClone(honest.get(valid)!.bundle);
        return result;
      },
      { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'zkinfer', concurrency: 4 },
    );
    try {
      const outcomes = await Promise.allSettled([valid, forged, swapped, alsoValid].map((id) => producer.waitForProof(id, 60_000)));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      const reason = (o: PromiseSettledResult<unknown>) => (o as PromiseRejectedResult).reason as { code: string; message: string };
      expect(reason(outcomes[1]!)).toMatchObject({ code: 'CHECK_FAILED', message: expect.stringMatching(/the worker's proof does not verify/) });
      expect(reason(outcomes[2]!)).toMatchObject({ code: 'CHECK_FAILED', message: expect.stringMatching(/public signals are not the reference's/) });
      for (const o of [outcomes[0]!, outcomes[3]!]) expect(await verifiesWith(a, (o as PromiseFulfilledResult<ProofJobResult>).value.bundle as never)).toBe(true);
      // Asked again (a poll), the forged one is refused again.
      await expect(producer.jobStatus(forged)).rejects.toMatchObject({ code: 'CHECK_FAILED' });
    } finally {
      await forger.close();
    }
  });

  it('zkinfer queue shows the fleet from a terminal, zkinfer serve --queue queues and stops cleanly; a bad or unreachable queue URL is a clear error', async () => {
    await producer.submitProofJob({ values: randomInputs(808, 1, 16)[0]! }, { model: keyA }); // waits: no worker is up
    const shown = await runCli(['queue', '--queue', redis.url, '--json']);
    expect(shown.code).toBe(0);
    const fleet = JSON.parse(shown.stdout);
    // What the terminal shows is what a producer's /metrics shows: both read Redis alone.
    const known = await producer.fleetMetrics();
    const used = known.models.filter((m) => m.completed + m.failed + m.waiting > 0).map((m) => m.model);
    expect(used.length).toBeGreaterThan(0);
    expect(fleet.models.map((m: { model: string }) => m.model)).toEqual(expect.arrayContaining(used));
    expect({ completed: fleet.completed, failed: fleet.failed, failures: fleet.failures }).toEqual({ completed: known.completed, failed: known.failed, failures: known.failures });
    expect(fleet.depth).toBeGreaterThanOrEqual(1);
    const text = await runCli(['queue', '--queue', redis.url]);
    expect(text.stdout).toMatch(/^depth \d+ \(waiting \d+\), active \d+, completed \d+, failed \d+/);
    const bad = await runCli(['queue', '--queue', 'http://127.0.0.1:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--queue must be a redis:\/\/HOST:PORT/);
    const twoLocal = await runCli(['serve', a.dir, b.dir, '--port', '0']);
    expect(twoLocal.code).toBe(2);
    expect(twoLocal.stderr).toMatch(/without --queue, serve proves one model here: give one artifacts folder, found 2/);

    // `zkinfer serve --queue` as users run it: queues, answers 202 with the job's id, stops on SIGTERM.
    const serve = spawn(process.execPath, [BIN, 'serve', a.dir, b.dir, '--queue', redis.url, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(serve);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (chunk) => {
        out += chunk;
        const found = /on (http:\/\/127\.0\.0\.1:\d+) through the queue/.exec(out);
        if (found) resolve(found[1]!);
      });
      serve.once('exit', (code) => reject(new Error(`serve --queue exited (${code}) before listening`)));
    });
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.models.map((m: { keyHash: string }) => m.keyHash).sort()).toEqual([keyA, keyB].sort());
    const body = JSON.stringify({ input: randomInputs(809, 1, 16)[0] });
    const queued = await fetch(`${url}/prove?model=${keyA.slice(0, 8)}&wait=false`, { method: 'POST', body });
    expect(queued.status).toBe(202);
    const { id } = await queued.json();
    expect((await (await fetch(`${url}/jobs/${id}`)).json()).state).toBe('waiting');
    expect((await fetch(`${url}/prove`, { method: 'POST', body })).status).toBe(400); // two models: name one
    serve.kill('SIGTERM');
    expect(await new Promise((resolve) => serve.once('exit', resolve))).toBe(0);

    const closed = await runCli(['worker', '--queue', 'redis://127.0.0.1:1', '--models', a.dir]);
    expect(closed.code).toBe(6);
    expect(closed.stderr).toMatch(/cannot reach Redis at redis:\/\/127.0.0.1:1/);
  });
});
