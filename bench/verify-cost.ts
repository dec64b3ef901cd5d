/**
 * CPU time of checking one proof, the queue producer's per-proof cost: snarkjs's
 * `groth16.verify` (its multi-threaded curve kept built, as the producer kept it) with the [r]B
 * subgroup check, as zkinfer verified before; the prepared verifier (prover/verify.ts); and the
 * two G2 membership tests alone. A developer's measurement for docs/ARCHITECTURE.md, on a folder
 * through `zkinfer setup`:
 *   node -e "import('./dist/bench/verify-cost.js').then(async (m) => console.log(await m.measureVerifyCost('artifacts/mlp')))"
 */
import * as snarkjs from 'snarkjs';
import { ZkinferError } from '../core/errors.js';
import { readJson } from '../core/files.js';
import { artifactPath, openArtifacts, readCircuit } from '../pipeline/artifacts.js';
import { FILES } from '../pipeline/manifest.js';
import { type ProverProof, createProver } from '../pipeline/prover.js';
import { singleThreadCurve } from '../prover/bn128.js';
import { withBn128 } from '../prover/curve.js';
import { g2MembershipTest, scalarBytes } from '../prover/g2-subgroup.js';
import { type VerificationKey, verifyGroth16 } from '../prover/verify.js';
import { randomModelInputs } from './throughput.js';

export interface VerifyCost {
  proofs: number;
  /** Mean CPU ms per proof of this process (all its threads). */
  snarkjsMs: number;
  preparedMs: number;
  /** G2 membership of B alone: [r]B = O, and ψ(B) = [6x²]B. */
  subgroupByOrderMs: number;
  subgroupByPsiMs: number;
}

export async function measureVerifyCost(dir: string, proofs = 40): Promise<VerifyCost> {
  const circuit = await readCircuit(dir, await openArtifacts(dir, ['quantize', 'compile', 'setup']));
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as VerificationKey;
  const prover = await createProver(dir, { size: 1 });
  const made: ProverProof[] = [];
  try {
    for (const values of randomModelInputs(circuit.model, proofs)) made.push(await prover.prove({ values }));
  } finally {
    await prover.close();
  }
  /** Mean CPU ms of `check` over every proof, after one round that warms it up; every verdict must be true. */
  const cpuPerProof = async (check: (k: number) => Promise<boolean> | boolean) => {
    for (let k = 0; k < made.length; k++) if (!(await check(k))) throw new ZkinferError('CHECK_FAILED', `proof ${k + 1} does not verify`);
    const start = process.cpuUsage();
    for (let k = 0; k < made.length; k++) await check(k);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / made.length;
  };
  const { curve } = await singleThreadCurve();
  const points = made.map((m) => {
    const [[x0, x1], [y0, y1]] = m.proof.pi_b;
    return curve.G2.fromObject([
      [BigInt(x0), BigInt(x1)],
      [BigInt(y0), BigInt(y1)],
    ]);
  });
  const r = scalarBytes(curve.r);
  const inG2 = g2MembershipTest(curve);
  const subgroupByOrderMs = await cpuPerProof((k) => curve.G2.isZero(curve.G2.timesScalar(points[k]!, r)));
  const subgroupByPsiMs = await cpuPerProof((k) => inG2(points[k]!));
  const snarkjsMs = await withBn128(() =>
    cpuPerProof(async (k) => curve.G2.isZero(curve.G2.timesScalar(points[k]!, r)) && (await snarkjs.groth16.verify(vk, made[k]!.publicSignals, made[k]!.proof))),
  );
  const preparedMs = await cpuPerProof((k) => verifyGroth16(vk, made[k]!.publicSignals, made[k]!.proof));
  return { proofs, snarkjsMs, preparedMs, subgroupByOrderMs, subgroupByPsiMs };
}
