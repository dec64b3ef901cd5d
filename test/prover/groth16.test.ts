import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSectionTable } from '../../core/binfile-files.js';
import { domainRoots } from '../../core/field.js';
import { singleThreadCurve } from '../../prover/bn128.js';
import { DEFAULT_PRECOMPUTE_BUDGET, Groth16Prover, precomputation, quotientWindow } from '../../prover/groth16.js';
import { nodePlatform } from '../../prover/threads/node.js';
import { setupGroth16 } from '../../prover/setup/groth16.js';
import { ensureDevPtau, ptauPowerFor } from '../../prover/setup/ptau.js';
import { verifyGroth16, type VerificationKey } from '../../prover/verify.js';
import { compileSource, poseidonSampleSource } from '../helpers/circuits.js';

/** The order r of BN254's scalar field, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// Public signals of every kind the multi-scalar multiplications see: a Poseidon hash (a full-width
// field element), a product, a negative value (r - x), zero, and the inputs themselves.
const SOURCE = poseidonSampleSource(4);

let tmp: string;
let zkey: Uint8Array;
let zkeyPath: string;
let vk: VerificationKey;
let prover: Groth16Prover;
let wasm: Buffer;

async function wtns(input: Record<string, unknown>, wasmCode: Uint8Array = wasm): Promise<Uint8Array> {
  return (await WitnessCalculatorBuilder(wasmCode)).calculateWTNSBin(input, false);
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-groth16-'));
  const { files } = await compileSource(SOURCE);
  wasm = await fs.readFile(files.wasm);
  const ptauPath = (await ensureDevPtau(await ptauPowerFor(files.r1cs))).path;
  zkeyPath = path.join(tmp, 'sample.zkey');
  const vkPath = path.join(tmp, 'verification_key.json');
  await setupGroth16({ r1csPath: files.r1cs, ptauPath, zkeyPath, vkPath });
  vk = JSON.parse(await fs.readFile(vkPath, 'utf8')) as VerificationKey;
  zkey = new Uint8Array(await fs.readFile(zkeyPath));
  prover = await Groth16Prover.load(zkey, zkeyPath, nodePlatform);
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('Groth16Prover (the proving key resident in WebAssembly memory)', () => {
  it('makes proofs the verification key accepts, with the public signals snarkjs reads from the same witness', async () => {
    const witness = await wtns({ x: [3, 5, 7, 11] });
    const first = await prover.prove(witness);
    const second = await prover.prove(witness);
    const reference = await snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: witness });

    expect(first.publicSignals).toEqual(reference.publicSignals);
    expect(first.publicSignals.slice(1, 3)).toEqual(['15', String(R - 77n)]);
    expect(first.publicSignals.slice(3)).toEqual(['3', '5', '7', '11']);
    expect(BigInt(first.publicSignals[0]!)).toBeGreaterThan(2n ** 128n);
    expect(first.proof).toMatchObject({ protocol: 'groth16', curve: 'bn128' });
    expect(await verifyGroth16(vk, first.publicSignals, first.proof)).toBe(true);
    expect(await verifyGroth16(vk, second.publicSignals, second.proof)).toBe(true);
    // Fresh blinding each time: the same witness never gives the same proof twice.
    expect(second.proof.pi_a).not.toEqual(first.proof.pi_a);
    expect(second.proof.pi_c).not.toEqual(first.proof.pi_c);
  });

  it("makes snarkjs's proof, byte for byte, for the same key, witness, r and s", async () => {
    // snarkjs draws r then s from its curve's Fr.random(); its prover takes the curve ffjavascript
    // caches (the one getCurveFromName returns), so the test hands it r and s there, and only here.
    const fr = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as { Fr: { random(): Uint8Array; e(value: bigint): Uint8Array } };
    const draw = fr.Fr.random;
    const witness = await wtns({ x: [3, 5, 7, 11] });
    const fresh = () => BigInt(`0x${randomBytes(32).toString('hex')}`) % (R - 1n) + 1n;
    for (const [r, s] of [[1n, 2n], [R - 1n, 123456789n], [fresh(), fresh()]] as const) {
      const draws = [r, s];
      fr.Fr.random = () => fr.Fr.e(draws.shift()!);
      let reference: Awaited<ReturnType<typeof snarkjs.groth16.prove>>;
      try {
        reference = await snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: witness });
      } finally {
        fr.Fr.random = draw;
      }
      expect(draws).toEqual([]); // snarkjs drew exactly r and s
      const ours = await prover.prove(witness, { r, s });
      expect(ours.proof).toEqual(reference.proof);
      expect(ours.publicSignals).toEqual(reference.publicSignals);
    }
    // Other r and s, another proof: the blinding is what was given.
    expect((await prover.prove(witness, { r: 1n, s: 3n })).proof.pi_c).not.toEqual((await prover.prove(witness, { r: 1n, s: 2n })).proof.pi_c);
  });

  it('refuses a blinding that is not a nonzero field element, or only one of r and s', async () => {
    const witness = await wtns({ x: [1, 2, 3, 4] });
    for (const bad of [{ r: 0n, s: 1n }, { r: 1n, s: R }, { r: -1n, s: 1n }, { r: 5n }, { s: 5n }]) {
      expect(() => prover.prove(witness, bad)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/the blinding [rs] must be given with the other, as a bigint in 1\.\.r-1/) }));
    }
  });

  it('keeps proving correctly across witnesses: no state leaks from one proof into the next', async () => {
    for (const x of [
      [0, 0, 0, 0],
      [1, 2, 3, 4],
      [R - 1n, 2, R - 5n, 9],
    ]) {
      const result = await prover.prove(await wtns({ x }));
      expect(await verifyGroth16(vk, result.publicSignals, result.proof)).toBe(true);
      const other = [...result.publicSignals];
      other[1] = String((BigInt(other[1]!) + 1n) % R);
      expect(await verifyGroth16(vk, other, result.proof)).toBe(false);
    }
  });

  it('refuses a witness of another circuit or a file that is not a witness, naming it', async () => {
    const { files } = await compileSource(await fs.readFile(path.join(import.meta.dirname, '..', 'fixtures', 'circuits', 'multiplier.circom'), 'utf8'), []);
    const foreign = await wtns({ a: 3, b: 5 }, await fs.readFile(files.wasm));
    expect(() => prover.prove(foreign, { where: 'other.wtns' })).toThrow(/other\.wtns: it has 5 values, the proving key \d+/);
    expect(() => prover.prove(new Uint8Array(64), { where: 'zeros.wtns' })).toThrow(/zeros\.wtns: not a circom witness/);
    const truncated = (await wtns({ x: [1, 2, 3, 4] })).slice(0, 200);
    expect(() => prover.prove(truncated, { where: 'cut.wtns' })).toThrow(/cut\.wtns: truncated/);
  });

  it('refuses a damaged proving key with ARTIFACT_INVALID, naming the file and the problem', async () => {
    const table = await readSectionTable(zkeyPath, 'zkey');
    const at = (type: number) => table.sections.find((s) => s.type === type)!.offset;
    const damaged = (change: (bytes: Uint8Array, view: DataView) => void) => {
      const bytes = zkey.slice();
      change(bytes, new DataView(bytes.buffer));
      return Groth16Prover.load(bytes, 'keys/damaged.zkey', nodePlatform);
    };
    const fail = (message: RegExp) => ({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(message) });

    await expect(Groth16Prover.load(zkey.slice(0, zkey.length - 100), 'keys/cut.zkey', nodePlatform)).rejects.toMatchObject(fail(/^keys\/cut\.zkey: .*truncated/));
    await expect(damaged((_, v) => v.setUint32(at(1), 2, true))).rejects.toMatchObject(fail(/damaged\.zkey: .*not a Groth16 key/));
    // The first coefficient's signal index, pointed past the witness: it would write outside the evaluations.
    await expect(damaged((_, v) => v.setUint32(at(4) + 4 + 8, 0xffffffff, true))).rejects.toMatchObject(fail(/coefficient 0 .*outside/));
    // The domain size, no longer matching the H section.
    await expect(damaged((_, v) => v.setUint32(at(2) + 80, 2 * v.getUint32(at(2) + 80, true), true))).rejects.toMatchObject(fail(/H section has \d+ bytes/));
    await expect(damaged((b) => b.set([0x70, 0x74, 0x61, 0x75], 0))).rejects.toMatchObject(fail(/not a \.zkey file/));
  });
});

describe('domainRoots', () => {
  it("are ffjavascript's roots of unity and coset shifts, which snarkjs's keys assume, for every domain size", async () => {
    const { curve } = await singleThreadCurve();
    const fr = curve.Fr as unknown as { w: Uint8Array[]; shift: Uint8Array; s: number; toObject(e: Uint8Array): bigint };
    expect(fr.s).toBe(28);
    for (let power = 0; power <= fr.s; power++) {
      const roots = domainRoots(power);
      expect(roots.omega).toBe(fr.toObject(fr.w[power]!));
      expect(roots.coset).toBe(fr.toObject(power < fr.s ? fr.w[power + 1]! : fr.shift));
    }
    expect(() => domainRoots(29)).toThrow(/no domain of 2\^29 points/);
  });
});

describe('precomputation', () => {
  it("widens H's window with the domain: the fewest additions, digits against buckets", () => {
    const widths = [10, 12, 13, 14, 15, 16, 17, 20].map((power) => quotientWindow(2 ** power));
    expect(widths[2]).toBe(13);
    expect(widths.slice(5)).toEqual([16, 16, 16]);
    for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeGreaterThanOrEqual(widths[i - 1]!);
  });

  it("takes H's multiples first, then the witness sections' when they fit beside them, never more than the budget", () => {
    const small = { nVars: 3000, nPublic: 12, domainSize: 2 ** 12 };
    const all = precomputation(small);
    expect(all).toMatchObject({ quotient: 13, witness: 8 });
    expect(all.bytes).toBeLessThanOrEqual(DEFAULT_PRECOMPUTE_BUDGET);
    const quotientOnly = precomputation(small, all.bytes - 1);
    expect(quotientOnly.quotient).toBe(13);
    expect(quotientOnly.witness).toBeUndefined();
    expect(quotientOnly.bytes).toBeLessThan(all.bytes);
    expect(quotientOnly.quotientSlots).toBe(20 * 2 ** 12);
    const halves = precomputation(small, quotientOnly.bytes - 1);
    expect(halves).toMatchObject({ quotient: 13, quotientSlots: 10 * 2 ** 12 });
    expect(precomputation(small, halves.bytes - 1)).toEqual({ bytes: 0 });
    // A 2^15 domain whose witness is too large for the default budget still gets H's (cnn_14_5_11_80_10's shape).
    const mid = precomputation({ nVars: 21_130, nPublic: 12, domainSize: 2 ** 15 });
    expect(mid).toMatchObject({ quotient: 16 });
    expect(mid.witness).toBeUndefined();
    // H's operands in two halves where all at once do not fit (LeNet's 2^17 domain): one more bucket sum, in the budget.
    const large = { nVars: 100_000, nPublic: 12, domainSize: 2 ** 17 };
    const roomy = precomputation(large, Infinity);
    expect(roomy).toMatchObject({ quotient: 16, quotientSlots: 16 * 2 ** 17, witness: 8 });
    const inBudget = precomputation(large);
    expect(inBudget).toMatchObject({ quotient: 16, quotientSlots: 8 * 2 ** 17 });
    expect(inBudget.bytes).toBeLessThanOrEqual(DEFAULT_PRECOMPUTE_BUDGET);
    // On two threads each thread sums its own share of the windows (9 of 16, give or take one).
    expect(precomputation(large, Infinity, 2)).toMatchObject({ quotientSlots: 9 * 2 ** 17 });
    expect(precomputation({ nVars: 120_000, nPublic: 12, domainSize: 2 ** 18 })).toEqual({ bytes: 0 });
    expect(precomputation(small, 0)).toEqual({ bytes: 0 });
  });
});
