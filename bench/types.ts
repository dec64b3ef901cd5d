/** What the benchmark measures of one model: the shape of `zkinfer bench --json` output, per model. */
import type { ErrorCode } from '../index.js';
import type { AgainstSnarkjs } from './against-snarkjs.js';
import type { Spread } from './stats.js';

export type BenchStatus = 'ok' | 'failed';

export interface ModelBench {
  name: string;
  /** e.g. "14x14 → 196 → Dense 25 relu → Dense 10 softmax". */
  architecture: string;
  status: BenchStatus;
  /** What went wrong (status 'failed'). */
  error?: { code: ErrorCode; message: string };
  /** The model's artifacts folder. */
  dir: string;
  /** Weights and biases, from model.json's weights manifest. */
  parameters?: number;
  /** From the model's metadata.json: TF.js's test accuracy when it was trained. */
  trainingFloatAccuracy?: number;
  accuracy?: { testImages: number; float?: number; quantized?: number };
  /** The proven samples: the first test images. */
  samples?: {
    count: number;
    /** Samples whose proven outputs (label and every logit) equal the integer reference's. */
    agreeing: number;
    /** Samples whose proven label is the true label. */
    correct: number;
  };
  constraints?: number;
  /** The cost model's constraints with --params hashed (private weights), or why that mode cannot be. */
  hashedParamsConstraints?: number | string;
  ptau?: { power: number; development: boolean; cached: boolean };
  ms?: {
    quantize?: number;
    /** circom itself (the compiler process), without reading the R1CS back. */
    compile?: number;
    /** setupStep: powers of tau (cached or generated, see `ptau`) and the Groth16 keys. */
    setup?: number;
    /** The first proof, in a fresh worker: witness and proof as the worker measured them, and the call as a whole. */
    coldProof?: { witness: number; prove: number; call: number };
    /** Every sample again in the now-warm worker. */
    witness?: Spread;
    prove?: Spread;
    /** The first verification, building the curve as `zkinfer verify` does. */
    coldVerify?: number;
    /** Every sample with the curve already built. */
    verify?: Spread;
    exportVerifier?: number;
    verifyOnChain?: Spread;
  };
  /**
   * CPU time (user + system), beside the wall times of `ms`: it does not grow on a loaded machine.
   * compile: the circom process (sampled from /proc every 100 ms); setup: this process, all its threads.
   */
  cpuMs?: { compile?: number; setup?: number };
  /**
   * zkinfer's single-threaded prover against snarkjs's groth16.prove on this model's key and one
   * witness, in CPU time, in this run (issue 20's target: a ratio of at most 0.2).
   */
  againstSnarkjs?: AgainstSnarkjs;
  /** The Groth16 proving key (.zkey) as written. */
  provingKeyBytes?: number;
  proofBytes?: {
    /** snarkjs's proof object (pi_a, pi_b, pi_c, protocol, curve) as compact JSON. */
    json: number;
    /** ABI-encoded calldata of one verifyProof call: selector, proof and public signals. */
    calldata: number;
    /** zkinfer's whole proof file (proof, public signals, decoded outputs), as written. */
    file: number;
  };
  /** Deploying the verifier; verifyProof alone; recording one inference through the InferenceRegistry. */
  gas?: { deploy: number; verify: Spread; registry: Spread };
  /** Tool versions: the circom compiler, solc, and the TF.js backend that measured float accuracy. */
  tools?: { circom?: string; solc?: string; tfjsBackend?: string };
  /** Peak resident memory (VmHWM): of this process while it benchmarked the model, of its prover worker, and of the circom compiler process. */
  memory?: { processPeakBytes?: number; workerPeakBytes?: number; compilerPeakBytes?: number; processPeakSinceStart: boolean };
}
