/**
 * The development setup against snarkjs: from the same secrets it writes byte for byte the key
 * snarkjs makes from a powers of tau, snarkjs's own phase-2 verification accepts the contribution
 * it records, and keys drawn with fresh secrets prove and verify, differ from run to run and keep
 * the pairing relations a Groth16 key must have.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChaCha } from 'ffjavascript';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUintLE } from '../../core/binfile.js';
import { withBn128 } from '../../prover/curve.js';
import type { ProofResult } from '../../prover/pool/messages.js';
import { ProverPool } from '../../prover/pool/pool.js';
import { type FfCurve, lem, singleThreadCurve, uncompressed } from '../../prover/bn128.js';
import { devSetup, DEV_CONTRIBUTION_NAME } from '../../prover/setup/dev-setup.js';
import { FixedBaseTable } from '../../prover/setup/fixed-base.js';
import { hashToG2, writeKeyFromSecrets } from '../../prover/setup/key-writer.js';
import type { ToxicWaste } from '../../prover/setup/qap.js';
import { readRawR1cs } from '../../prover/setup/r1cs-raw.js';
import { WasmArena } from '../../prover/wasm-arena.js';
import { decodeContributions } from '../../prover/setup/zkey-format.js';
import { verifyGroth16, type VerificationKey } from '../../prover/verify.js';
import { compileSource } from '../helpers/circuits.js';
import { distModule, runNodeScript } from '../helpers/node-script.js';

/** The order r of BN254's scalar field, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// Two public inputs and three outputs (six IC points), coefficients other than 1, an output that
// is a linear constraint (empty A and B), and enough rows for a 2^7 domain.
const SOURCE = `pragma circom 2.0.0;
template Several(n) {
    signal input a;
    signal input b;
    signal input c;
    signal output x;
    signal output y;
    signal output z;
    signal s[n + 1];
    s[0] <== a * b;
    for (var i = 0; i < n; i++) {
        s[i + 1] <== (3 * s[i] - 7 * c + i) * (s[i] + 5 * b);
    }
    x <== s[n] * c;
    y <== (c + 1) * (b - 2);
    z <== 11 * a + x;
}
component main {public [a, b]} = Several(100);
`;

const BEACON = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';
const BEACON_EXP = 10;

let tmp: string;
let circuit: { r1cs: string; wasm: string };
let ptau: string;
let curve: FfCurve;
/** τ, α, β of `ptau`: its only contribution is a beacon, whose secrets anyone can recompute. */
let beaconSecrets: Pick<ToxicWaste, 'tau' | 'alpha' | 'beta'>;
let keysA: { zkey: string; vk: VerificationKey; result: Awaited<ReturnType<typeof devSetup>> };
let keysB: typeof keysA;

const scalar = (value: bigint) => writeUintLE(value, 32);

/** Section type → bytes of an iden3 binary container. */
async function sections(file: string): Promise<Map<number, Buffer>> {
  const bytes = await fs.readFile(file);
  const out = new Map<number, Buffer>();
  let at = 12;
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const size = Number(bytes.readBigUInt64LE(at + 4));
    out.set(bytes.readUInt32LE(at), bytes.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return out;
}

async function devKeys(name: string): Promise<typeof keysA> {
  const zkey = path.join(tmp, name, 'key.zkey');
  const vkPath = path.join(tmp, name, 'vk.json');
  await fs.mkdir(path.dirname(zkey), { recursive: true });
  const result = await devSetup({ r1csPath: circuit.r1cs, zkeyPath: zkey, vkPath });
  return { zkey, vk: JSON.parse(await fs.readFile(vkPath, 'utf8')), result };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-dev-setup-'));
  const { files } = await compileSource(SOURCE, []);
  circuit = { r1cs: files.r1cs, wasm: files.wasm };
  ({ curve } = await singleThreadCurve());

  // A 2^8 ptau whose secrets we know: a fresh accumulator (τ = α = β = 1) and a beacon. snarkjs
  // derives the beacon's τ, α, β as the first three field elements of ChaCha seeded with the
  // beacon hash hashed 2^exp times with sha256 (misc.js rngFromBeaconParams, keypair.js createPTauKey).
  ptau = path.join(tmp, 'beacon.ptau');
  await withBn128(async (shared) => {
    await snarkjs.powersOfTau.newAccumulator(shared, 8, path.join(tmp, 'fresh.ptau'));
    await snarkjs.powersOfTau.beacon(path.join(tmp, 'fresh.ptau'), path.join(tmp, 'beacon-raw.ptau'), 'beacon', BEACON, BEACON_EXP);
    await snarkjs.powersOfTau.preparePhase2(path.join(tmp, 'beacon-raw.ptau'), ptau);
  });
  let hash = Buffer.from(BEACON, 'hex');
  for (let i = 0; i < 2 ** BEACON_EXP; i++) hash = createHash('sha256').update(hash).digest();
  const rng = new ChaCha(Array.from({ length: 8 }, (_, i) => hash.readUInt32BE(i * 4)));
  const next = () => {
    const out = new Uint8Array(32);
    curve.Fr.toRprLE(out, 0, curve.Fr.fromRng(rng));
    return out;
  };
  beaconSecrets = { tau: next(), alpha: next(), beta: next() };

  [keysA, keysB] = [await devKeys('a'), await devKeys('b')];
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('keys from given secrets', () => {
  it("are byte for byte the key snarkjs's newZKey makes from a ptau with those secrets", async () => {
    const ours = path.join(tmp, 'ours.zkey');
    const theirs = path.join(tmp, 'theirs.zkey');
    const one = scalar(1n);
    await writeKeyFromSecrets({ r1cs: await readRawR1cs(circuit.r1cs), secrets: { ...beaconSecrets, gamma: one, delta: one.slice() }, zkeyPath: ours });
    await withBn128(() => snarkjs.zKey.newZKey(circuit.r1cs, ptau, theirs));
    const [a, b] = [await sections(ours), await sections(theirs)];
    expect([...a.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...b.keys()].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const type of a.keys()) expect(a.get(type)!.equals(b.get(type)!), `section ${type}`).toBe(true);
    // Not trivially: six IC points, and the circuit hash is snarkjs's (section 10).
    expect(a.get(3)!.length).toBe(6 * 64);
    expect(decodeContributions(a.get(10)!).contributions).toEqual([]);
  });

  it("with δ recorded as a contribution, pass snarkjs's own phase-2 verification against that ptau", async () => {
    const key = path.join(tmp, 'contributed.zkey');
    const secrets = { ...beaconSecrets, gamma: scalar(1n), delta: scalar(BigInt('0x' + randomBytes(31).toString('hex')) + 2n) };
    await writeKeyFromSecrets({ r1cs: await readRawR1cs(circuit.r1cs), secrets, zkeyPath: key, contributionName: 'checked by snarkjs' });
    expect(await withBn128(() => snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, key))).toBe(true);
    // The same check fails for a key whose C points were made with another δ than its header says.
    const other = path.join(tmp, 'other-delta.zkey');
    await writeKeyFromSecrets({ r1cs: await readRawR1cs(circuit.r1cs), secrets: { ...secrets, delta: scalar(5n) }, zkeyPath: other, contributionName: 'other' });
    const mixed = Buffer.from(await fs.readFile(key));
    const otherSections = await sections(other);
    const at = mixed.indexOf((await sections(key)).get(8)!);
    otherSections.get(8)!.copy(mixed, at);
    await fs.writeFile(other, mixed);
    const log = console.log;
    console.log = () => {}; // snarkjs reports this failure with console.log
    try {
      expect(await withBn128(() => snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, other))).toBe(false);
    } finally {
      console.log = log;
    }
  });
});

describe('fixed-base multiplication', () => {
  it('equals ffjavascript on edge scalars, including the rare doubling at the top window', async () => {
    const { module } = await singleThreadCurve();
    const arena = WasmArena.create(module);
    // k = 3·2^253 − r: the top window's addend equals the running sum for these widths.
    const doubling = 3n * 2n ** 253n - R;
    const ks = [0n, 1n, 2n, 15n, 16n, 17n, 2n ** 12n, 2n ** 128n + 1n, R - 1n, R - 2n ** 200n, doubling, BigInt('0x' + randomBytes(31).toString('hex'))];
    for (const [group, window] of [
      ['G1', 4],
      ['G1', 12],
      ['G2', 4],
    ] as const) {
      const table = new FixedBaseTable(arena, group, lem(curve, group, curve[group].g), window);
      const scalars = new Uint8Array(ks.length * 32);
      ks.forEach((k, i) => scalars.set(scalar(k), i * 32));
      const out = table.multiply(scalars, { lem: true, uncompressed: true });
      const size = group === 'G1' ? 64 : 128;
      ks.forEach((k, i) => {
        const expected = curve[group].timesScalar(curve[group].g, scalar(k));
        expect(Buffer.from(out.lem!.subarray(i * size, (i + 1) * size)).equals(Buffer.from(lem(curve, group, expected))), `${group} w=${window} k=${k}`).toBe(true);
        expect(Buffer.from(out.uncompressed!.subarray(i * size, (i + 1) * size)).equals(Buffer.from(uncompressed(curve, group, expected)))).toBe(true);
      });
    }
  });
});

describe('devSetup', () => {
  let proofs: ProofResult[];
  const inputs = [
    { a: 3, b: 5, c: 7 },
    { a: 0, b: 0, c: 0 },
    { a: 1, b: 2, c: (R - 1n).toString() },
    { a: 123456789, b: 987654321, c: 42 },
  ];

  it('makes keys that prove and verify on several inputs, and only under their own verification key', async () => {
    const pool = await ProverPool.create({ size: 2 });
    try {
      proofs = await Promise.all(inputs.map((input) => pool.prove({ witnessPath: circuit.wasm, zkeyPath: keysA.zkey, input })));
      const otherProof = await pool.prove({ witnessPath: circuit.wasm, zkeyPath: keysB.zkey, input: inputs[0]! });
      for (const proof of proofs) {
        expect(proof.publicSignals).toHaveLength(5); // x, y, z, a, b
        expect(await verifyGroth16(keysA.vk, proof.publicSignals, proof.proof)).toBe(true);
        expect(await verifyGroth16(keysB.vk, proof.publicSignals, proof.proof)).toBe(false);
      }
      expect(await verifyGroth16(keysB.vk, otherProof.publicSignals, otherProof.proof)).toBe(true);
      expect(proofs[0]!.publicSignals.slice(3)).toEqual(['3', '5']);
    } finally {
      await pool.close();
    }
  });

  it('rejects tampered proofs and public signals', async () => {
    const [proof, other] = [proofs[0]!, proofs[3]!];
    const signals = [...proof.publicSignals];
    signals[4] = '6';
    expect(await verifyGroth16(keysA.vk, signals, proof.proof)).toBe(false);
    expect(await verifyGroth16(keysA.vk, proof.publicSignals, { ...proof.proof, pi_c: other.proof.pi_c })).toBe(false);
    expect(await verifyGroth16(keysA.vk, proof.publicSignals, { ...proof.proof, pi_a: other.proof.pi_a })).toBe(false);
  });

  it("writes the verification key snarkjs's own export gives for the proving key", async () => {
    const exported = await withBn128(() => snarkjs.zKey.exportVerificationKey(keysA.zkey));
    expect(keysA.vk).toEqual(exported);
    expect(await fs.readFile(path.join(path.dirname(keysA.zkey), 'vk.json'), 'utf8')).toBe(JSON.stringify(exported, null, 2) + '\n');
  });

  it('draws new secrets every time', () => {
    for (const field of ['vk_alpha_1', 'vk_beta_2', 'vk_gamma_2', 'vk_delta_2', 'IC'] as const) expect(keysA.vk[field]).not.toEqual(keysB.vk[field]);
    expect(keysA.result.circuitHash).not.toBe(keysB.result.circuitHash);
    expect(keysA.result.vkHash).not.toBe(keysB.result.vkHash);
    expect(keysA.result.contributions).toEqual([{ name: DEV_CONTRIBUTION_NAME, hash: expect.stringMatching(/^[0-9a-f]{128}$/) }]);
  });

  it('keeps the pairing relations of a Groth16 key and a valid proof of knowledge of δ', async () => {
    const s = await sections(keysA.zkey);
    const header = s.get(2)!;
    const nVars = header.readUInt32LE(72);
    const point = (bytes: Buffer, size: number, i: number) => new Uint8Array(bytes.subarray(i * size, (i + 1) * size));
    const [g1, g2] = [lem(curve, 'G1', curve.G1.g), lem(curve, 'G2', curve.G2.g)];
    const sameRatio = (a1: Uint8Array, b1: Uint8Array, a2: Uint8Array, b2: Uint8Array) => curve.pairingEq(curve.G1.neg(a1), b2, b1, a2); // e(a1,b2) = e(b1,a2)
    // B is the same polynomial in G1 and G2 (zero for wires no B uses: ffjavascript's pairing does not take infinity).
    let nonzero = 0;
    for (let i = 0; i < nVars; i++) {
      const [b1, b2] = [point(s.get(6)!, 64, i), point(s.get(7)!, 128, i)];
      const zero = [b1.every((x) => x === 0), b2.every((x) => x === 0)];
      expect(zero[0], `B[${i}] is zero in one group only`).toBe(zero[1]);
      if (zero[0]) continue;
      nonzero++;
      expect(await sameRatio(g1, b1, g2, b2), `B[${i}]`).toBe(true);
    }
    expect(nonzero).toBeGreaterThan(100);
    // Header: δ in G1 and G2 agree; γ is not the generator snarkjs would leave there.
    const at = 84; // after n8q, q, n8r, r, nVars, nPublic, domainSize
    const [alpha1, beta1, beta2, gamma2, delta1, delta2] = [
      header.subarray(at, at + 64),
      header.subarray(at + 64, at + 128),
      header.subarray(at + 128, at + 256),
      header.subarray(at + 256, at + 384),
      header.subarray(at + 384, at + 448),
      header.subarray(at + 448, at + 576),
    ].map((b) => new Uint8Array(b));
    expect(await sameRatio(g1, delta1!, g2, delta2!)).toBe(true);
    expect(await sameRatio(g1, beta1!, g2, beta2!)).toBe(true);
    expect(Buffer.from(gamma2!).equals(Buffer.from(g2))).toBe(false);
    expect(Buffer.from(alpha1!).equals(Buffer.from(g1))).toBe(false);
    // The contribution: transcript over the circuit hash, s and s·δ; h·δ for h derived from it.
    const { circuitHash, contributions } = decodeContributions(s.get(10)!);
    expect(Buffer.from(circuitHash).toString('hex')).toBe(keysA.result.circuitHash);
    const [c] = contributions;
    expect(contributions).toHaveLength(1);
    expect(c!.name).toBe(DEV_CONTRIBUTION_NAME);
    expect(Buffer.from(c!.deltaAfter).equals(Buffer.from(delta1!))).toBe(true);
    const transcript = createHash('blake2b512').update(circuitHash).update(uncompressed(curve, 'G1', c!.g1S)).update(uncompressed(curve, 'G1', c!.g1Sx)).digest();
    expect(Buffer.from(c!.transcript).equals(transcript)).toBe(true);
    const h = lem(curve, 'G2', hashToG2(curve, transcript));
    expect(await sameRatio(c!.g1S, c!.g1Sx, h, c!.g2Spx)).toBe(true);
    expect(await sameRatio(g1, c!.deltaAfter, h, c!.g2Spx)).toBe(true);
    expect(await sameRatio(g1, c!.deltaAfter, h, lem(curve, 'G2', curve.G2.timesScalar(curve.G2.g, scalar(2n))))).toBe(false);
  });

  it('refuses an R1CS that is not one, and writes nothing', async () => {
    const out = path.join(tmp, 'refused');
    await fs.mkdir(out);
    const bad = path.join(out, 'bad.r1cs');
    const bytes = await fs.readFile(circuit.r1cs);
    await fs.writeFile(bad, bytes.subarray(0, bytes.length - 10));
    await expect(devSetup({ r1csPath: bad, zkeyPath: path.join(out, 'k.zkey'), vkPath: path.join(out, 'vk.json') })).rejects.toMatchObject({ code: 'ARTIFACT_INVALID' });
    expect(await fs.readdir(out)).toEqual(['bad.r1cs']);
  });

  it('leaves nothing running: a process that runs a development setup exits by itself', async () => {
    const script = `
      import { devSetup } from ${JSON.stringify(distModule('prover/setup/dev-setup.js'))};
      const r = await devSetup({ r1csPath: ${JSON.stringify(circuit.r1cs)}, zkeyPath: ${JSON.stringify(path.join(tmp, 'exit.zkey'))}, vkPath: ${JSON.stringify(path.join(tmp, 'exit.json'))} });
      console.log(r.power);`;
    const run = await runNodeScript(script, { timeoutMs: 60_000 });
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('7');
    expect(run.stderr).toBe('');
  });
});
