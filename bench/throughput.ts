/**
 * Proving throughput of an artifacts folder, against the machine: the warm pool (createProver),
 * the cold CLI path (one `zkinfer prove` process per proof), a plain warm loop of snarkjs's
 * fullProve in one process, the prover's constraints per second, and the floor: the five
 * multi-scalar multiplications of one proof (A, B1, B2, C, H) done alone on ffjavascript's curve
 * with the key's own points, with one thread and with all, so the table shows how much of a proof
 * is not MSM. CPU times are reported beside wall times because the machine may be shared: wall
 * time measures the machine as it was, CPU time per proof the work itself.
 *
 * `measureThroughput` is the library form; `zkinfer throughput DIR` prints it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { readR1csHeader } from '../circuits/r1cs.js';
import { readSection, readSectionTable } from '../core/binfile.js';
import { ZkinferError, messageOf } from '../core/errors.js';
import { withTempDir } from '../core/files.js';
import { packageRoot } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import { seededRandom } from '../core/random.js';
import { type QModel, inputRange, inputSize } from '../model/ir.js';
import { artifactPath, openArtifacts, readCircuit } from '../pipeline/artifacts.js';
import { FILES } from '../pipeline/manifest.js';
import { circuitInput, prepareInference } from '../pipeline/prove.js';
import { createProver } from '../pipeline/prover.js';
import { withBn128 } from '../prover/curve.js';
import { ZKEY_SECTIONS } from '../prover/setup/zkey-format.js';

export interface ThroughputOptions {
  /** Proofs for the pool and for the plain loop (default 60). */
  proofs?: number;
  /** Proofs on the cold CLI path, one process each (default 3; 0 skips it). */
  coldProofs?: number;
  /** Repetitions of the MSM floor; the median is reported (default 5). */
  msmRepeats?: number;
  /** The pool's shape (default: createProver's choice for this machine). */
  size?: number;
  threadsPerWorker?: number;
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
  };
  plainLoop: PathMeasure & { peakRssBytes: number };
  cold?: PathMeasure & { secondsEach: number[] };
  /** Constraints proved per second by the pool (constraints × proofs / second). */
  constraintsPerSecond: number;
  msm: {
    /** Points in each of the five MSMs. */
    points: { a: number; b1: number; b2: number; c: number; h: number };
    /** Wall time of the five MSMs (median of the repeats). */
    oneThreadMs: number;
    allThreadsMs: number;
    /** CPU time of the five MSMs, all threads (less sensitive than wall time to a busy machine). */
    oneThreadCpuMs: number;
    allThreadsCpuMs: number;
    /** The share of the pool's CPU time per proof that is not the five MSMs (CPU time against CPU time). */
    nonMsmShareOfPoolCpu: number;
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

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
  const circuit = await readCircuit(dir, await openArtifacts(dir, ['quantize', 'compile', 'setup']));
  const { model } = circuit;
  const wasmPath = artifactPath(dir, FILES.wasm);
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
    ...(options.threadsPerWorker !== undefined ? { threadsPerWorker: options.threadsPerWorker } : {}),
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
    };
  } finally {
    await prover.close();
  }

  // 2. A plain warm loop of snarkjs's fullProve in this process (its multi-threaded curve, kept between proofs).
  progress('plain fullProve loop');
  const plainLoop = await withBn128(async () => {
    const circuitInputs = inputs.map((values) => circuitInput(circuit, prepareInference(model, { values }, 'input')));
    await snarkjs.groth16.fullProve(circuitInputs[0], wasmPath, zkeyPath);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (const [k, input] of circuitInputs.entries()) {
      await snarkjs.groth16.fullProve(input, wasmPath, zkeyPath);
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
  const msm = await measureMsmFloor(zkeyPath, wasmPath, circuitInput(circuit, prepareInference(model, { values: inputs[0]! }, 'input')), msmRepeats);

  return {
    model: model.name,
    constraints: header.nConstraints,
    domainSize: msm.domainSize,
    wires: header.nWires,
    zkeyBytes,
    machine: { cores: os.availableParallelism(), totalMemoryBytes: os.totalmem(), loadAverageBefore, loadAverageAfter: os.loadavg() },
    pool,
    plainLoop,
    ...(cold ? { cold } : {}),
    constraintsPerSecond: (header.nConstraints * pool.proofs) / pool.seconds,
    msm: {
      points: msm.points,
      oneThreadMs: msm.oneThreadMs,
      allThreadsMs: msm.allThreadsMs,
      oneThreadCpuMs: msm.oneThreadCpuMs,
      allThreadsCpuMs: msm.allThreadsCpuMs,
      nonMsmShareOfPoolCpu: pool.cpuMsPerProof > 0 ? Math.max(0, 1 - msm.oneThreadCpuMs / pool.cpuMsPerProof) : 0,
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

interface MsmFloor {
  points: ThroughputResult['msm']['points'];
  domainSize: number;
  oneThreadMs: number;
  oneThreadCpuMs: number;
  allThreadsMs: number;
  allThreadsCpuMs: number;
}

/**
 * The five MSMs of one Groth16 proof on the key's points: A, B1 (G1) and B2 (G2) over the whole
 * witness, C over the private part, H over the domain (with random scalars: the quotient's
 * coefficients are uniformly spread field elements, and computing them is not MSM).
 */
export async function measureMsmFloor(zkeyPath: string, wasmPath: string, input: Record<string, unknown>, repeats: number): Promise<MsmFloor> {
  const table = await readSectionTable(zkeyPath, 'zkey').catch((error: unknown) => {
    throw new ZkinferError('ARTIFACT_INVALID', `cannot read the proving key ${zkeyPath}: ${messageOf(error)}`, { cause: error });
  });
  const groth = await readSection(zkeyPath, table, ZKEY_SECTIONS.header);
  const n8q = groth.readUInt32LE(0);
  const n8r = groth.readUInt32LE(4 + n8q);
  const at = 8 + n8q + n8r;
  const nVars = groth.readUInt32LE(at);
  const nPublic = groth.readUInt32LE(at + 4);
  const domainSize = groth.readUInt32LE(at + 8);
  const [a, b1, b2, c, h] = await Promise.all(
    (['a', 'b1', 'b2', 'c', 'h'] as const).map((name) => readSection(zkeyPath, table, ZKEY_SECTIONS[name]).then((b) => new Uint8Array(b))),
  );

  const calculator = await WitnessCalculatorBuilder(await fs.readFile(wasmPath));
  const wtns = await calculator.calculateWTNSBin(input, false);
  // .wtns: magic, version, 2 sections; section 1 (type, u64 size, n8, prime, nWitness), then section 2's header.
  const view = new DataView(wtns.buffer, wtns.byteOffset, wtns.byteLength);
  const section1Size = Number(view.getBigUint64(16, true));
  const witness = wtns.slice(24 + section1Size + 12);
  if (witness.byteLength !== nVars * n8r) throw new ZkinferError('INTERNAL', `the witness has ${witness.byteLength / n8r} values, the key ${nVars}`);
  const random = seededRandom(3);
  const hScalars = new Uint8Array(domainSize * n8r).map((_, i) => (i % n8r === n8r - 1 ? Math.floor(random() * 32) : Math.floor(random() * 256)));
  const privateWitness = witness.slice((nPublic + 1) * n8r);

  const run = async (curve: snarkjs.Curve): Promise<{ ms: number; cpuMs: number }> => {
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let k = 0; k < repeats + 1; k++) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await curve.G1.multiExpAffine(a!, witness);
      await curve.G1.multiExpAffine(b1!, witness);
      await curve.G2.multiExpAffine(b2!, witness);
      await curve.G1.multiExpAffine(c!, privateWitness);
      await curve.G1.multiExpAffine(h!, hScalars);
      // The first run warms the JIT and the curve.
      if (k > 0) {
        times.push(performance.now() - start);
        cpuTimes.push(cpuMs(process.cpuUsage(cpuStart)));
      }
    }
    return { ms: median(times), cpuMs: median(cpuTimes) };
  };
  const single = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  let oneThread: { ms: number; cpuMs: number };
  try {
    oneThread = await run(single);
  } finally {
    await single.terminate();
  }
  const allThreads = await withBn128(run);
  return {
    points: { a: nVars, b1: nVars, b2: nVars, c: nVars - nPublic - 1, h: domainSize },
    domainSize,
    oneThreadMs: oneThread.ms,
    oneThreadCpuMs: oneThread.cpuMs,
    allThreadsMs: allThreads.ms,
    allThreadsCpuMs: allThreads.cpuMs,
  };
}
