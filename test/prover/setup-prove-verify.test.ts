import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkinferError, exitCodeFor } from '../../core/errors.js';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { sha256 } from '../../core/files.js';
import { packageRoot } from '../../core/paths.js';
import type { Groth16Proof, ProofResult } from '../../prover/pool/messages.js';
import { ProverPool, isWithdrawn } from '../../prover/pool/pool.js';
import { proveInference } from '../../prover/prove.js';
import { setupGroth16 } from '../../prover/setup/groth16.js';
import { ensureDevPtau, ptauPowerFor } from '../../prover/setup/ptau.js';
import { verifyGroth16, type VerificationKey } from '../../prover/verify.js';
import { compileSource } from '../helpers/circuits.js';
import { distModule, runNodeScript } from '../helpers/node-script.js';

/** The order r of BN254's scalar field, written out here so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

interface Keys {
  zkeyPath: string;
  vkPath: string;
  vkHash: string;
  vk: VerificationKey;
}

let tmp: string;
let circuit: { r1csPath: string; witnessPath: string };
let ptauPath: string;
let keysA: Keys;
let keysB: Keys;
/** A proof of 3 * 5 = 15 and one of 7 * 11 = 77, made under keysA. */
let proof15: ProofResult;
let proof77: ProofResult;

async function setup(name: string): Promise<Keys> {
  const zkeyPath = path.join(tmp, name, 'circuit.zkey');
  const vkPath = path.join(tmp, name, 'verification_key.json');
  const { vkHash } = await setupGroth16({ r1csPath: circuit.r1csPath, ptauPath, zkeyPath, vkPath });
  const vk = JSON.parse(await fs.readFile(vkPath, 'utf8')) as VerificationKey;
  return { zkeyPath, vkPath, vkHash, vk };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-prover-'));
  const source = await fs.readFile(path.join(packageRoot(), 'test', 'fixtures', 'circuits', 'multiplier.circom'), 'utf8');
  const { files } = await compileSource(source, []);
  circuit = { r1csPath: files.r1cs, witnessPath: files.wasm };
  ptauPath = (await ensureDevPtau(await ptauPowerFor(circuit.r1csPath))).path;
  [keysA, keysB] = [await setup('a'), await setup('b')];
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Resolves once `condition` holds (checked every 5 ms), or fails after 10 s. */
async function until(condition: () => boolean): Promise<void> {
  for (const start = performance.now(); !condition(); await sleep(5)) {
    if (performance.now() - start > 10_000) throw new Error(`not so after 10 s: ${condition.toString()}`);
  }
}

/** Runs `body` with process `pid` stopped (SIGSTOP): its messages wait in the pipe until `resume`, called in any case when body ends. */
async function whileStopped<T>(pid: number, body: (resume: () => void) => Promise<T>): Promise<T> {
  const resume = () => process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGSTOP');
  try {
    return await body(resume);
  } finally {
    resume();
  }
}

const job = (input: Record<string, number | bigint | string>, keys: Keys = keysA) => ({
  witnessPath: circuit.witnessPath,
  zkeyPath: keys.zkeyPath,
  input,
});

describe('setupGroth16', () => {
  it('writes a contributed proving key and the verification key it hashes', async () => {
    const text = await fs.readFile(keysA.vkPath, 'utf8');
    expect(sha256(text)).toBe(keysA.vkHash);
    expect(keysA.vk).toMatchObject({ protocol: 'groth16', curve: 'bn128', nPublic: 1 });
    // snarkjs starts with delta = gamma = the G2 generator; only a contribution moves delta.
    expect(keysA.vk.vk_delta_2).not.toEqual(keysA.vk.vk_gamma_2);
    expect((await fs.stat(keysA.zkeyPath)).size).toBeGreaterThan(0);
    expect((await fs.readdir(path.join(tmp, 'a'))).sort()).toEqual(['circuit.zkey', 'verification_key.json']);
  });

  it('uses fresh randomness each time', () => {
    expect(keysA.vkHash).not.toBe(keysB.vkHash);
    expect(keysA.vk.vk_delta_2).not.toEqual(keysB.vk.vk_delta_2);
  });

  it('refuses a file that is not a powers of tau and writes nothing', async () => {
    const out = path.join(tmp, 'bad-setup');
    const zkeyPath = path.join(out, 'circuit.zkey');
    await fs.mkdir(out);
    await expect(
      setupGroth16({ r1csPath: circuit.r1csPath, ptauPath: circuit.witnessPath, zkeyPath, vkPath: path.join(out, 'vk.json') }),
    ).rejects.toMatchObject({ code: 'SETUP', message: expect.stringMatching(/not a \.ptau file/) });
    await expect(fs.readdir(out)).resolves.toEqual([]);
  });
});

describe('proving through the pool', () => {
  it('runs several jobs on two workers; an input that violates the circuit fails alone', async () => {
    const pool = await ProverPool.create({ size: 2 });
    try {
      const inputs = [{ a: 3, b: 5 }, { a: 0, b: 5 }, { a: 7n, b: '11' }, { a: 2, b: 2 }, { a: '1', b: 1n }];
      const pending = inputs.map((input) => pool.prove(job(input)));
      const settled = await Promise.allSettled(pending);
      expect(pool.workerPids.length).toBeLessThanOrEqual(2);

      expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      const error = (settled[1] as PromiseRejectedResult).reason as ZkinferError;
      expect(error).toBeInstanceOf(ZkinferError);
      expect(error.code).toBe('PROVE');
      expect(error.message).toMatch(/does not satisfy the circuit/);
      expect(error.details.circomMessage).toMatch(/Assert Failed.*Multiplier_0 line: 12/s);

      const proofs = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      expect(proofs.map((result) => result.publicSignals)).toEqual([['15'], ['77'], ['4'], ['1']]);
      for (const result of proofs) {
        expect(result.witnessMs).toBeGreaterThan(0);
        expect(result.proveMs).toBeGreaterThan(0);
        expect(await verifyGroth16(keysA.vk, result.publicSignals, result.proof)).toBe(true);
      }
      [proof15, proof77] = proofs as [ProofResult, ProofResult];
    } finally {
      await pool.close();
    }
  });

  it('keeps the circuit and key loaded: warm() loads every worker, later jobs find them in memory', async () => {
    const pool = await ProverPool.create({ size: 2 });
    try {
      const loadTimes = await pool.warm(job({}));
      expect(loadTimes).toHaveLength(2);
      expect(pool.workerPids).toHaveLength(2);
      const results = await Promise.all([3, 4, 5, 6].map((a) => pool.prove(job({ a, b: 2 }))));
      expect(results.map((r) => r.publicSignals)).toEqual([['6'], ['8'], ['10'], ['12']]);
      expect(results.every((r) => r.warm)).toBe(true);
      for (const r of results) expect(pool.workerPids).toContain(r.workerPid);
      expect(pool.workerStats.every((w) => w.peakRss > 0)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('loads a circuit on first use and again only when the key changes', async () => {
    const pool = await ProverPool.create({ size: 1 });
    try {
      const runs = [];
      for (const keys of [keysA, keysA, keysB, keysB, keysA]) runs.push(await pool.prove(job({ a: 2, b: 3 }, keys)));
      expect(runs.map((r) => r.warm)).toEqual([false, true, false, true, false]);
      expect(await verifyGroth16(keysB.vk, runs[3]!.publicSignals, runs[3]!.proof)).toBe(true);
      expect(await verifyGroth16(keysA.vk, runs[4]!.publicSignals, runs[4]!.proof)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('names a missing key when warming', async () => {
    const pool = await ProverPool.create({ size: 1 });
    try {
      await expect(pool.warm({ witnessPath: circuit.witnessPath, zkeyPath: path.join(tmp, 'none.zkey') })).rejects.toMatchObject({ code: 'ARTIFACT_MISSING' });
    } finally {
      await pool.close();
    }
  });

  it("keeps a worker's error code: a malformed key is ARTIFACT_INVALID (exit 4) on load and on a job, not PROVE (exit 5)", async () => {
    const zkeyPath = path.join(tmp, 'truncated.zkey');
    const key = await fs.readFile(keysA.zkeyPath);
    await fs.writeFile(zkeyPath, key.subarray(0, key.byteLength >> 1));
    const pool = await ProverPool.create({ size: 1 });
    try {
      for (const attempt of [() => pool.warm({ witnessPath: circuit.witnessPath, zkeyPath }), () => pool.prove({ ...job({ a: 2, b: 3 }), zkeyPath })]) {
        const error = await attempt().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(ZkinferError);
        expect(error).toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringContaining(`${zkeyPath}: not a usable proving key`) });
        expect(exitCodeFor(error)).toBe(4);
      }
      // The worker survives its failures: the good key still proves on it.
      expect((await pool.prove(job({ a: 2, b: 3 }))).publicSignals).toEqual(['6']);
    } finally {
      await pool.close();
    }
  });

  it('proves with a multi-threaded curve in a worker (threadsPerWorker > 1)', async () => {
    const pool = await ProverPool.create({ size: 1, threadsPerWorker: 2 });
    try {
      const result = await pool.prove(job({ a: 9, b: 9 }));
      expect(result.publicSignals).toEqual(['81']);
      expect(await verifyGroth16(keysA.vk, result.publicSignals, result.proof)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('proves without a pool in this process, with the errors the pool gives', async () => {
    const result = await proveInference(job({ a: 4, b: 6 }));
    expect(result.publicSignals).toEqual(['24']);
    expect(result.workerPid).toBe(process.pid);
    expect(await verifyGroth16(keysA.vk, result.publicSignals, result.proof)).toBe(true);
    await expect(proveInference(job({ a: 0, b: 6 }))).rejects.toMatchObject({
      code: 'PROVE',
      message: expect.stringMatching(/does not satisfy the circuit/),
      details: { stage: 'witness', circomMessage: expect.stringMatching(/Assert Failed.*Multiplier_0 line: 12/s) },
    });
    const zkeyPath = path.join(tmp, 'truncated-too.zkey');
    await fs.writeFile(zkeyPath, (await fs.readFile(keysA.zkeyPath)).subarray(0, 100));
    await expect(proveInference({ ...job({ a: 2, b: 3 }), zkeyPath })).rejects.toMatchObject({ code: 'ARTIFACT_INVALID' });
  });

  it('names a missing witness generator', async () => {
    await expect(proveInference({ ...job({ a: 1, b: 1 }), witnessPath: path.join(tmp, 'missing.wasm') })).rejects.toMatchObject({
      code: 'ARTIFACT_MISSING',
    });
  });

  it('fails only the job of a worker that dies, and replaces the worker', async () => {
    const pool = await ProverPool.create({ size: 1 });
    try {
      const doomed = pool.prove(job({ a: 2, b: 3 }));
      while (pool.workerPids.length === 0) await sleep(5);
      const [pid] = pool.workerPids;
      process.kill(pid!, 'SIGKILL');
      await expect(doomed).rejects.toMatchObject({ code: 'PROVE', message: expect.stringMatching(/stopped unexpectedly \(signal SIGKILL\)/) });

      const next = await pool.prove(job({ a: 2, b: 3 }));
      expect(next.publicSignals).toEqual(['6']);
      expect(pool.workerPids).not.toContain(pid);
    } finally {
      await pool.close();
    }
  });

  it("a signal withdraws a queued job (PROVE, reason 'withdrawn') and leaves a started one to finish", async () => {
    const pool = await ProverPool.create({ size: 1 });
    try {
      const withdraw = new AbortController();
      const running = pool.prove(job({ a: 3, b: 5 }), withdraw.signal);
      while (pool.running === 0) await sleep(5);
      const queued = pool.prove(job({ a: 7, b: 11 }), withdraw.signal);
      const other = pool.prove(job({ a: 2, b: 2 }));
      while (pool.queued < 2) await sleep(5);
      withdraw.abort();
      const error = await queued.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ZkinferError);
      expect(isWithdrawn(error)).toBe(true);
      expect((error as ZkinferError).code).toBe('PROVE');
      expect(pool.queued).toBe(1);
      expect((await running).publicSignals).toEqual(['15']);
      expect((await other).publicSignals).toEqual(['4']);
      // Already aborted: refused before it is queued.
      await expect(pool.prove(job({ a: 1, b: 1 }), withdraw.signal)).rejects.toSatisfy(isWithdrawn);
      expect(pool.workerStats.reduce((total, w) => total + w.jobs, 0)).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('sends a busy worker its next job ahead; a worker that goes idle takes back a job another holds ahead', async () => {
    const pool = await ProverPool.create({ size: 2 });
    try {
      await pool.warm(job({}));
      const [stuck, free] = pool.workerPids as [number, number];
      // The first worker stops (its messages wait in the pipe): it gets the first job and, all
      // workers busy, the third ahead; the second, once its job is done, is idle with the third
      // held ahead by the stopped one, and asks for it back.
      await whileStopped(stuck, async (resume) => {
        const first = pool.prove(job({ a: 2, b: 3 }));
        await until(() => pool.running === 1);
        const second = pool.prove(job({ a: 3, b: 3 }));
        await until(() => pool.running === 2);
        const third = pool.prove(job({ a: 4, b: 3 }));
        expect((await second).workerPid).toBe(free);
        await until(() => pool.queued === 1);
        await sleep(200);
        expect(pool.queued).toBe(1); // still held by the stopped worker: it answers nothing
        resume();
        const [one, three] = await Promise.all([first, third]);
        expect(one).toMatchObject({ workerPid: stuck, publicSignals: ['6'] });
        expect(three).toMatchObject({ workerPid: free, publicSignals: ['12'] });
      });
      // Two busy workers and two jobs more: one goes ahead to each.
      const four = Array.from({ length: 4 }, (_, k) => pool.prove(job({ a: k + 1, b: 1 })));
      await until(() => pool.running + pool.queued === 4);
      expect(pool.running).toBe(2);
      expect((await Promise.all(four)).map((r) => r.publicSignals[0])).toEqual(['1', '2', '3', '4']);
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails only the job it was proving: the one it held ahead is proven by its replacement', async () => {
    const pool = await ProverPool.create({ size: 1 });
    try {
      await pool.warm(job({}));
      const [pid] = pool.workerPids as [number];
      process.kill(pid, 'SIGSTOP');
      const doomed = pool.prove(job({ a: 2, b: 5 }));
      // One at a time: each call checks the files first, and two checks may end in either order.
      await until(() => pool.running === 1);
      const ahead = pool.prove(job({ a: 3, b: 5 }));
      await until(() => pool.queued === 1);
      process.kill(pid, 'SIGKILL');
      await expect(doomed).rejects.toMatchObject({ code: 'PROVE', message: expect.stringMatching(/stopped unexpectedly \(signal SIGKILL\)/) });
      const result = await ahead;
      expect(result.publicSignals).toEqual(['15']);
      expect(result.workerPid).not.toBe(pid);
    } finally {
      await pool.close();
    }
  });

  it('with lookahead 0, a busy worker is sent nothing more: the next job waits here for the first worker free', async () => {
    const pool = await ProverPool.create({ size: 2, lookahead: 0 });
    try {
      await pool.warm(job({}));
      const [stuck, free] = pool.workerPids as [number, number];
      await whileStopped(stuck, async (resume) => {
        const first = pool.prove(job({ a: 2, b: 7 }));
        await until(() => pool.running === 1);
        const second = pool.prove(job({ a: 3, b: 7 }));
        await until(() => pool.running === 2);
        const third = pool.prove(job({ a: 4, b: 7 }));
        await until(() => pool.queued === 1);
        // With a lookahead it would have gone to the stopped worker, and waited for it.
        expect(await third).toMatchObject({ workerPid: free, publicSignals: ['28'] });
        expect((await second).workerPid).toBe(free);
        resume();
        expect(await first).toMatchObject({ workerPid: stuck, publicSignals: ['14'] });
      });
    } finally {
      await pool.close();
    }
    await expect(ProverPool.create({ lookahead: -1 })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it("a caller's signal withdraws a job held ahead at once, though the worker holding it is stopped", async () => {
    const pool = await ProverPool.create({ size: 1 });
    try {
      await pool.warm(job({}));
      const [pid] = pool.workerPids as [number];
      await whileStopped(pid, async (resume) => {
        const first = pool.prove(job({ a: 5, b: 7 }));
        await until(() => pool.running === 1);
        const withdraw = new AbortController();
        const ahead = pool.prove(job({ a: 6, b: 7 }), withdraw.signal);
        await until(() => pool.queued === 1);
        withdraw.abort();
        await expect(ahead).rejects.toSatisfy(isWithdrawn);
        resume();
        expect((await first).publicSignals).toEqual(['35']);
        // The worker gave the job back ('withdrawn'): it proved one job, and holds nothing.
        await until(() => pool.queued === 0);
        expect(pool.workerStats.reduce((total, w) => total + w.jobs, 0)).toBe(1);
      });
    } finally {
      await pool.close();
    }
  });

  it('close rejects running and queued jobs, stops every worker and is idempotent', async () => {
    const pool = await ProverPool.create({ size: 1 });
    const jobs = Promise.allSettled([1, 2, 3].map((a) => pool.prove(job({ a, b: 1 }))));
    while (pool.workerPids.length === 0) await sleep(5);
    const pids = pool.workerPids;
    await Promise.all([pool.close(), pool.close()]);

    for (const result of await jobs) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason.message).toMatch(/closed/);
    }
    expect(pool.workerPids).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    await expect(pool.prove(job({ a: 1, b: 1 }))).rejects.toThrow(/closed/);
  });

  it('leaves nothing running: a process that proves and verifies exits by itself', async () => {
    const script = `
      import { ProverPool } from ${JSON.stringify(distModule('prover/pool/pool.js'))};
      import { verifyGroth16 } from ${JSON.stringify(distModule('prover/verify.js'))};
      import { readFileSync } from 'node:fs';
      const pool = await ProverPool.create({ size: 2 });
      const jobs = [2, 3].map((a) => pool.prove({ witnessPath: ${JSON.stringify(circuit.witnessPath)}, zkeyPath: ${JSON.stringify(keysA.zkeyPath)}, input: { a, b: 5 } }));
      const results = await Promise.all(jobs);
      await pool.close();
      const vk = JSON.parse(readFileSync(${JSON.stringify(keysA.vkPath)}, 'utf8'));
      const verdicts = await Promise.all(results.map((r) => verifyGroth16(vk, r.publicSignals, r.proof)));
      console.log(JSON.stringify(verdicts));`;
    const run = await runNodeScript(script, { timeoutMs: 60_000 });
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('[true,true]');
    expect(run.stderr).toBe('');
  });
});

describe('verifyGroth16', () => {
  const tampered = (change: (proof: Groth16Proof) => void): Groth16Proof => {
    const copy = structuredClone(proof15.proof);
    change(copy);
    return copy;
  };
  const plus = (value: string, delta: bigint) => (BigInt(value) + delta).toString();

  it('accepts the untouched proof', async () => {
    expect(await verifyGroth16(keysA.vk, ['15'], proof15.proof)).toBe(true);
  });

  it('rejects each proof element taken from another valid proof', async () => {
    for (const element of ['pi_a', 'pi_b', 'pi_c'] as const) {
      const proof = tampered((p) => void Object.assign(p, { [element]: proof77.proof[element] }));
      expect(await verifyGroth16(keysA.vk, ['15'], proof), element).toBe(false);
    }
  });

  it("rejects points that are not on the curve, or not in G2's prime-order subgroup", async () => {
    // On the twist y^2 = x^3 + 3/(9+u) with x = u, but of an order with cofactor (found with ffjavascript).
    const outsideSubgroup: Groth16Proof['pi_b'] = [
      ['0', '1'],
      [
        '5857410223677516958241855868975604786906559121396168184066542210254491971240',
        '3499505209057624827709920819629410982529044040404494099368353913743455207650',
      ],
      ['1', '0'],
    ];
    const proofs = [
      tampered((p) => (p.pi_a[1] = plus(p.pi_a[1], 1n))),
      tampered((p) => (p.pi_b[0][0] = plus(p.pi_b[0][0], 1n))),
      tampered((p) => (p.pi_c[0] = plus(p.pi_c[0], 1n))),
      tampered((p) => (p.pi_b = outsideSubgroup)),
    ];
    for (const proof of proofs) expect(await verifyGroth16(keysA.vk, ['15'], proof)).toBe(false);
  });

  it('rejects coordinates written as x + q and non-affine encodings', async () => {
    const proofs = [
      tampered((p) => (p.pi_a[0] = plus(p.pi_a[0], BASE_FIELD_MODULUS))),
      tampered((p) => (p.pi_b[1][1] = plus(p.pi_b[1][1], BASE_FIELD_MODULUS))),
      tampered((p) => (p.pi_c[1] = plus(p.pi_c[1], BASE_FIELD_MODULUS))),
      tampered((p) => (p.pi_a[2] = '2')),
      tampered((p) => (p.pi_b[2] = ['1', '1'])),
    ];
    for (const proof of proofs) expect(await verifyGroth16(keysA.vk, ['15'], proof)).toBe(false);
  });

  it('rejects tampered public signals, including the same value plus r', async () => {
    for (const signals of [['16'], ['77'], [(15n + R).toString()], [(R - 15n).toString()], [], ['15', '0']]) {
      expect(await verifyGroth16(keysA.vk, signals, proof15.proof), JSON.stringify(signals)).toBe(false);
    }
  });

  it("rejects a proof checked against another setup's verification key", async () => {
    expect(await verifyGroth16(keysB.vk, ['15'], proof15.proof)).toBe(false);
  });

  it('refuses something that is not a verification key', async () => {
    const broken = { ...keysA.vk, IC: [] } as VerificationKey;
    await expect(verifyGroth16(broken, ['15'], proof15.proof)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID' });
  });
});
