/**
 * zkinfer's single-threaded prover against snarkjs's `groth16.prove`, on one artifacts folder's key
 * and one witness, in the same run (issue 20's target: at most 0.2 of snarkjs's CPU time). Proofs
 * of the two alternate, so that the machine's other load falls on both alike, each timed proof
 * after an untimed one of its own prover (warm, as in a service); CPU time is compared
 * (snarkjs's all threads of this process), not wall time, because the machine may be shared. Our
 * prover's time is also given per part: each of the five MSMs, the FFTs, the QAP and the blinding
 * (each task's thread CPU time), so that a change to one part can be measured on its own.
 */
import * as fs from 'node:fs/promises';
import * as snarkjs from 'snarkjs';
import { loadWitnessCalculator } from '../circuits/witness.js';
import { artifactPath, openArtifacts, readCircuit } from '../pipeline/artifacts.js';
import { FILES, witnessGeneratorPath } from '../pipeline/manifest.js';
import { circuitInput, prepareInference } from '../pipeline/prove.js';
import { withBn128 } from '../prover/curve.js';
import { Groth16Prover } from '../prover/groth16.js';
import type { ProofTask } from '../prover/groth16-steps.js';
import { nodePlatform } from '../prover/threads/node.js';
import { currentLoad } from './machine.js';
import { median } from './stats.js';
import { randomModelInputs } from './throughput.js';

/** The parts of a proof timed apart: the five MSMs, the FFTs (transform), the QAP (abc, quotient), the blinding (finish). */
export type ProofPart = 'msmA' | 'msmB1' | 'msmB2' | 'msmC' | 'msmH' | 'fft' | 'qap' | 'finish';

export interface AgainstSnarkjs {
  proofs: number;
  /** Median CPU time of one proof (witness excluded): zkinfer's prover on one thread, and snarkjs's groth16.prove (all its threads). */
  zkinferCpuMs: number;
  snarkjsCpuMs: number;
  /** zkinferCpuMs / snarkjsCpuMs: issue 20's target is at most 0.2. */
  ratio: number;
  /** Mean CPU time of each part of zkinfer's proof (a mean: the threads' clock ticks in 10 ms). */
  partsMs: Record<ProofPart, number>;
  /** Which bases' window multiples were precomputed (those that fit the prover's budget, as in the pool). */
  precomputed: 'none' | 'H' | 'all';
  /** The 1-minute load average at each pair of proofs. */
  loadAverages: number[];
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

function partOf(task: ProofTask): ProofPart {
  switch (task.kind) {
    case 'msm':
      return (`msm${task.section === 'b1' ? 'B1' : task.section === 'b2' ? 'B2' : task.section.toUpperCase()}`) as ProofPart;
    case 'transform':
      return 'fft';
    case 'finish':
      return 'finish';
    default:
      return 'qap';
  }
}

/** `proofs` proofs of each prover (after one of each to warm up) on the folder's key and one witness of a seeded random input. */
export async function measureAgainstSnarkjs(dir: string, proofs = 3): Promise<AgainstSnarkjs> {
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const zkey = new Uint8Array(await fs.readFile(zkeyPath));
  const input = circuitInput(circuit, prepareInference(circuit, { values: randomModelInputs(circuit.model, 1)[0]! }, 'input'));
  const wtns = await (await loadWitnessCalculator(witnessGeneratorPath(dir, manifest))).calculateWtns(input);
  const prover = await Groth16Prover.load(zkey, zkeyPath, nodePlatform);
  try {
    return await withBn128(async () => {
      const ours: number[] = [];
      const theirs: number[] = [];
      const parts: Record<ProofPart, number[]> = { msmA: [], msmB1: [], msmB2: [], msmC: [], msmH: [], fft: [], qap: [], finish: [] };
      const loadAverages: number[] = [];
      const ourProof = () => prover.prove(wtns, { where: zkeyPath });
      const theirProof = () => snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: wtns });
      for (let k = 0; k <= proofs; k++) {
        // Each timed proof follows an untimed one of the same prover, as in a service proving one
        // request after another: right after the other prover, a proof pays for what that one left
        // (its data in the caches, its garbage to collect): 10-20 ms more on a 70 ms proof of ours.
        await ourProof();
        let start = process.cpuUsage();
        const { timings } = await ourProof();
        const ourMs = cpuMs(process.cpuUsage(start));
        await theirProof();
        start = process.cpuUsage();
        await theirProof();
        const theirMs = cpuMs(process.cpuUsage(start));
        if (k === 0) continue; // the first pair of each warms the JIT and builds snarkjs's curve
        ours.push(ourMs);
        theirs.push(theirMs);
        loadAverages.push(currentLoad());
        const sums = Object.fromEntries(Object.keys(parts).map((part) => [part, 0])) as Record<ProofPart, number>;
        prover.tasks.forEach(({ task }, i) => (sums[partOf(task)] += timings.taskMs[i]!));
        for (const part of Object.keys(parts) as ProofPart[]) parts[part].push(sums[part]);
      }
      const [zkinferCpuMs, snarkjsCpuMs] = [median(ours), median(theirs)];
      return {
        proofs,
        zkinferCpuMs,
        snarkjsCpuMs,
        ratio: zkinferCpuMs / snarkjsCpuMs,
        partsMs: Object.fromEntries(Object.entries(parts).map(([part, values]) => [part, values.reduce((a, b) => a + b, 0) / proofs])) as Record<ProofPart, number>,
        precomputed: prover.precomputed,
        loadAverages,
      };
    });
  } finally {
    await prover.close();
  }
}
