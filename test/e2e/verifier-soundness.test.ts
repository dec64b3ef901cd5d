/**
 * The verifier side of soundness, on two small models' real artifacts: a proof with any one
 * coordinate changed, any public signal changed, a public signal at or above the scalar field
 * modulus r, and a proof made for the other model's key are all rejected off-chain (`verifyGroth16`,
 * and `verifyStep` on proof files) and on-chain by the bare exported Solidity verifier.
 * (Replays of valid proofs are not the verifier's concern: a registry that records inferences
 * must key them by public signals, since Groth16 proofs can be re-randomised.)
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../core/files.js';
import { compileStep } from '../../pipeline/compile.js';
import { exportVerifierStep } from '../../pipeline/contracts.js';
import type { ProofBundle } from '../../pipeline/proof-bundle.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import type { Groth16Proof } from '../../prover/pool/messages.js';
import { type VerificationKey, verifyGroth16 } from '../../prover/verify.js';
import { type Chain, connectChain } from '../../verifier-contracts/chain.js';
import type { CompiledContract } from '../../verifier-contracts/solc.js';
import { deployContract, verifyOnChain } from '../../verifier-contracts/verifier.js';
import { writeTinyModel } from '../helpers/fixtures.js';

/** BN254's scalar field order r and base field order q, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

interface Folder {
  dir: string;
  vk: VerificationKey;
  bundle: ProofBundle;
  proofFile: string;
  verifier: CompiledContract;
}

let a: Folder;
let b: Folder;
let chain: Chain;
let addressA: string;

async function folder(seed: number): Promise<Folder> {
  const model = await writeTinyModel(undefined, seed);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `zkinfer-verifier-${seed}-`));
  await quantizeStep({ model, out: dir });
  await compileStep(dir);
  await setupStep(dir);
  const { file, bundle } = await proveStep(dir, { input: path.join(model, 'input.json') });
  await exportVerifierStep(dir);
  return {
    dir,
    vk: (await readJson(path.join(dir, 'keys', 'verification_key.json'), 'key')) as VerificationKey,
    bundle,
    proofFile: file,
    verifier: (await readJson(path.join(dir, 'contracts', 'Groth16Verifier.json'), 'verifier')) as CompiledContract,
  };
}

/** Every way of changing one number of a proof or its public signals, named. */
function tamperings(bundle: ProofBundle): { name: string; proof: Groth16Proof; signals: string[] }[] {
  const out: { name: string; proof: Groth16Proof; signals: string[] }[] = [];
  const add = (name: string, edit: (proof: Groth16Proof, signals: string[]) => void) => {
    const proof = structuredClone(bundle.proof);
    const signals = [...bundle.publicSignals];
    edit(proof, signals);
    out.push({ name, proof, signals });
  };
  const bump = (v: string, d: bigint) => (BigInt(v) + d).toString();
  for (const k of [0, 1]) {
    add(`pi_a[${k}] + 1`, (p) => (p.pi_a[k] = bump(p.pi_a[k]!, 1n)));
    add(`pi_c[${k}] + 1`, (p) => (p.pi_c[k] = bump(p.pi_c[k]!, 1n)));
    add(`pi_a[${k}] + q`, (p) => (p.pi_a[k] = bump(p.pi_a[k]!, Q)));
    for (const j of [0, 1]) add(`pi_b[${k}][${j}] + 1`, (p) => (p.pi_b[k]![j] = bump(p.pi_b[k]![j]!, 1n)));
  }
  add('pi_a negated (y → q - y)', (p) => (p.pi_a[1] = (Q - BigInt(p.pi_a[1]!)).toString()));
  add('pi_a and pi_c swapped', (p) => ([p.pi_a, p.pi_c] = [p.pi_c, p.pi_a]));
  bundle.publicSignals.forEach((_, i) => {
    add(`publicSignals[${i}] + 1`, (_p, s) => (s[i] = bump(s[i]!, 1n)));
    add(`publicSignals[${i}] + r (the same field element, not canonical)`, (_p, s) => (s[i] = bump(s[i]!, R)));
  });
  add('publicSignals[1] = r (≥ the modulus)', (_p, s) => (s[1] = R.toString()));
  add('publicSignals[1] = 2^256 - 1', (_p, s) => (s[1] = ((1n << 256n) - 1n).toString()));
  return out;
}

beforeAll(async () => {
  [a, b] = [await folder(7), await folder(8)];
  chain = await connectChain();
  addressA = (await deployContract(chain, a.verifier)).address;
});

describe('a valid proof, for reference', () => {
  it('verifies off-chain and on-chain', async () => {
    expect(await verifyGroth16(a.vk, a.bundle.publicSignals, a.bundle.proof)).toBe(true);
    expect((await verifyOnChain(chain, addressA, a.verifier.abi, a.bundle.proof, a.bundle.publicSignals)).valid).toBe(true);
    expect((await verifyStep(a.dir, { proof: a.proofFile })).valid).toBe(true);
  });
});

describe('tampered proofs and public signals', () => {
  it("are rejected off-chain by verifyGroth16 and on-chain by the exported verifier, each", async () => {
    const cases = tamperings(a.bundle);
    expect(cases.length).toBe(2 * 5 + 2 + 2 * a.bundle.publicSignals.length + 2);
    for (const { name, proof, signals } of cases) {
      expect(await verifyGroth16(a.vk, signals, proof), `off-chain: ${name}`).toBe(false);
      expect((await verifyOnChain(chain, addressA, a.verifier.abi, proof, signals)).valid, `on-chain: ${name}`).toBe(false);
    }
  });

  it('are INVALID or refused by zkinfer verify on proof files', async () => {
    for (const { name, proof, signals } of tamperings(a.bundle)) {
      const file = path.join(a.dir, 'tampered.json');
      await fs.writeFile(file, JSON.stringify({ ...a.bundle, proof, publicSignals: signals }));
      const result = await verifyStep(a.dir, { proof: file }).then(
        (r) => (r.valid ? 'valid' : 'INVALID'),
        (e: { code?: string }) => e.code,
      );
      // Signals at or above r are not field elements: INVALID, or refused as malformed.
      expect(['INVALID', 'PROOF_INVALID'], name).toContain(result);
    }
  });
});

describe("a proof for another model's key", () => {
  it("is rejected by the other model's verification key, off-chain and on-chain", async () => {
    expect(b.bundle.publicSignals).toHaveLength(a.bundle.publicSignals.length);
    expect(await verifyGroth16(a.vk, b.bundle.publicSignals, b.bundle.proof)).toBe(false);
    expect((await verifyOnChain(chain, addressA, a.verifier.abi, b.bundle.proof, b.bundle.publicSignals)).valid).toBe(false);
    // And with A's public signals, B's proof elements do not verify either.
    expect(await verifyGroth16(a.vk, a.bundle.publicSignals, b.bundle.proof)).toBe(false);
    expect((await verifyOnChain(chain, addressA, a.verifier.abi, b.bundle.proof, a.bundle.publicSignals)).valid).toBe(false);
  });

  it('is refused by zkinfer verify as a proof file for another key (exit code 3)', async () => {
    await expect(verifyStep(a.dir, { proof: b.proofFile })).rejects.toMatchObject({ code: 'PROOF_INVALID', message: expect.stringMatching(/another verification key/) });
  });
});
