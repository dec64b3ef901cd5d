/**
 * The prepared Groth16 verifier (prover/verify.ts) on real proofs of the tiny model (6 public
 * signals, negative logits among them): every single tampered field is rejected, a proof under
 * another key is rejected, and on every case its verdict is snarkjs's `groth16.verify`'s.
 */
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ProverProof, createProver } from '../../index.js';
import { withBn128 } from '../../prover/curve.js';
import type { Groth16Proof } from '../../prover/pool/messages.js';
import { VerificationBatches, holdMs } from '../../prover/verify-batches.js';
import { type VerificationKey, preparedVerifier, verifyGroth16 } from '../../prover/verify.js';
import { randomInputs } from '../helpers/fixtures.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';

/** BN254's q and r, written out here so the test does not trust the code under test. */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** On the twist y² = x³ + 3/(9+u) with x = u, but outside G2. */
const OUTSIDE_G2: Groth16Proof['pi_b'] = [
  ['0', '1'],
  ['5857410223677516958241855868975604786906559121396168184066542210254491971240', '3499505209057624827709920819629410982529044040404494099368353913743455207650'],
  ['1', '0'],
];

let a: TinyArtifacts;
let b: TinyArtifacts;
let proofs: ProverProof[];

beforeAll(async () => {
  [a, b] = [await makeTinyArtifacts('zkinfer-verify-a-', 7), await makeTinyArtifacts('zkinfer-verify-b-', 8)];
  const prover = await createProver(a.dir, { size: 1 });
  try {
    proofs = [];
    for (const values of randomInputs(41, 3, 16)) proofs.push(await prover.prove({ values }));
  } finally {
    await prover.close();
  }
});

afterAll(async () => {
  await a?.remove();
  await b?.remove();
});

const snarkjsVerdict = (vk: VerificationKey, signals: string[], proof: Groth16Proof) => withBn128(() => snarkjs.groth16.verify(vk, signals, proof));
const negated = (y: string) => ((Q - BigInt(y)) % Q).toString();
const plusOne = (value: string, modulus: bigint) => ((BigInt(value) + 1n) % modulus).toString();

/** Every way of changing one field of proof 0 (its own signals otherwise), each named. */
function tamperedCases(): { name: string; signals: string[]; proof: Groth16Proof }[] {
  const [first, other] = [proofs[0]!, proofs[1]!];
  const cases: { name: string; signals: string[]; proof: Groth16Proof }[] = [];
  const withProof = (name: string, change: (p: Groth16Proof) => void) => {
    const proof = structuredClone(first.proof);
    change(proof);
    cases.push({ name, signals: [...first.publicSignals], proof });
  };
  for (const g1 of ['pi_a', 'pi_c'] as const) {
    withProof(`${g1} from another proof`, (p) => (p[g1] = structuredClone(other.proof[g1])));
    withProof(`${g1} negated`, (p) => (p[g1][1] = negated(p[g1][1])));
    withProof(`${g1} off the curve`, (p) => (p[g1][0] = plusOne(p[g1][0], Q)));
    withProof(`${g1} the point at infinity`, (p) => (p[g1] = ['0', '0', '1']));
  }
  withProof('pi_b from another proof', (p) => (p.pi_b = structuredClone(other.proof.pi_b)));
  withProof('pi_b negated', (p) => (p.pi_b[1] = [negated(p.pi_b[1][0]), negated(p.pi_b[1][1])]));
  withProof('pi_b off the twist', (p) => (p.pi_b[0][1] = plusOne(p.pi_b[0][1], Q)));
  withProof('pi_b outside G2', (p) => (p.pi_b = structuredClone(OUTSIDE_G2)));
  withProof('pi_b the point at infinity', (p) => (p.pi_b = [['0', '0'], ['0', '0'], ['1', '0']]));
  for (const [i, signal] of first.publicSignals.entries()) {
    for (const [how, value] of [['plus one', plusOne(signal, R)], ['negated', ((R - BigInt(signal)) % R).toString()]] as const) {
      if (value === signal) continue;
      const signals = [...first.publicSignals];
      signals[i] = value;
      cases.push({ name: `signal ${i} ${how}`, signals, proof: structuredClone(first.proof) });
    }
  }
  cases.push({ name: "another proof's signals", signals: [...other.publicSignals], proof: structuredClone(first.proof) });
  return cases;
}

/** VerificationBatches on the tiny model's verifier, with the size of each batch it verifies. */
async function countedBatches(maxHoldMs = 0): Promise<{ checks: VerificationBatches; batches: number[] }> {
  const verifier = await preparedVerifier(a.vk);
  const batches: number[] = [];
  const counted = new Proxy(verifier, {
    get: (target, name) => (name === 'verifyBatch' ? (items: never[]) => (batches.push(items.length), target.verifyBatch(items)) : Reflect.get(target, name)),
  });
  return { checks: new VerificationBatches(counted, maxHoldMs), batches };
}

describe('the prepared Groth16 verifier', () => {
  it('accepts valid proofs, as snarkjs does', async () => {
    expect(a.vk.nPublic).toBeGreaterThan(2);
    expect(proofs[0]!.publicSignals.some((s) => BigInt(s) > R / 2n), 'a negative logit among the signals').toBe(true);
    for (const proof of proofs) {
      expect(await verifyGroth16(a.vk, proof.publicSignals, proof.proof)).toBe(true);
      expect(await snarkjsVerdict(a.vk, proof.publicSignals, proof.proof)).toBe(true);
    }
  });

  it('rejects every single tampered field, as snarkjs does', async () => {
    const cases = tamperedCases();
    expect(cases.length).toBeGreaterThan(2 * a.vk.nPublic);
    const verifier = await preparedVerifier(a.vk);
    // One snarkjs curve for all the cases (each call would build and stop its threads otherwise).
    await withBn128(async () => {
      for (const { name, signals, proof } of cases) {
        expect(verifier.verify(signals, proof), name).toBe(false);
        expect(await verifyGroth16(a.vk, signals, proof), name).toBe(false);
        expect(await snarkjsVerdict(a.vk, signals, proof), name).toBe(false);
      }
    });
  });

  it("rejects a proof under another key's verification key, as snarkjs does", async () => {
    for (const proof of proofs) {
      expect(await verifyGroth16(b.vk, proof.publicSignals, proof.proof)).toBe(false);
      expect(await snarkjsVerdict(b.vk, proof.publicSignals, proof.proof)).toBe(false);
    }
  });

  it('refuses a key whose points are not on the curve, naming the field', async () => {
    const broken = structuredClone(a.vk) as VerificationKey & { vk_delta_2: string[][] };
    broken.vk_delta_2[0]![0] = plusOne(broken.vk_delta_2[0]![0]!, Q);
    await expect(verifyGroth16(broken, proofs[0]!.publicSignals, proofs[0]!.proof)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/vk_delta_2/) });
    const outside = { ...structuredClone(a.vk), vk_gamma_2: OUTSIDE_G2 } as VerificationKey;
    await expect(verifyGroth16(outside, proofs[0]!.publicSignals, proofs[0]!.proof)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/vk_gamma_2/) });
  });

  it('a batch gives each proof its own verdict: all valid, or each tampered case beside valid proofs', async () => {
    const verifier = await preparedVerifier(a.vk);
    // Proofs checked one by one (after a batch that failed, or alone): none when a batch holds.
    const alone = vi.spyOn(verifier as unknown as { holds: () => boolean }, 'holds');
    const valid = proofs.map((p) => ({ publicSignals: p.publicSignals, proof: p.proof }));
    expect(verifier.verifyBatch(valid)).toEqual(valid.map(() => true));
    expect(alone).not.toHaveBeenCalled();
    for (const { name, signals, proof } of tamperedCases()) {
      expect(verifier.verifyBatch([valid[1]!, { publicSignals: signals, proof }, valid[2]!]), name).toEqual([true, false, true]);
      // First in its batch, where its weight is 1.
      expect(verifier.verifyBatch([{ publicSignals: signals, proof }, valid[1]!]), `${name}, first`).toEqual([false, true]);
    }
    expect(alone).toHaveBeenCalled();
    alone.mockRestore();
    expect(verifier.verifyBatch([])).toEqual([]);
    expect(verifier.verifyBatch([valid[0]!])).toEqual([true]);
  });

  it('a batch of two invalid proofs whose errors cancel without weights is refused', async () => {
    // C₁ + D and C₂ − D: the unweighted product e(−C₁ − D, δ) · e(−C₂ + D, δ) equals the valid
    // pair's, so only the random weights tell the two invalid proofs apart from valid ones.
    const verifier = await preparedVerifier(a.vk);
    const { G1 } = verifier['curve'] as { G1: { fromObject(p: unknown): Uint8Array; add(x: Uint8Array, y: Uint8Array): Uint8Array; neg(p: Uint8Array): Uint8Array; toAffine(p: Uint8Array): Uint8Array; toObject(p: Uint8Array): bigint[]; g: Uint8Array } };
    const shifted = (p: ProverProof, sign: 1 | -1) => {
      const c = G1.fromObject(p.proof.pi_c.slice(0, 2).map(BigInt));
      const moved = G1.toObject(G1.toAffine(G1.add(c, sign === 1 ? G1.g : G1.neg(G1.g))));
      const proof: Groth16Proof = { ...structuredClone(p.proof), pi_c: [moved[0]!.toString(), moved[1]!.toString(), '1'] };
      return { publicSignals: p.publicSignals, proof };
    };
    const pair = [shifted(proofs[0]!, 1), shifted(proofs[1]!, -1)];
    for (const p of pair) expect(verifier.verify(p.publicSignals, p.proof)).toBe(false);
    expect(verifier.verifyBatch(pair)).toEqual([false, false]);
    expect(verifier.verifyBatch([pair[0]!, { publicSignals: proofs[2]!.publicSignals, proof: proofs[2]!.proof }, pair[1]!])).toEqual([false, true, false]);
  });

  it('checks asked for in one turn of the event loop are verified as one batch, each with its own verdict', async () => {
    const { checks, batches } = await countedBatches();
    const tampered = structuredClone(proofs[0]!.proof);
    tampered.pi_a = structuredClone(proofs[1]!.proof.pi_a);
    const verdicts = await Promise.all([...proofs.map((p) => checks.verify(p.publicSignals, p.proof)), checks.verify(proofs[0]!.publicSignals, tampered)]);
    expect(verdicts).toEqual([...proofs.map(() => true), false]);
    expect(batches).toEqual([proofs.length + 1]);
    // A check asked for later is a batch of its own.
    expect(await checks.verify(proofs[1]!.publicSignals, proofs[1]!.proof)).toBe(true);
    expect(batches).toEqual([proofs.length + 1, 1]);
  });

  it('with a hold, a check waits for company only where checks arrive often: up to twice the mean gap, at most the hold', () => {
    expect([holdMs(undefined, 100), holdMs(100, 100), holdMs(1000, 100), holdMs(20, 0)]).toEqual([0, 0, 0, 0]);
    expect(holdMs(20, 100)).toBe(40);
    expect(holdMs(70, 100)).toBe(100);
  });

  it('with a hold, checks arriving a few milliseconds apart wait for the next one and are verified in pairs; without, each goes alone', async () => {
    const { checks: alone, batches: single } = await countedBatches(0);
    for (let k = 0; k < 3; k++) {
      expect(await Promise.all([alone.verify(proofs[k]!.publicSignals, proofs[k]!.proof), new Promise((resolve) => setTimeout(resolve, 5))])).toEqual([true, undefined]);
    }
    expect(single).toEqual([1, 1, 1]);
    const { checks, batches } = await countedBatches(100);
    const verdicts: Promise<boolean>[] = [];
    // The first has no gap to go by and goes alone; each later one waits at least twice the 5 ms
    // gap, so the next, due after 5 ms, always joins it (a timer due sooner runs first); the last waits alone.
    for (let k = 0; k < 6; k++) {
      verdicts.push(checks.verify(proofs[k % 3]!.publicSignals, proofs[k % 3]!.proof));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await Promise.all(verdicts)).toEqual(Array(6).fill(true));
    expect(batches).toEqual([1, 2, 2, 1]);
    expect(checks.counts).toEqual({ proofs: 6, batches: 4 });
  });
});
