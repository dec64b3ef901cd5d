/**
 * Proof time per folder, alternating: one warm prover (one worker, one thread) per artifacts
 * folder, each proving the same random inputs in turn, so that the folders meet the same load.
 * Used to compare one model compiled by circom and by the direct path (issue 17: "no zoo model's
 * prove time worse"). A developer's measurement for bench/RESULTS.md:
 *   node -e "import('./dist/bench/compare-provers.js').then((m) => m.compareProvers(['A', 'B'], 15))"
 * The folders must hold the same model (same input size); the load is printed.
 */
import * as os from 'node:os';
import { InputError } from '../core/errors.js';
import { inputSize } from '../model/ir.js';
import { createProver, type Prover } from '../pipeline/prover.js';
import { median } from './stats.js';

export interface ProverComparison {
  dir: string;
  /** Per proof, in the order proven: the worker's CPU time (all threads), witness and proof wall times, ms. */
  cpuMs: number[];
  witnessMs: number[];
  proveMs: number[];
}

export async function compareProvers(dirs: string[], proofs: number, print = true): Promise<ProverComparison[]> {
  const provers: Prover[] = [];
  const results = dirs.map((dir) => ({ dir, cpuMs: [] as number[], witnessMs: [] as number[], proveMs: [] as number[] }));
  const loadBefore = os.loadavg()[0]!;
  try {
    for (const dir of dirs) provers.push(await createProver(dir, { size: 1, threads: 1 }));
    const size = inputSize(provers[0]!.model.input);
    for (const p of provers) {
      if (inputSize(p.model.input) !== size) throw new InputError(`${p.dir}: input of ${inputSize(p.model.input)} values, ${dirs[0]} has ${size}: not the same model`);
    }
    for (let i = 0; i < proofs; i++) {
      const values = Array.from({ length: size }, () => Math.random());
      for (const [k, prover] of provers.entries()) {
        const proof = await prover.prove({ values });
        results[k]!.cpuMs.push(proof.cpuMs);
        results[k]!.witnessMs.push(proof.witnessMs);
        results[k]!.proveMs.push(proof.proveMs);
      }
    }
  } finally {
    await Promise.allSettled(provers.map((p) => p.close()));
  }
  if (print) {
    console.log(`${proofs} proofs per folder, alternating; 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after`);
    for (const r of results) {
      console.log(`${r.dir}: CPU per proof median ${median(r.cpuMs).toFixed(0)} ms (${Math.min(...r.cpuMs).toFixed(0)}–${Math.max(...r.cpuMs).toFixed(0)}), witness ${median(r.witnessMs).toFixed(0)} ms, proof ${median(r.proveMs).toFixed(0)} ms`);
    }
  }
  return results;
}
