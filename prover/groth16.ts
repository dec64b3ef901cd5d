/**
 * Groth16 proving with the proving key resident in WebAssembly memory. snarkjs's groth16.prove
 * re-reads every section of the key for every proof and builds the QAP evaluations in JavaScript,
 * one field operation per coefficient; this prover parses and copies the key into an instance of
 * the same bn128 WebAssembly once (prover/wasm-arena.ts; built by prover/wasm-module.ts),
 * and then a proof is a fixed sequence of calls into that module, with no allocation:
 *
 *   1. A·w, B·w at every constraint (qap_buildABC over the key's coefficient section), C = A∘B;
 *   2. each of A, B, C: inverse FFT, multiply coefficient i by g^i, FFT: the odd coset snarkjs's keys
 *      expect (their H points are the Lagrange basis on that coset, divided by Z); prover/fft.ts,
 *      on Fr in 29-bit limbs (prover/field29.ts);
 *   3. H's scalars A∘B - C on the coset, out of Montgomery form;
 *   4. the five multi-scalar multiplications: A, B₁ (G1) and B₂ (G2) over the witness, C over its
 *      private part, H over the domain (prover/msm.ts: batch-affine Pippenger with signed digits,
 *      about twice as fast as ffjavascript's on these scalars);
 *   5. the blinding with fresh r, s:  π_A = α + A + rδ,  π_B = β + B₂ + sδ,
 *      π_C = C + H + s·π_A + r·(β₁ + B₁ + sδ₁) - rs·δ₁.
 *
 * The result is the same proof snarkjs's prover makes for that key, witness, r and s (tested with
 * r and s given to both): the key format is snarkjs's (prover/setup/zkey-format.ts), the
 * arithmetic is ffjavascript's.
 */
import { BinFileProblem, parseSectionTable, readUintLE, sectionOf, writeUintLE } from '../core/binfile.js';
import { ZkinferError } from '../core/errors.js';
import { BASE_FIELD_MODULUS, FIELD_MODULUS, domainRoots, randomScalar } from '../core/field.js';
import { type DomainTables, domainTables } from './fft.js';
import { Msm, type MsmBases } from './msm.js';
import { ZQ_BYTES } from './field29.js';
import { proverModule } from './wasm-module.js';
import { FR_BYTES, GROUPS } from './bn128-layout.js';
import { WasmArena } from './wasm-arena.js';
import { ZKEY_SECTIONS } from './setup/zkey-format.js';

/** A Groth16 proof in snarkjs's JSON layout (projective coordinates as decimal strings). */
export interface Groth16Proof {
  pi_a: G1Json;
  pi_b: G2Json;
  pi_c: G1Json;
  protocol: 'groth16';
  curve: 'bn128';
}

type G1Json = [string, string, string];
type G2Json = [[string, string], [string, string], [string, string]];

export interface Groth16Result {
  proof: Groth16Proof;
  publicSignals: string[];
  /**
   * Wall time of the QAP part (coefficients, FFTs) and of the five multi-scalar multiplications;
   * and the MSMs' CPU time (this process's, which is the prover's alone when nothing else runs in
   * it: the prover is single-threaded). On a shared machine only the CPU time compares with
   * other CPU measures.
   */
  timings: { qapMs: number; msmMs: number; msmCpuMs: number };
}

const G1_AFFINE = GROUPS.G1.affine;
const G1_JACOBIAN = GROUPS.G1.jacobian;
const G2_AFFINE = GROUPS.G2.affine;
const G2_JACOBIAN = GROUPS.G2.jacobian;
/** A coefficient of the key's section 4: matrix, constraint, signal (u32 each), value. */
const COEFFICIENT_BYTES = 12 + FR_BYTES;

type PointSection = 'a' | 'b1' | 'b2' | 'c' | 'h';

interface MsmPlan {
  G1: Msm;
  G2: Msm;
  /** Each section's points, with their precomputed window multiples or not. */
  bases: Record<PointSection, MsmBases>;
}

export interface ProverOptions {
  /**
   * Precompute the window multiples of the key's points (about 30 times the key's size in
   * memory, a few seconds at load) when they fit this many bytes; 0 never does. Default 256 MiB.
   */
  precomputeBudget?: number;
}

export interface ProveOptions {
  /**
   * The blinding scalars, both or neither, each in 1..r-1: for tests that compare a proof with
   * another prover's for the same r and s. Without them, fresh ones are drawn from the operating
   * system's secure source for every proof, as zero knowledge requires.
   */
  r?: bigint;
  s?: bigint;
  /** Names the witness in errors (default 'witness'). */
  where?: string;
}

export const DEFAULT_PRECOMPUTE_BUDGET = 256 * 2 ** 20;
/** Window widths of the precomputed bases: the witness MSMs are sparse, H's scalars dense. */
const WITNESS_WINDOW = 8;
const QUOTIENT_WINDOW = 12;

/** Bytes of the precomputed window multiples of a key's points (in the MSM's field form). */
export function precomputedBytes(header: Pick<KeyHeader, 'nVars' | 'nPublic' | 'domainSize'>): number {
  const copies = (c: number) => Math.ceil(256 / c) - 1;
  const { nVars, nPublic, domainSize } = header;
  const [g1, g2] = [2 * ZQ_BYTES, 4 * ZQ_BYTES];
  return copies(WITNESS_WINDOW) * (g1 * (3 * nVars - nPublic - 1) + g2 * nVars) + copies(QUOTIENT_WINDOW) * g1 * domainSize;
}

interface KeyHeader {
  nVars: number;
  nPublic: number;
  domainSize: number;
  /** log2(domainSize) */
  power: number;
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
}

/** Where everything lives in the arena: the key's sections (loaded once) and one proof's working space. */
interface Layout {
  coefficients: number;
  nCoefficients: number;
  alpha1: number;
  beta1: number;
  beta2: number;
  delta1: number;
  delta2: number;
  domain: DomainTables;
  witness: number;
  /** A·w, B·w, C·w at the constraints, in ffjavascript's form (qap_buildABC's output). */
  evalA: number;
  evalB: number;
  evalC: number;
  /** The same in 29-bit limbs, for the FFTs. */
  limbsA: number;
  limbsB: number;
  limbsC: number;
  quotient: number;
  piA: number;
  b1Sum: number;
  piB: number;
  piC: number;
  hSum: number;
  scratch: number;
  r: number;
  s: number;
  rs: number;
  affine: number;
}

export class Groth16Prover {
  private constructor(
    private readonly arena: WasmArena,
    private readonly header: KeyHeader,
    private readonly at: Layout,
    private readonly msm: MsmPlan,
  ) {}

  get nVars(): number {
    return this.header.nVars;
  }

  get nPublic(): number {
    return this.header.nPublic;
  }

  get domainSize(): number {
    return this.header.domainSize;
  }

  /** Parse a .zkey held in memory; `where` names it in errors (ARTIFACT_INVALID). */
  static async load(zkey: Uint8Array, where: string, options: ProverOptions = {}): Promise<Groth16Prover> {
    const invalid = (message: string, cause?: unknown) =>
      new ZkinferError('ARTIFACT_INVALID', `${where}: ${message}`, cause === undefined ? {} : { cause });
    let sections: Record<'header' | 'coefficients' | 'a' | 'b1' | 'b2' | 'c' | 'h', Uint8Array>;
    let header: KeyHeader;
    try {
      const table = await parseSectionTable(zkey, 'zkey');
      const protocol = sectionOf(zkey, table, ZKEY_SECTIONS.protocol);
      if (protocol.byteLength !== 4 || new DataView(protocol.buffer, protocol.byteOffset).getUint32(0, true) !== 1) {
        throw new BinFileProblem('not a Groth16 key (section 1 does not say protocol 1)');
      }
      const section = (name: keyof typeof sections) => sectionOf(zkey, table, ZKEY_SECTIONS[name]);
      sections = { header: section('header'), coefficients: section('coefficients'), a: section('a'), b1: section('b1'), b2: section('b2'), c: section('c'), h: section('h') };
      header = decodeHeader(sections.header);
      checkSizes(header, sections);
    } catch (error) {
      if (error instanceof BinFileProblem) throw invalid(`not a usable proving key: ${error.message}`, error);
      throw error;
    }

    const arena = WasmArena.create(proverModule());
    const put = (bytes: Uint8Array) => {
      const pointer = arena.alloc(bytes.byteLength);
      arena.write(pointer, bytes);
      return pointer;
    };
    const { domainSize, nVars } = header;
    const roots = domainRoots(header.power);
    const at: Layout = {
      coefficients: put(sections.coefficients.subarray(4)),
      nCoefficients: (sections.coefficients.byteLength - 4) / COEFFICIENT_BYTES,
      alpha1: put(header.alpha1),
      beta1: put(header.beta1),
      beta2: put(header.beta2),
      delta1: put(header.delta1),
      delta2: put(header.delta2),
      domain: domainTables(arena, header.power, roots.omega, roots.coset),
      witness: arena.alloc(nVars * FR_BYTES),
      evalA: arena.alloc(domainSize * FR_BYTES),
      evalB: arena.alloc(domainSize * FR_BYTES),
      evalC: arena.alloc(domainSize * FR_BYTES),
      limbsA: arena.alloc(domainSize * ZQ_BYTES),
      limbsB: arena.alloc(domainSize * ZQ_BYTES),
      limbsC: arena.alloc(domainSize * ZQ_BYTES),
      quotient: arena.alloc(domainSize * FR_BYTES),
      piA: arena.alloc(G1_JACOBIAN),
      b1Sum: arena.alloc(G1_JACOBIAN),
      piB: arena.alloc(G2_JACOBIAN),
      piC: arena.alloc(G1_JACOBIAN),
      hSum: arena.alloc(G1_JACOBIAN),
      scratch: arena.alloc(G2_JACOBIAN),
      r: arena.alloc(FR_BYTES),
      s: arena.alloc(FR_BYTES),
      rs: arena.alloc(FR_BYTES),
      affine: arena.alloc(G2_AFFINE),
    };
    const precompute = precomputedBytes(header) <= (options.precomputeBudget ?? DEFAULT_PRECOMPUTE_BUDGET);
    const capacity = Math.max(nVars, domainSize);
    // Precomputed bases sum all windows' digits at once: room for every digit of the widest MSM.
    const G1 = new Msm(arena, 'G1', capacity, precompute ? capacity * Math.ceil(256 / WITNESS_WINDOW) : undefined);
    const G2 = new Msm(arena, 'G2', nVars, precompute ? nVars * Math.ceil(256 / WITNESS_WINDOW) : undefined);
    const [witnessWindow, quotientWindow] = precompute ? [WITNESS_WINDOW, QUOTIENT_WINDOW] : [undefined, undefined];
    const bases = {
      a: G1.bases(sections.a, witnessWindow),
      b1: G1.bases(sections.b1, witnessWindow),
      b2: G2.bases(sections.b2, witnessWindow),
      c: G1.bases(sections.c, witnessWindow),
      h: G1.bases(sections.h, quotientWindow),
    };
    // The field inversion and the batch functions take scratch space above the last allocation.
    arena.scratch(1 << 22);
    return new Groth16Prover(arena, header, at, { G1, G2, bases });
  }

  /**
   * Prove from a witness: circom's .wtns bytes (as circom_runtime's calculateWTNSBin returns
   * them). Synchronous: a proof is WebAssembly work only.
   */
  prove(wtns: Uint8Array, options: ProveOptions = {}): Groth16Result {
    const values = witnessValues(wtns, this.header.nVars, options.where ?? 'witness');
    const [r, s] = blinding(options);
    const { arena, at, header } = this;
    const { domainSize, nVars, nPublic } = header;
    const call = (name: string, ...args: number[]) => arena.fn(name)(...args);

    const started = performance.now();
    arena.write(at.witness, values);
    // 1–3: the quotient's values on the coset.
    call('qap_buildABC', at.coefficients, at.nCoefficients, at.witness, at.evalA, at.evalB, at.evalC, 0, domainSize, 0, nVars);
    const { domain } = at;
    for (const [evaluations, limbs] of [[at.evalA, at.limbsA], [at.evalB, at.limbsB], [at.evalC, at.limbsC]] as const) {
      call('zr_batchFromFf', evaluations, limbs, domainSize);
      call('zr_zkFft', limbs, header.power, domain.inverse);
      // Coefficient i times g^i / n: the inverse FFT's division and the coset shift in one pass.
      call('zr_zkMulPointwise', limbs, domain.coset, domainSize);
      call('zr_zkFft', limbs, header.power, domain.forward);
    }
    call('zr_zkQuotient', at.limbsA, at.limbsB, at.limbsC, domainSize, at.quotient);

    // 4: the multi-scalar multiplications (scalars in normal form).
    const qapDone = performance.now();
    const msmCpu = process.cpuUsage();
    const { G1, G2, bases } = this.msm;
    G1.run(bases.a, at.witness, nVars, at.piA);
    G1.run(bases.b1, at.witness, nVars, at.b1Sum);
    G2.run(bases.b2, at.witness, nVars, at.piB);
    G1.run(bases.c, at.witness + (nPublic + 1) * FR_BYTES, nVars - nPublic - 1, at.piC);
    G1.run(bases.h, at.quotient, domainSize, at.hSum);

    const msmMs = performance.now() - qapDone;
    const msmCpuUsage = process.cpuUsage(msmCpu);
    // 5: blinding.
    arena.write(at.r, r);
    arena.write(at.s, s);
    arena.write(at.rs, writeUintLE(FIELD_MODULUS - ((readUintLE(r) * readUintLE(s)) % FIELD_MODULUS), FR_BYTES));
    r.fill(0);
    s.fill(0);
    /** sum += base + k·δ, with base and δ affine. */
    const shift = (group: 'g1m' | 'g2m', sum: number, base: number, delta: number, k: number) => {
      call(`${group}_addMixed`, sum, base, sum);
      call(`${group}_timesScalarAffine`, delta, k, FR_BYTES, at.scratch);
      call(`${group}_add`, sum, at.scratch, sum);
    };
    shift('g1m', at.piA, at.alpha1, at.delta1, at.r); // π_A = A + α₁ + r·δ₁
    shift('g2m', at.piB, at.beta2, at.delta2, at.s); // π_B = B₂ + β₂ + s·δ₂
    shift('g1m', at.b1Sum, at.beta1, at.delta1, at.s); // B₁ + β₁ + s·δ₁
    // π_C = C + H + s·π_A + r·(B₁ + β₁ + sδ₁) - rs·δ₁
    call('g1m_add', at.piC, at.hSum, at.piC);
    call('g1m_timesScalar', at.piA, at.s, FR_BYTES, at.scratch);
    call('g1m_add', at.piC, at.scratch, at.piC);
    call('g1m_timesScalar', at.b1Sum, at.r, FR_BYTES, at.scratch);
    call('g1m_add', at.piC, at.scratch, at.piC);
    call('g1m_timesScalarAffine', at.delta1, at.rs, FR_BYTES, at.scratch);
    call('g1m_add', at.piC, at.scratch, at.piC);
    arena.wipe(at.r, 3 * FR_BYTES);
    // The witness (the private input among it) and what was computed from it stay in memory no longer.
    arena.wipe(at.witness, nVars * FR_BYTES);
    for (const evaluations of [at.evalA, at.evalB, at.evalC, at.quotient]) arena.wipe(evaluations, domainSize * FR_BYTES);
    for (const limbs of [at.limbsA, at.limbsB, at.limbsC]) arena.wipe(limbs, domainSize * ZQ_BYTES);

    const publicSignals: string[] = [];
    for (let i = 1; i <= nPublic; i++) publicSignals.push(readUintLE(values.subarray(i * FR_BYTES, (i + 1) * FR_BYTES)).toString());
    return {
      proof: {
        pi_a: this.g1Object(at.piA),
        pi_b: this.g2Object(at.piB),
        pi_c: this.g1Object(at.piC),
        protocol: 'groth16',
        curve: 'bn128',
      },
      publicSignals,
      timings: { qapMs: qapDone - started, msmMs, msmCpuMs: (msmCpuUsage.user + msmCpuUsage.system) / 1000 },
    };
  }

  /** [x, y, "1"] in normal form, as snarkjs writes proofs ([0, 1, 0] for the point at infinity). */
  private g1Object(jacobian: number): G1Json {
    const { arena, at } = this;
    if (arena.fn('g1m_isZero')(jacobian)) return ['0', '1', '0'];
    arena.fn('g1m_toAffine')(jacobian, at.affine);
    arena.fn('g1m_fromMontgomeryAffine')(at.affine, at.affine);
    const bytes = arena.view(at.affine, G1_AFFINE);
    return [coordinate(bytes, 0), coordinate(bytes, 1), '1'];
  }

  private g2Object(jacobian: number): G2Json {
    const { arena, at } = this;
    if (arena.fn('g2m_isZero')(jacobian)) return [['0', '0'], ['1', '0'], ['0', '0']];
    arena.fn('g2m_toAffine')(jacobian, at.affine);
    arena.fn('g2m_fromMontgomeryAffine')(at.affine, at.affine);
    const bytes = arena.view(at.affine, G2_AFFINE);
    return [[coordinate(bytes, 0), coordinate(bytes, 1)], [coordinate(bytes, 2), coordinate(bytes, 3)], ['1', '0']];
  }
}

/** r and s as 32-byte little-endian scalars: the ones given, or fresh secret ones. */
function blinding(options: ProveOptions): [Uint8Array, Uint8Array] {
  if (options.r === undefined && options.s === undefined) return [randomScalar(), randomScalar()];
  const scalar = (name: 'r' | 's', value: bigint | undefined) => {
    if (typeof value !== 'bigint' || value <= 0n || value >= FIELD_MODULUS) {
      throw new ZkinferError('USAGE', `the blinding ${name} must be given with the other, as a bigint in 1..r-1 (bn128's scalar field), found ${typeof value === 'bigint' ? value : typeof value}`);
    }
    return writeUintLE(value, FR_BYTES);
  };
  return [scalar('r', options.r), scalar('s', options.s)];
}

function coordinate(bytes: Uint8Array, index: number): string {
  return readUintLE(bytes.subarray(index * 32, (index + 1) * 32)).toString();
}

function decodeHeader(section: Uint8Array): KeyHeader {
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  const pointsBytes = 3 * G1_AFFINE + 3 * G2_AFFINE;
  const expected = 4 + 32 + 4 + 32 + 12 + pointsBytes;
  if (section.byteLength !== expected) throw new BinFileProblem(`its header section has ${section.byteLength} bytes, not ${expected} (bn128 keys only)`);
  if (view.getUint32(0, true) !== 32 || readUintLE(section.subarray(4, 36)) !== BASE_FIELD_MODULUS) throw new BinFileProblem('its base field is not bn128\'s');
  if (view.getUint32(36, true) !== 32 || readUintLE(section.subarray(40, 72)) !== FIELD_MODULUS) throw new BinFileProblem('its scalar field is not bn128\'s');
  const nVars = view.getUint32(72, true);
  const nPublic = view.getUint32(76, true);
  const domainSize = view.getUint32(80, true);
  const power = Math.log2(domainSize);
  if (!Number.isInteger(power) || power < 1 || power > 28) throw new BinFileProblem(`its domain size ${domainSize} is not a power of two from 2 to 2^28`);
  if (nVars < nPublic + 1) throw new BinFileProblem(`it has ${nVars} signals, fewer than its ${nPublic} public ones and the constant`);
  let at = 84;
  const take = (bytes: number) => section.subarray(at, (at += bytes));
  const alpha1 = take(G1_AFFINE);
  const beta1 = take(G1_AFFINE);
  const beta2 = take(G2_AFFINE);
  take(G2_AFFINE); // γ₂: verification only
  const delta1 = take(G1_AFFINE);
  const delta2 = take(G2_AFFINE);
  return { nVars, nPublic, domainSize, power, alpha1, beta1, beta2, delta1, delta2 };
}

function checkSizes(header: KeyHeader, sections: Record<'coefficients' | 'a' | 'b1' | 'b2' | 'c' | 'h', Uint8Array>): void {
  const { nVars, nPublic, domainSize } = header;
  const expect = (name: string, actual: number, wanted: number) => {
    if (actual !== wanted) throw new BinFileProblem(`its ${name} section has ${actual} bytes, not the ${wanted} its header implies`);
  };
  expect('A', sections.a.byteLength, nVars * G1_AFFINE);
  expect('B1', sections.b1.byteLength, nVars * G1_AFFINE);
  expect('B2', sections.b2.byteLength, nVars * G2_AFFINE);
  expect('C', sections.c.byteLength, (nVars - nPublic - 1) * G1_AFFINE);
  expect('H', sections.h.byteLength, domainSize * G1_AFFINE);
  const coefficients = sections.coefficients;
  if (coefficients.byteLength < 4) throw new BinFileProblem('its coefficient section is empty');
  const view = new DataView(coefficients.buffer, coefficients.byteOffset, coefficients.byteLength);
  const count = view.getUint32(0, true);
  expect('coefficient', coefficients.byteLength, 4 + count * COEFFICIENT_BYTES);
  // qap_buildABC trusts these indices: one out of range would write outside the evaluations.
  for (let i = 0, p = 4; i < count; i++, p += COEFFICIENT_BYTES) {
    const matrix = view.getUint32(p, true);
    const constraint = view.getUint32(p + 4, true);
    const signal = view.getUint32(p + 8, true);
    if (matrix > 1 || constraint >= domainSize || signal >= nVars) {
      throw new BinFileProblem(`its coefficient ${i} (matrix ${matrix}, constraint ${constraint}, signal ${signal}) is outside the key's ${domainSize} constraints and ${nVars} signals`);
    }
  }
}

/**
 * The witness values of a .wtns (section 2), after checking its field and its length against the
 * key's. Throws ZkinferError('ARTIFACT_INVALID') naming `where`.
 */
export function witnessValues(wtns: Uint8Array, nVars: number, where: string): Uint8Array {
  const fail = (message: string) => new ZkinferError('ARTIFACT_INVALID', `${where}: ${message}`);
  const view = new DataView(wtns.buffer, wtns.byteOffset, wtns.byteLength);
  const magic = Buffer.from(wtns.subarray(0, 4)).toString('latin1');
  if (wtns.byteLength < 12 || magic !== 'wtns') throw fail('not a circom witness (.wtns)');
  // Sections: 1 = n8, prime, count; 2 = the values. circom_runtime writes them in this order.
  let at = 12;
  let values: Uint8Array | undefined;
  let count: number | undefined;
  for (let k = 0; k < view.getUint32(8, true); k++) {
    if (at + 12 > wtns.byteLength) throw fail('truncated');
    const type = view.getUint32(at, true);
    const size = Number(view.getBigUint64(at + 4, true));
    const body = wtns.subarray(at + 12, at + 12 + size);
    if (body.byteLength !== size) throw fail('truncated');
    if (type === 1) {
      if (size !== 40 || view.getUint32(at + 12, true) !== FR_BYTES || readUintLE(body.subarray(4, 36)) !== FIELD_MODULUS) {
        throw fail('not a witness over bn128\'s scalar field');
      }
      count = view.getUint32(at + 48, true);
    } else if (type === 2) {
      values = body;
    }
    at += 12 + size;
  }
  if (count === undefined || values === undefined) throw fail('it lacks its header or its values');
  if (count !== nVars || values.byteLength !== nVars * FR_BYTES) throw fail(`it has ${count} values, the proving key ${nVars}`);
  return values;
}
