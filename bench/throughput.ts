/**
 * Proving throughput of an artifacts folder, against the machine: the warm pool (createProver),
 * the cold CLI path (one `zkinfer prove` process per proof), a plain warm loop of snarkjs's
 * fullProve in one process, the prover's constraints per second, and the floor: the five
 * multi-scalar multiplications of one proof (A, B1, B2, C, H) done alone on one thread, in
 * zkinfer's prover (prover/groth16.ts, as the workers run it) and, for comparison, with
 * ffjavascript's multiexp (what snarkjs runs), so the table shows how much of a proof is not MSM.
 * CPU times are reported beside wall times because the machine may be shared: wall time measures
 * the machine as it was, CPU time per proof the work itself.
 *
 * `measureThroughput` is the library form; `zkinfer throughput DIR` prints it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as snarkjs from 'snarkjs';
import { readR1csHeader } from '../circuits/r1cs.js';
import { type CircuitInput, loadWitnessCalculator } from '../circuits/witness.js';
import { parseSectionTable, sectionOf } from '../core/binfile.js';
import { ZkinferError, messageOf } from '../core/errors.js';
import { readJson, withTempDir } from '../core/files.js';
import { packageRoot } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import { seededRandom } from '../core/random.js';
import { type QModel, inputRange, inputSize } from '../model/ir.js';
import { artifactPath, openArtifacts, readCircuit } from '../pipeline/artifacts.js';
import { FILES, witnessGeneratorPath } from '../pipeline/manifest.js';
import { circuitInput, prepareInference } from '../pipeline/prove.js';
import { type ProverProof, createProver } from '../pipeline/prover.js';
import { withBn128 } from '../prover/curve.js';
import { Groth16Prover, witnessValues } from '../prover/groth16.js';
import { nodePlatform } from '../prover/threads/node.js';
import type { PoolGoal } from '../prover/pool/shape.js';
import { type VerificationKey, verifyGroth16 } from '../prover/verify.js';
import { ZKEY_SECTIONS } from '../prover/zkey-sections.js';

export interface ThroughputOptions {
  /** Proofs for the pool and for the plain loop (default 60). */
  proofs?: number;
  /** Proofs on the cold CLI path, one process each (default 3; 0 skips it). */
  coldProofs?: number;
  /** Repetitions of the MSM floor; the median is reported (default 5). */
  msmRepeats?: number;
  /** The pool's shape (default: createProver's choice for this machine). */
  size?: number;
  threads?: number;
  optimize?: PoolGoal;
  onProgress?: OnProgress;
}

export interface PathMeasure {
  proofs: number;
  seconds: number;
  proofsPerMinute: number;
  /** CPU time per proof, all threads of the processes doing the work, in ms. */
  cpuMsPerProof: number;
}

export interface ThroughputResult {
  model: string;
  constraints: number;
  domainSize: number;
  wires: number;
  zkeyBytes: number;
  machine: { cores: number; totalMemoryBytes: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  pool: PathMeasure & {
    size: number;
    threadsPerWorker: number;
    warmupSeconds: number;
    witnessMsMean: number;
    proveMsMean: number;
    workerPeakRssBytes: number[];
    /** The pool's proofs that verify (verifyGroth16), checked after the clock stopped (all of them, or the measure fails). */
    verified: number;
  };
  plainLoop: PathMeasure & { peakRssBytes: number };
  /** With the cold path's CPU per proof over the warm pool's (coldToWarmRatio), when both are measures. */
  cold?: PathMeasure & { secondsEach: number[]; cpuRatioToWarm?: number };
  /** Constraints proved per second by the pool (constraints × proofs / second). */
  constraintsPerSecond: number;
  /** CPU times, all of them (medians of the repeats), to compare with the pool's CPU time per proof. */
  msm: {
    /** Points in each of the five MSMs. */
    points: { a: number; b1: number; b2: number; c: number; h: number };
    /** The five MSMs of one proof in zkinfer's prover, alone on one thread. */
    ms: number;
    /** The whole proof around them, alone on one thread: QAP, FFTs, MSMs, blinding (no witness). */
    proofMs: number;
    /** The same five MSMs with ffjavascript's multiexp (snarkjs's), one thread, for comparison. */
    ffjavascriptMs: number;
    /** The share of the pool's CPU time per proof that is not the five MSMs; absent when this run cannot tell (see nonMsmShare). */
    nonMsmShareOfPoolCpu?: number;
  };
}

/**
 * The share of a proof's CPU time that is not its MSMs, from the MSMs' CPU time measured alone and
 * the pool's CPU time per proof (witness, QAP, MSMs, blinding). The two are measured at different
 * moments, so on a shared machine they can disagree; undefined when they do so far that no share
 * follows (MSMs alone at least the whole proof), or when either is not a positive measure. Both
 * must be CPU times: the floor's wall time under load once gave 216 ms against the pool's 153 ms
 * of CPU per proof, and a share of 0.
 */
export function nonMsmShare(msmCpuMs: number, poolCpuMsPerProof: number): number | undefined {
  if (!isMeasure(msmCpuMs) || !isMeasure(poolCpuMsPerProof) || msmCpuMs >= poolCpuMsPerProof) return undefined;
  return 1 - msmCpuMs / poolCpuMsPerProof;
}

/**
 * A cold `zkinfer prove`'s CPU time over a warm pool proof's (issue 20: at most COLD_PROVE_TARGET);
 * undefined unless both are positive, finite measures (the cold path's is NaN where the children's
 * CPU cannot be read).
 */
export function coldToWarmRatio(coldCpuMsPerProof: number, warmCpuMsPerProof: number): number | undefined {
  return isMeasure(coldCpuMsPerProof) && isMeasure(warmCpuMsPerProof) ? coldCpuMsPerProof / warmCpuMsPerProof : undefined;
}

/** A time that was measured: positive and finite. */
const isMeasure = (ms: number) => Number.isFinite(ms) && ms > 0;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/**
 * Every proof the pool made, checked with the folder's verification key after the clock stopped:
 * throughput counts only proofs that verify, so a prover that got faster by being wrong fails here.
 */
export async function verifyPoolProofs(
  dir: string,
  results: readonly Pick<ProverProof, 'proof' | 'publicSignals'>[],
  progress?: (message: string, done?: number, total?: number) => void,
): Promise<number> {
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as VerificationKey;
  for (const [k, result] of results.entries()) {
    if (!(await verifyGroth16(vk, result.publicSignals, result.proof))) {
      throw new ZkinferError('CHECK_FAILED', `the warm pool's proof ${k + 1} of ${results.length} does not verify with ${artifactPath(dir, FILES.vk)}`);
    }
    progress?.("verifying the pool's proofs", k + 1, results.length);
  }
  return results.length;
}

/** Float inputs that quantize to seeded random integers across the model's whole input range. */
export function randomModelInputs(model: QModel, count: number, seed = 1): number[][] {
  const random = seededRandom(seed);
  const { min, max } = inputRange(model.input);
  return Array.from({ length: count }, () =>
    Array.from({ length: inputSize(model.input) }, () => (min + Math.floor(random() * (max - min + 1))) * model.input.scale),
  );
}

export async function measureThroughput(dir: string, options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const proofs = options.proofs ?? 60;
  const coldProofs = options.coldProofs ?? 3;
  const msmRepeats = options.msmRepeats ?? 5;
  if (!Number.isInteger(proofs) || proofs < 1) throw new ZkinferError('USAGE', `proofs must be an integer of at least 1, found ${proofs}`);
  if (!Number.isInteger(coldProofs) || coldProofs < 0) throw new ZkinferError('USAGE', `cold proofs must be an integer of at least 0, found ${coldProofs}`);
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const circuit = await readCircuit(dir, manifest);
  const { model } = circuit;
  const witnessPath = witnessGeneratorPath(dir, manifest);
  const zkeyPath = artifactPath(dir, FILES.zkey);
  const header = await readR1csHeader(artifactPath(dir, FILES.r1cs));
  const zkeyBytes = (await fs.stat(zkeyPath)).size;
  const inputs = randomModelInputs(model, proofs);
  const progress = (message: string, done?: number, total?: number) =>
    options.onProgress?.({ step: 'throughput', message, ...(done !== undefined ? { done, total: total! } : {}) });
  const loadAverageBefore = os.loadavg();

  // 1. The warm pool.
  progress('starting the warm pool');
  const warmStart = performance.now();
  const prover = await createProver(dir, {
    ...(options.size !== undefined ? { size: options.size } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.optimize !== undefined ? { optimize: options.optimize } : {}),
  });
  let pool: ThroughputResult['pool'];
  try {
    // One proof per worker first, so the JIT has seen the code before the clock starts.
    await Promise.all(Array.from({ length: prover.shape.size }, (_, k) => prover.prove({ values: inputs[k % inputs.length]! })));
    const warmupSeconds = (performance.now() - warmStart) / 1000;
    let done = 0;
    const start = performance.now();
    const results = await Promise.all(
      inputs.map((values) =>
        prover.prove({ values }).then((result) => {
          progress('warm pool', ++done, proofs);
          return result;
        }),
      ),
    );
    const seconds = (performance.now() - start) / 1000;
    const stats = prover.stats();
    const verified = await verifyPoolProofs(dir, results, progress);
    pool = {
      proofs,
      seconds,
      proofsPerMinute: (60 * proofs) / seconds,
      cpuMsPerProof: mean(results.map((r) => r.cpuMs)),
      size: stats.size,
      threadsPerWorker: stats.threadsPerWorker,
      warmupSeconds,
      witnessMsMean: mean(results.map((r) => r.witnessMs)),
      proveMsMean: mean(results.map((r) => r.proveMs)),
      workerPeakRssBytes: stats.workers.map((w) => w.peakRss),
      verified,
    };
  } finally {
    await prover.close();
  }

  // 2. A plain warm loop of snarkjs's fullProve in this process (its multi-threaded curve, kept
  // between proofs); fullProve runs circom's .wasm alone, so a directly compiled folder's witness
  // comes from its witness program, then snarkjs's groth16.prove.
  progress('plain fullProve loop');
  const calculator = witnessPath.endsWith('.wasm') ? undefined : await loadWitnessCalculator(witnessPath);
  const plainProve = async (input: CircuitInput) =>
    calculator ? snarkjs.groth16.prove(zkeyPath, { type: 'mem', data: await calculator.calculateWtns(input) }) : snarkjs.groth16.fullProve(input, witnessPath, zkeyPath);
  const plainLoop = await withBn128(async () => {
    const circuitInputs = inputs.map((values) => circuitInput(circuit, prepareInference(circuit, { values }, 'input')));
    await plainProve(circuitInputs[0]!);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (const [k, input] of circuitInputs.entries()) {
      await plainProve(input);
      progress('plain fullProve loop', k + 1, proofs);
    }
    const seconds = (performance.now() - start) / 1000;
    return { proofs, seconds, proofsPerMinute: (60 * proofs) / seconds, cpuMsPerProof: cpuMs(process.cpuUsage(cpuStart)) / proofs, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  });

  // 3. The cold CLI path: one process per proof, as a script calling `zkinfer prove` would.
  let cold: ThroughputResult['cold'];
  if (coldProofs > 0) {
    cold = await withTempDir(os.tmpdir(), async (tmp) => {
      const secondsEach: number[] = [];
      let cpu = 0;
      for (let k = 0; k < coldProofs; k++) {
        progress('cold CLI path', k, coldProofs);
        const inputFile = path.join(tmp, `input-${k}.json`);
        await fs.writeFile(inputFile, JSON.stringify({ input: inputs[k % inputs.length] }));
        const run = await runCliProve(dir, inputFile, path.join(tmp, `proof-${k}.json`));
        secondsEach.push(run.seconds);
        cpu += run.cpuMs;
      }
      const seconds = secondsEach.reduce((a, b) => a + b, 0);
      return { proofs: coldProofs, seconds, secondsEach, proofsPerMinute: (60 * coldProofs) / seconds, cpuMsPerProof: cpu / coldProofs };
    });
  }

  // 4. The floor: the five MSMs of one proof, alone.
  progress('multi-scalar multiplications');
  const msm = await measureMsmFloor(zkeyPath, witnessPath, circuitInput(circuit, prepareInference(circuit, { values: inputs[0]! }, 'input')), msmRepeats);
  const share = nonMsmShare(msm.ms, pool.cpuMsPerProof);
  const coldRatio = cold ? coldToWarmRatio(cold.cpuMsPerProof, pool.cpuMsPerProof) : undefined;

  return {
    model: model.name,
    constraints: header.nConstraints,
    domainSize: msm.domainSize,
    wires: header.nWires,
    zkeyBytes,
    machine: { cores: os.availableParallelism(), totalMemoryBytes: os.totalmem(), loadAverageBefore, loadAverageAfter: os.loadavg() },
    pool,
    plainLoop,
    ...(cold ? { cold: { ...cold, ...(coldRatio !== undefined ? { cpuRatioToWarm: coldRatio } : {}) } } : {}),
    constraintsPerSecond: (header.nConstraints * pool.proofs) / pool.seconds,
    msm: {
      points: msm.points,
      ms: msm.ms,
      proofMs: msm.proofMs,
      ffjavascriptMs: msm.ffjavascriptMs,
      ...(share !== undefined ? { nonMsmShareOfPoolCpu: share } : {}),
    },
  };
}

/** Run `zkinfer prove` in a new process: its wall time and CPU time. */
function runCliProve(dir: string, input: string, out: string): Promise<{ seconds: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuMs();
    const start = performance.now();
    const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'zkinfer.js'), 'prove', dir, '--input', input, '--out', out, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0) return reject(new ZkinferError('PROVE', `the cold \`zkinfer prove\` failed (exit ${code}): ${stderr.trim().split('\n')[0]}`));
      resolve({ seconds, cpuMs: childrenCpuMs() - cpuBefore });
    });
  });
}

/**
 * CPU time of this process's finished children (and theirs), from /proc/self/stat's cutime and
 * cstime (Linux, 100 ticks per second); NaN elsewhere.
 */
function childrenCpuMs(): number {
  try {
    const text = readFileSync('/proc/self/stat', 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The floor's CPU times, and the domain's size. */
type MsmFloor = Omit<ThroughputResult['msm'], 'nonMsmShareOfPoolCpu'> & { domainSize: number };

/**
 * The five MSMs of one Groth16 proof on the key's points, in CPU time: A, B1 (G1) and B2 (G2)
 * over the whole witness, C over its private part, H over the domain. zkinfer's prover times them
 * inside real proofs; ffjavascript's multiexp runs them on the same witness and on random H scalars (the
 * quotient's coefficients are uniformly spread field elements).
 */
export async function measureMsmFloor(zkeyPath: string, witnessPath: string, input: CircuitInput, repeats: number): Promise<MsmFloor> {
  const zkey = new Uint8Array(await fs.readFile(zkeyPath));
  const table = await parseSectionTable(zkey, 'zkey').catch((error: unknown) => {
    throw new ZkinferError('ARTIFACT_INVALID', `cannot read the proving key ${zkeyPath}: ${messageOf(error)}`, { cause: error });
  });
  const wtns = await (await loadWitnessCalculator(witnessPath)).calculateWtns(input);
  const prover = await Groth16Prover.load(zkey, zkeyPath, nodePlatform);
  const { nVars, nPublic, domainSize } = prover;
  const msmTimes: number[] = [];
  const proofTimes: number[] = [];
  // The first proof warms the JIT.
  for (let k = 0; k < repeats + 1; k++) {
    const start = process.cpuUsage();
    const { timings } = await prover.prove(wtns, { where: zkeyPath });
    if (k === 0) continue;
    proofTimes.push(cpuMs(process.cpuUsage(start)));
    // The single-threaded prover's MSM tasks in this thread's CPU time (wall time where Linux's per-thread clock is missing).
    msmTimes.push(timings.phases.msm.busyMs);
  }

  const section = (name: 'a' | 'b1' | 'b2' | 'c' | 'h') => sectionOf(zkey, table, ZKEY_SECTIONS[name]).slice();
  const [a, b1, b2, c, h] = [section('a'), section('b1'), section('b2'), section('c'), section('h')];
  const witness = witnessValues(wtns, nVars, 'witness');
  const privateWitness = witness.slice((nPublic + 1) * 32);
  const random = seededRandom(3);
  const hScalars = new Uint8Array(domainSize * 32).map((_, i) => (i % 32 === 31 ? Math.floor(random() * 32) : Math.floor(random() * 256)));
  const single = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  const ffTimes: number[] = [];
  try {
    for (let k = 0; k < repeats + 1; k++) {
      const start = process.cpuUsage();
      await single.G1.multiExpAffine(a, witness);
      await single.G1.multiExpAffine(b1, witness);
      await single.G2.multiExpAffine(b2, witness);
      await single.G1.multiExpAffine(c, privateWitness);
      await single.G1.multiExpAffine(h, hScalars);
      if (k > 0) ffTimes.push(cpuMs(process.cpuUsage(start)));
    }
  } finally {
    await single.terminate();
  }
  return {
    points: { a: nVars, b1: nVars, b2: nVars, c: nVars - nPublic - 1, h: domainSize },
    domainSize,
    ms: median(msmTimes),
    proofMs: median(proofTimes),
    ffjavascriptMs: median(ffTimes),
  };
}
