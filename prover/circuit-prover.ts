/**
 * One circuit's prover: its witness generator (circom's WebAssembly or the direct path's, see
 * circuits/witness.ts) and a prover for its key, loaded
 * once. The pool's workers keep one in memory between jobs (prover/pool/worker.ts); a one-shot
 * proof loads one in the calling process (prover/prove.ts). Every failure is a ZkinferError:
 * zkinfer's own errors keep their code (a malformed key is ARTIFACT_INVALID, exit 4), anything
 * else becomes a PROVE error that says at which stage it happened.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type CircuitInput, type WitnessCalculator, loadWitnessCalculator } from '../circuits/witness.js';
import { ArtifactError, ZkinferError, messageOf } from '../core/errors.js';
import { peakRssFromStatus } from '../core/peak-rss.js';
import { exists } from '../core/files.js';
import { Groth16Prover, type Groth16Proof, type ProverOptions } from './groth16.js';
import { nodePlatform } from './threads/node.js';
import type { ProofResult } from './pool/messages.js';

/** Which circuit and key a job needs. */
export interface CircuitFiles {
  /** The witness generator: circom's model.wasm or a directly compiled circuit's model.witness.json. */
  witnessPath: string;
  zkeyPath: string;
}

/** 'load': the witness generator or key cannot be read; 'witness': the input does not fit or satisfy the circuit; 'prove': the prover failed. */
export type ProverStage = 'load' | 'witness' | 'prove';

/** A proof, with what it cost this process (whether the circuit was loaded already is the caller's to say). */
export type CircuitProof = Omit<ProofResult, 'warm'>;

/** Proofs from witnesses (circom's .wtns bytes) for one key; close() stops its threads, if any. */
export interface ProveWitness {
  /** Threads of each proof. */
  readonly threads: number;
  prove(witness: Uint8Array): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
  close(): Promise<void>;
}
/** Makes a ProveWitness for a key read into memory; `zkeyPath` names the key in errors. */
export type KeyProver = (zkey: Uint8Array, zkeyPath: string) => Promise<ProveWitness>;

/** zkinfer's prover (prover/groth16.ts) for a key, on `options.threads` threads (default 1). */
export function groth16KeyProver(options: ProverOptions = {}): KeyProver {
  return (zkey, zkeyPath) => Groth16Prover.load(zkey, zkeyPath, nodePlatform, options);
}

export class CircuitProver {
  private constructor(
    readonly files: CircuitFiles,
    private readonly calculator: WitnessCalculator,
    private readonly proveWitness: ProveWitness,
  ) {}

  static async load(files: CircuitFiles, keyProver: KeyProver): Promise<CircuitProver> {
    await checkCircuitFiles(files);
    try {
      const [calculator, zkeyFile] = await Promise.all([loadWitnessCalculator(files.witnessPath), readFile(files.zkeyPath)]);
      const zkey = new Uint8Array(zkeyFile.buffer, zkeyFile.byteOffset, zkeyFile.byteLength);
      return new CircuitProver(files, calculator, await keyProver(zkey, files.zkeyPath));
    } catch (error) {
      throw proverError('load', error, files);
    }
  }

  /** Stop the key prover's threads, if it has any. Safe to call more than once. */
  close(): Promise<void> {
    return this.proveWitness.close();
  }

  /** The witness of `input` (decimal strings or bigints, as circom_runtime takes them), then its proof. */
  async witnessAndProve(input: Record<string, unknown>): Promise<CircuitProof> {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    let witness: Uint8Array;
    try {
      witness = await this.calculator.calculateWtns(input as CircuitInput);
    } catch (error) {
      throw proverError('witness', error, this.files);
    }
    const witnessDone = performance.now();
    try {
      const { proof, publicSignals } = await this.proveWitness.prove(witness);
      const proveMs = performance.now() - witnessDone;
      const cpu = process.cpuUsage(cpuStart);
      return {
        proof,
        publicSignals,
        witnessMs: witnessDone - start,
        proveMs,
        threads: this.proveWitness.threads,
        cpuMs: (cpu.user + cpu.system) / 1000,
        workerPid: process.pid,
        workerPeakRss: peakRss(),
      };
    } catch (error) {
      throw proverError('prove', error, this.files);
    }
  }
}

/** ARTIFACT_MISSING for a witness generator or key that is not there, before any work is queued. */
export async function checkCircuitFiles(files: CircuitFiles): Promise<void> {
  for (const [file, what] of [
    [files.witnessPath, 'witness generator (.wasm or .witness.json)'],
    [files.zkeyPath, 'proving key (.zkey)'],
  ] as const) {
    if (!(await exists(file))) throw new ArtifactError('ARTIFACT_MISSING', `${what} not found: ${file}`, file);
  }
}

/**
 * A failure at `stage` as the ZkinferError callers see: zkinfer's own errors as they are (their
 * code decides the exit code), others (circom's runtime, snarkjs) as PROVE errors with their text.
 */
export function proverError(stage: ProverStage, error: unknown, files: CircuitFiles): ZkinferError {
  if (error instanceof ZkinferError) return error;
  const details = { stage, witnessPath: files.witnessPath, zkeyPath: files.zkeyPath };
  const text = messageOf(error).trim().replace(/^Error:\s*/, '');
  if (stage === 'load') {
    return new ZkinferError('PROVE', `the prover cannot load the circuit or key: ${text.split('\n')[0]}`, { details: { ...details, message: text }, cause: error });
  }
  if (stage === 'witness') {
    const summary = /assert failed/i.test(text)
      ? `the input does not satisfy the circuit: ${text.replace(/\s*\n\s*/g, '; ')}`
      : `witness generation failed: ${text.split('\n')[0]}`;
    return new ZkinferError('PROVE', summary, { details: { ...details, circomMessage: text }, cause: error });
  }
  return new ZkinferError('PROVE', `the prover failed: ${text}`, { details: { ...details, snarkjsMessage: text }, cause: error });
}

/**
 * This process's peak resident memory so far, in bytes: Linux's VmHWM, where /proc has it. The
 * getrusage figure (ru_maxrss) survives exec, so a worker process started by a large parent would
 * report the parent's size (690 MiB for an mlp worker forked by a bench holding six models).
 */
export function peakRss(): number {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // No /proc (macOS, Windows): the operating system's own figure.
  }
  return peakRssFromStatus(status) ?? process.resourceUsage().maxRSS * 1024;
}
