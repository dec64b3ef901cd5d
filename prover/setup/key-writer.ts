/**
 * A Groth16 proving key computed directly from the R1CS and given secrets, written in snarkjs's
 * .zkey format. With γ = δ = 1 and no contribution it is byte for byte the key snarkjs's newZKey
 * makes from a ptau with the same τ, α, β (tests hold it to that); the development setup draws
 * all five secrets and records δ as one phase-2 contribution, as `snarkjs zkey contribute` would.
 *
 * The circuit hash (section 10) is computed as snarkjs computes it for the key before any
 * contribution (δ = 1), including the H points in the form snarkjs hashes them, so tools that
 * chain contributions onto it see an ordinary key.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { ChaCha } from 'ffjavascript';
import type { OnProgress } from '../../core/progress.js';
import { domainRoots } from '../../core/field.js';
import { type Element, type FfCurve, lem, singleThreadCurve, uncompressed } from '../bn128.js';
import { chooseWindow, type MultiplyOutputs } from './fixed-base.js';
import { chunkScalars, FixedBaseThreads } from './fixed-base-threads.js';
import { computeKeyScalars, domainPower, type KeyScalars, type ToxicWaste } from './qap.js';
import type { RawR1cs } from './r1cs-raw.js';
import { FR_BYTES, GROUPS, type GroupName } from '../bn128-layout.js';
import { WasmArena } from '../wasm-arena.js';
import { BinWriter, type Contribution, encodeContributions, encodeGrothHeader, u32be } from './zkey-format.js';
import { ZKEY_SECTIONS } from '../zkey-sections.js';

export interface WriteKeyOptions {
  r1cs: RawR1cs;
  secrets: ToxicWaste;
  zkeyPath: string;
  /** Record δ as one contribution with this name; without it the key has none (only right for δ = 1). */
  contributionName?: string;
  threads?: number;
  onProgress?: OnProgress;
}

export interface WrittenKey {
  power: number;
  circuitHash: Uint8Array;
  contributions: Contribution[];
}

/** Scalars per worker job: small enough to balance two threads and report progress, large enough to amortise messages. */
const CHUNK = 4096;

export async function writeKeyFromSecrets(options: WriteKeyOptions): Promise<WrittenKey> {
  const { r1cs, secrets, zkeyPath, onProgress } = options;
  const { curve, module } = await singleThreadCurve();
  const power = domainPower(r1cs.nConstraints, r1cs.nPublic);
  const m = 2 ** power;
  const phase = (message: string, done?: number, total?: number) =>
    onProgress?.({ step: 'setup', message, ...(done !== undefined && total !== undefined ? { done, total } : {}) });

  // Points per group: IC, H as hashed, C before δ, A, B₁, C, H in G1; B₂ in G2.
  const nPrivate = r1cs.nVars - r1cs.nPublic - 1;
  const counts = { G1: r1cs.nPublic + 1 + (m - 1) + 2 * nPrivate + 2 * r1cs.nVars + m, G2: r1cs.nVars };
  const threads = FixedBaseThreads.start(
    { module, generators: { G1: lem(curve, 'G1', curve.G1.g), G2: lem(curve, 'G2', curve.G2.g) } },
    options.threads ?? os.availableParallelism(),
  );
  const windows = { G1: chooseWindow(counts.G1 / threads.size, 'G1'), G2: chooseWindow(counts.G2 / threads.size, 'G2') };
  // The workers build their tables while this thread evaluates the QAP.
  threads.prepare('G1', windows.G1);
  threads.prepare('G2', windows.G2);
  const secretElements: Element[] = [];
  let scalars: KeyScalars | undefined;
  try {
    phase(`evaluating the circuit's QAP at tau (domain 2^${power})`);
    scalars = computeKeyScalars(WasmArena.create(module), r1cs, secrets, domainRoots(power), power);

    // ffjavascript's Montgomery form of each secret, for the few main-thread multiplications.
    const fr = (bytes: Uint8Array) => curve.Fr.fromRprLE(bytes, 0);
    const [alpha, beta, gamma, delta] = [secrets.alpha, secrets.beta, secrets.gamma, secrets.delta].map(fr) as [Element, Element, Element, Element];
    secretElements.push(alpha, beta, gamma, delta);
    const times = (group: GroupName, k: Element) => curve[group].timesFr(curve[group].g, k);
    const header = {
      nVars: r1cs.nVars,
      nPublic: r1cs.nPublic,
      domainSize: m,
      alpha1: lem(curve, 'G1', times('G1', alpha)),
      beta1: lem(curve, 'G1', times('G1', beta)),
      beta2: lem(curve, 'G2', times('G2', beta)),
      gamma2: lem(curve, 'G2', times('G2', gamma)),
      delta1: lem(curve, 'G1', times('G1', delta)),
      delta2: lem(curve, 'G2', times('G2', delta)),
    };

    const total = counts.G1 + counts.G2;
    let done = 0;
    // Queued all at once, in the order they are hashed and written; each resolves to its chunks' points.
    const submit = (group: GroupName, list: Uint8Array, wanted: { lem: boolean; uncompressed: boolean }) =>
      chunkScalars(list, CHUNK).map((chunk) => {
        const count = chunk.length / FR_BYTES;
        const points = threads.multiply(group, windows[group], chunk, wanted).then((result) => {
          done += count;
          phase('computing the proving key', done, total);
          return result;
        });
        // Awaited in order below; after a failure the later ones are never awaited, which must not crash.
        points.catch(() => {});
        return points;
      });
    const both = { lem: true, uncompressed: true };
    // B goes to two groups; submit() wipes what it is given, so G2 gets its own copy.
    const bForG2 = scalars.b.slice();
    const jobs = {
      ic: submit('G1', scalars.ic, both),
      hHash: submit('G1', scalars.hHash, { lem: false, uncompressed: true }),
      cInitial: submit('G1', scalars.cInitial, { lem: false, uncompressed: true }),
      a: submit('G1', scalars.a, both),
      b1: submit('G1', scalars.b, both),
      b2: submit('G2', bForG2, both),
      c: submit('G1', scalars.c, { lem: true, uncompressed: false }),
      h: submit('G1', scalars.h, { lem: true, uncompressed: false }),
    };

    const hasher = createHash('blake2b512');
    // The key before any contribution has δ = 1.
    for (const point of [header.alpha1, header.beta1]) hasher.update(uncompressed(curve, 'G1', point));
    for (const point of [header.beta2, header.gamma2]) hasher.update(uncompressed(curve, 'G2', point));
    hasher.update(uncompressed(curve, 'G1', curve.G1.g));
    hasher.update(uncompressed(curve, 'G2', curve.G2.g));

    const writer = await BinWriter.create(zkeyPath, 'zkey', 1, 10);
    let closed = false;
    try {
      const sectionOf = async (type: number, count: number, pointBytes: number, chunks: Promise<MultiplyOutputs>[], hashed: boolean, written: boolean) => {
        if (hashed) hasher.update(u32be(count));
        if (written) await writer.begin(type, count * pointBytes);
        for (const chunk of chunks) {
          const points = await chunk;
          if (hashed) hasher.update(points.uncompressed!);
          if (written) await writer.write(points.lem!);
        }
      };
      await writer.begin(ZKEY_SECTIONS.protocol, 4);
      await writer.write(Buffer.from([1, 0, 0, 0]));
      const encoded = encodeGrothHeader(header);
      await writer.begin(ZKEY_SECTIONS.header, encoded.length);
      await writer.write(encoded);
      await sectionOf(ZKEY_SECTIONS.ic, r1cs.nPublic + 1, GROUPS.G1.affine, jobs.ic, true, true);
      await writer.begin(ZKEY_SECTIONS.coefficients, scalars.coefficients.length);
      await writer.write(scalars.coefficients);
      await sectionOf(0, m - 1, GROUPS.G1.affine, jobs.hHash, true, false);
      await sectionOf(0, nPrivate, GROUPS.G1.affine, jobs.cInitial, true, false);
      await sectionOf(ZKEY_SECTIONS.a, r1cs.nVars, GROUPS.G1.affine, jobs.a, true, true);
      await sectionOf(ZKEY_SECTIONS.b1, r1cs.nVars, GROUPS.G1.affine, jobs.b1, true, true);
      await sectionOf(ZKEY_SECTIONS.b2, r1cs.nVars, GROUPS.G2.affine, jobs.b2, true, true);
      await sectionOf(ZKEY_SECTIONS.c, nPrivate, GROUPS.G1.affine, jobs.c, false, true);
      await sectionOf(ZKEY_SECTIONS.h, m, GROUPS.G1.affine, jobs.h, false, true);

      const circuitHash = hasher.digest();
      const contributions = options.contributionName === undefined ? [] : [proveDelta(curve, circuitHash, delta, header.delta1, options.contributionName)];
      const mpc = encodeContributions(circuitHash, contributions);
      await writer.begin(ZKEY_SECTIONS.contributions, mpc.length);
      await writer.write(mpc);
      closed = true;
      await writer.close();
      return { power, circuitHash, contributions };
    } finally {
      if (!closed) await writer.close().catch(() => {});
    }
  } finally {
    await threads.close();
    for (const element of secretElements) element.fill(0);
    if (scalars) for (const list of [scalars.ic, scalars.a, scalars.b, scalars.c, scalars.cInitial, scalars.h, scalars.hHash]) list.fill(0);
  }
}

/**
 * The record `snarkjs zkey contribute` appends for a contribution δ: a random G1 point s, s·δ, the
 * transcript hash over the circuit hash and both, and h·δ for h the G2 point derived from that
 * hash, so anyone can check with pairings that δ-after was made by someone who knew δ.
 */
function proveDelta(curve: FfCurve, circuitHash: Uint8Array, delta: Element, deltaAfter: Uint8Array, name: string): Contribution {
  const seed = randomBytes(32);
  const g1S = curve.G1.toAffine(curve.G1.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => seed.readUInt32BE(i * 4)))));
  seed.fill(0);
  const g1Sx = curve.G1.toAffine(curve.G1.timesFr(g1S, delta));
  const transcript = createHash('blake2b512').update(circuitHash).update(uncompressed(curve, 'G1', g1S)).update(uncompressed(curve, 'G1', g1Sx)).digest();
  const g2Spx = curve.G2.timesFr(hashToG2(curve, transcript), delta);
  return { deltaAfter, g1S: lem(curve, 'G1', g1S), g1Sx: lem(curve, 'G1', g1Sx), g2Spx: lem(curve, 'G2', g2Spx), transcript, type: 0, name };
}

/** snarkjs's keypair.js hashToG2: ChaCha seeded with the hash's first eight big-endian words. */
export function hashToG2(curve: FfCurve, hash: Uint8Array): Element {
  const view = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  return curve.G2.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, false))));
}

