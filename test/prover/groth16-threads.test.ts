/**
 * One proof on several threads sharing one WebAssembly memory (prover/threads/): the same proof
 * snarkjs makes for the same key, witness, r and s, on 1, 2 and 3 threads (MSM sizes that the
 * thread count does not divide included); a thread that fails fails the proof with a clear
 * ZkinferError and leaves no thread running. Needs `npm run build` (the threads run dist/).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { compileStep, quantizeStep, setupStep } from '../../index.js';
import { artifactPath, openArtifacts, readCircuit } from '../../pipeline/artifacts.js';
import { FILES, readManifest, witnessGeneratorPath } from '../../pipeline/manifest.js';
import { circuitInput, prepareInference } from '../../pipeline/prove.js';
import { Groth16Prover, precomputation } from '../../prover/groth16.js';
import { msmPoints } from '../../prover/groth16-steps.js';
import { setupGroth16 } from '../../prover/setup/groth16.js';
import { ensureDevPtau, ptauPowerFor } from '../../prover/setup/ptau.js';
import { nodePlatform, spawnNodeThread } from '../../prover/threads/node.js';
import type { ProverThread, SpawnProverThread } from '../../prover/threads/protocol.js';
import { compileSource, poseidonSampleSource } from '../helpers/circuits.js';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// Public and private signals of every kind: a hash (full width), products, a negation, zeros, ones.
const SOURCE = poseidonSampleSource(5);

interface Case {
  name: string;
  zkey: Uint8Array;
  wtns: Uint8Array;
}

let tmp: string;
const cases: Case[] = [];

async function snarkjsProof(zkey: Uint8Array, wtns: Uint8Array, r: bigint, s: bigint) {
  // snarkjs draws r then s from its curve's Fr.random(): hand it ours there.
  const fr = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as { Fr: { random(): Uint8Array; e(value: bigint): Uint8Array } };
  const draw = fr.Fr.random;
  const draws = [r, s];
  fr.Fr.random = () => fr.Fr.e(draws.shift()!);
  try {
    return await snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: wtns });
  } finally {
    fr.Fr.random = draw;
  }
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-threads-'));
  const { files } = await compileSource(SOURCE);
  const ptauPath = (await ensureDevPtau(await ptauPowerFor(files.r1cs))).path;
  const zkeyPath = path.join(tmp, 'sample.zkey');
  await setupGroth16({ r1csPath: files.r1cs, ptauPath, zkeyPath, vkPath: path.join(tmp, 'vk.json') });
  const sampleWtns = await (await WitnessCalculatorBuilder(await fs.readFile(files.wasm))).calculateWTNSBin({ x: [3, 1, 0, R - 7n, 11] }, false);
  cases.push({ name: 'a Poseidon sample circuit', zkey: new Uint8Array(await fs.readFile(zkeyPath)), wtns: sampleWtns });

  const dir = path.join(tmp, 'mlp');
  await quantizeStep({ model: path.join(import.meta.dirname, '..', '..', 'zoo', 'mlp_196_25_10'), out: dir });
  await compileStep(dir);
  await setupStep(dir);
  const circuit = await readCircuit(dir, await openArtifacts(dir, ['quantize', 'compile', 'setup']));
  const values = Array.from({ length: 196 }, (_, i) => ((i * 37) % 101) / 101);
  const input = circuitInput(circuit, prepareInference(circuit, { values }, 'input'));
  // The folder's witness generator, whichever backend compiled it (the direct path's, by default).
  const wtns = await (await loadWitnessCalculator(witnessGeneratorPath(dir, await readManifest(dir)))).calculateWtns(input);
  cases.push({ name: 'the zoo model mlp_196_25_10', zkey: new Uint8Array(await fs.readFile(artifactPath(dir, FILES.zkey))), wtns });
}, 600_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('Groth16Prover on several threads', () => {
  it("makes snarkjs's proof for the same key, witness, r and s on 1, 2 and 3 threads", async () => {
    for (const { name, zkey, wtns } of cases) {
      const r = 123456789012345678901234567890n;
      const s = R - 987654321n;
      const reference = await snarkjsProof(zkey, wtns, r, s);
      // Budgets for no precomputed bases, H's alone (everything but one byte), and all of them.
      const shape = await Groth16Prover.load(zkey, name, nodePlatform, { precomputeBudget: 0 });
      const dimensions = { nVars: shape.nVars, nPublic: shape.nPublic, domainSize: shape.domainSize };
      await shape.close();
      for (const threads of [1, 2, 3]) {
        // H's alone, with room for half of a thread's share of its windows at once (two bucket sums; all
        // at once is the path of the whole precomputation, the default here).
        const quotientOnly = precomputation(dimensions, precomputation(dimensions, Infinity, threads).bytes - 1, threads);
        const budgets = [['none', 0], ['H', quotientOnly.bytes - 1], ['all', undefined]] as const;
        for (const [precomputed, precomputeBudget] of budgets) {
          const prover = await Groth16Prover.load(zkey, name, nodePlatform, { threads, ...(precomputeBudget === undefined ? {} : { precomputeBudget }) });
          try {
            expect(prover.threads).toBe(threads);
            expect(prover.precomputed, name).toBe(precomputed);
            if (threads > 1) {
              // The split must cut ranges of different sizes: some MSM here is not a multiple of the thread count.
              expect((['a', 'b1', 'b2', 'c', 'h'] as const).filter((section) => msmPoints(prover, section) % threads !== 0), name).not.toEqual([]);
            }
            const ours = await prover.prove(wtns, { r, s });
            expect(ours.proof, `${name} on ${threads} threads`).toEqual(reference.proof);
            expect(ours.publicSignals).toEqual(reference.publicSignals);
            // A second proof on the same threads: nothing left over from the first.
            expect((await prover.prove(wtns, { r, s })).proof).toEqual(reference.proof);
          } finally {
            await prover.close();
          }
        }
      }
    }
  }, 600_000);

  it('fails the proof with a ZkinferError naming the thread and the task when a thread throws, and stops every thread', async () => {
    const { zkey, wtns } = cases[0]!;
    const threads: { terminated: boolean }[] = [];
    // Thread 1 is sent an H MSM part past the end of the key's points: its real code throws.
    const spawn: SpawnProverThread = (index) => {
      const thread = spawnNodeThread(index);
      const record = { terminated: false };
      threads.push(record);
      const wrapped: ProverThread = {
        post(message) {
          if (index === 1 && message.kind === 'task' && message.task.kind === 'msm' && message.task.section === 'h') {
            thread.post({ ...message, task: { ...message.task, from: message.task.from + 1_000_000 } });
          } else thread.post(message);
        },
        listen: (onMessage, onFailure) => thread.listen(onMessage, onFailure),
        async terminate() {
          await thread.terminate();
          record.terminated = true;
        },
      };
      return wrapped;
    };
    const prover = await Groth16Prover.load(zkey, 'sample', { ...nodePlatform, spawnThread: spawn }, { threads: 2 });
    try {
      // Thread 1 gets an H part only if it is free when one is ready: try until it does.
      let failure: unknown;
      for (let attempt = 0; attempt < 20 && failure === undefined; attempt++) {
        failure = await prover.prove(wtns).then(
          () => undefined,
          (error: unknown) => error,
        );
      }
      expect(failure).toMatchObject({ code: 'PROVE', message: expect.stringMatching(/^prover thread 1 failed in the H MSM's points \d+\.\.\d+, window share \d of 2: an MSM of points \d+ to \d+ on \d+ bases$/) });
      // Every thread is stopped, and the prover refuses further proofs with the same error.
      await expect.poll(() => threads.every((t) => t.terminated)).toBe(true);
      await expect(prover.prove(wtns)).rejects.toMatchObject({ code: 'PROVE', message: expect.stringMatching(/^prover thread 1 failed/) });
    } finally {
      await prover.close();
    }
  }, 120_000);

  it('fails the proof with a ZkinferError when a thread dies mid-proof', async () => {
    const { zkey, wtns } = cases[0]!;
    let victim: ProverThread | undefined;
    const spawn: SpawnProverThread = (index) => {
      const thread = spawnNodeThread(index);
      if (index === 0) victim = thread;
      return {
        post(message) {
          thread.post(message);
          // The thread stops as it is handed its first task.
          if (index === 0 && message.kind === 'task') void victim!.terminate();
        },
        listen: (onMessage, onFailure) => thread.listen(onMessage, onFailure),
        terminate: () => thread.terminate(),
      };
    };
    const prover = await Groth16Prover.load(zkey, 'sample', { ...nodePlatform, spawnThread: spawn }, { threads: 2 });
    try {
      await expect(prover.prove(wtns)).rejects.toMatchObject({ code: 'PROVE', message: expect.stringMatching(/^prover thread 0 failed: it stopped \(exit code \d+\)$/) });
    } finally {
      await prover.close();
    }
  }, 120_000);
});
