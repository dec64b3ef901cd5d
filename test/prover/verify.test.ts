/**
 * The prepared Groth16 verifier (prover/verify.ts) on real proofs of the tiny model (6 public
 * signals, negative logits among them): every single tampered field is rejected, a proof under
 * another key is rejected, and on every case its verdict is snarkjs's `groth16.verify`'s.
 */
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProverProof, createProver } from '../../index.js';
import { withBn128 } from '../../prover/curve.js';
import type { Groth16Proof } from '../../prover/pool/messages.js';
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
});
