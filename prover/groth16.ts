/**
 * Groth16 proving with the proving key resident in WebAssembly memory. snarkjs's groth16.prove
 * re-reads every section of the key for every proof and builds the QAP evaluations in JavaScript,
 * one field operation per coefficient; this prover parses and copies the key into an instance of
 * the same bn128 WebAssembly once (prover/wasm-arena.ts; built by prover/wasm-module.ts),
 * and then a proof is a fixed sequence of calls into that module, with no allocation:
 *
 *   1. A·w, B·w at every constraint (over the key's coefficient section, converted at load), C = A∘B,
 *      on Fr in 29-bit limbs (prover/qap.ts, on prover/field29.ts's zr form);
 *   2. each of A, B, C: inverse FFT, multiply coefficient i by g^i, FFT: the odd coset snarkjs's keys
 *      expect (their H points are the Lagrange basis on that coset, divided by Z); prover/fft.ts;
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
import { BinFileProblem, latin1, parseSectionTable, readUintLE, sectionOf, writeUintLE } from '../core/binfile.js';
import { ZkinferError } from '../core/errors.js';
import { BASE_FIELD_MODULUS, FIELD_MODULUS, domainRoots, randomScalar } from '../core/field.js';
import { domainTables } from './fft.js';
import { Msm } from './msm.js';
import { ZQ_BYTES } from './field29.js';
import { COEFFICIENT_BYTES, KEY_COEFFICIENT_BYTES, WITNESS_KIND_BYTES } from './qap.js';
import {
  PROOF_BYTES,
  partialAt,
  partialBytes,
  planProof,
  runTask,
  type PlannedTask,
  type PointSection,
  type ProofLayout,
  type ThreadMsms,
} from './groth16-steps.js';
import { FR_BYTES, GROUPS } from './bn128-layout.js';
import { WasmArena } from './wasm-arena.js';
import { ZKEY_SECTIONS } from './zkey-sections.js';
import type { ProverPlatform } from './platform.js';
import { ProverThreads, emptyPhaseTimes, type RunTimes } from './threads/team.js';

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
  /** The proof's wall time; per phase its wall time and the time its threads spent in it; per task of the prover's plan, its time. */
  timings: { totalMs: number } & RunTimes;
}

const G1_AFFINE = GROUPS.G1.affine;
const G1_JACOBIAN = GROUPS.G1.jacobian;
const G2_AFFINE = GROUPS.G2.affine;
const G2_JACOBIAN = GROUPS.G2.jacobian;
const PAGE = 65536;

export interface ProverOptions {
  /**
   * Precompute the window multiples of the key's points when they fit this many bytes (a few
   * seconds at load): H's, with the room its MSM then needs, and the witness sections' too if they
   * fit beside them (about 30 times the key's size in all; `precomputation`); 0 never does.
   * Default 256 MiB.
   */
  precomputeBudget?: number;
  /**
   * Threads of one proof (default 1: the calling thread proves). With more, the key sits in one
   * shared WebAssembly memory and a proof's tasks run on that many threads (prover/threads/),
   * the calling thread only scheduling them; close() the prover to stop them.
   */
  threads?: number;
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
/** Window width of the witness MSMs' precomputed bases: their scalars are mostly 0s and 1s. */
const WITNESS_WINDOW = 8;
const WIDEST_WINDOW = 16;
const [G1_BYTES, G2_BYTES] = [2 * ZQ_BYTES, 4 * ZQ_BYTES];
const windowsOf = (c: number) => Math.ceil(256 / c);

/**
 * H's window width when its multiples are precomputed: the fewest additions, one per point and
 * window plus about two per bucket in the MSM's one bucket sum (13 for a domain of 2^12, 16 from
 * 2^15). Measured on a 2^15 domain (cnn_14_5_11_80_10): H's MSM 250 → 185 ms against width 12.
 */
export function quotientWindow(domainSize: number): number {
  let best = WITNESS_WINDOW;
  const cost = (c: number) => domainSize * windowsOf(c) + 2 ** c;
  for (let c = WITNESS_WINDOW + 1; c <= WIDEST_WINDOW; c++) if (cost(c) < cost(best)) best = c;
  return best;
}

/** Which bases get precomputed window multiples (their widths), and the bytes that takes. */
export interface Precomputation {
  quotient?: number;
  /** Room for H's bucket operands in each thread's MSM work space, with `quotient`. */
  quotientSlots?: number;
  witness?: number;
  bytes: number;
}

/**
 * What a key's precomputation holds within `budget` bytes, for proofs on `threads` threads: H's
 * window multiples first (its scalars are dense: the most saved per byte), counted with the room
 * for the bucket operands of each thread's share of its windows (summed at once, or, where that
 * does not fit, in two halves: one more bucket sum); then the witness sections' too, if they fit.
 */
export function precomputation(header: Pick<KeyHeader, 'nVars' | 'nPublic' | 'domainSize'>, budget = DEFAULT_PRECOMPUTE_BUDGET, threads = 1): Precomputation {
  const { nVars, nPublic, domainSize } = header;
  const quotient = quotientWindow(domainSize);
  const windows = windowsOf(quotient);
  // A thread's share of H's windows, give or take one (splitWindows balances digits, not windows).
  const share = Math.ceil(windows / threads) + (threads > 1 ? 1 : 0);
  const witnessBytes = (windowsOf(WITNESS_WINDOW) - 1) * (G1_BYTES * (3 * nVars - nPublic - 1) + G2_BYTES * nVars);
  for (const slotWindows of [share, Math.ceil(share / 2)]) {
    const bytes = (windows - 1 + threads * slotWindows) * G1_BYTES * domainSize;
    if (bytes > budget) continue;
    const quotientSlots = slotWindows * domainSize;
    return bytes + witnessBytes <= budget ? { quotient, quotientSlots, witness: WITNESS_WINDOW, bytes: bytes + witnessBytes } : { quotient, quotientSlots, bytes };
  }
  return { bytes: 0 };
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

type Sections = Record<'header' | 'coefficients' | PointSection, Uint8Array>;

export class Groth16Prover {
  /** Proofs wait for the one before: they share the memory. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly arena: WasmArena,
    private readonly at: ProofLayout,
    /** The Msm working space of the calling thread, when it proves alone. */
    private readonly msms: ThreadMsms | undefined,
    private readonly plan: PlannedTask[],
    private readonly team: ProverThreads | undefined,
    private readonly cpuClock: (() => number) | undefined,
  ) {}

  get nVars(): number {
    return this.at.nVars;
  }

  get nPublic(): number {
    return this.at.nPublic;
  }

  get domainSize(): number {
    return this.at.domainSize;
  }

  /** Which bases' window multiples were precomputed (ProverOptions.precomputeBudget): none, H's, or all. */
  get precomputed(): 'none' | 'H' | 'all' {
    const { h, a } = this.at.bases;
    return h.fixed === undefined ? 'none' : a.fixed === undefined ? 'H' : 'all';
  }

  /** Threads of a proof (1: the calling thread). */
  get threads(): number {
    return this.team?.size ?? 1;
  }

  /**
   * Parse a .zkey held in memory; `where` names it in errors (ARTIFACT_INVALID). `platform` gives
   * the modules and threads (prover/threads/node.ts's nodePlatform under Node).
   */
  static async load(zkey: Uint8Array, where: string, platform: ProverPlatform, options: ProverOptions = {}): Promise<Groth16Prover> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new ZkinferError('USAGE', `threads must be an integer of at least 1, got ${threads}`);
    const { sections, header } = await parseKey(zkey, where);
    if (threads === 1) return Groth16Prover.build(WasmArena.create(platform.module()), sections, header, options, undefined, platform.cpuClock);
    const { modules, staticEnd, maxPages } = platform.threadModules(threads);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(staticEnd / PAGE) + 32, maximum: maxPages, shared: true });
    // The calling thread loads the key with thread 0's module: it computes only while the threads are idle.
    const arena = WasmArena.create(modules[0]!, memory);
    const team = await ProverThreads.start(modules, memory, platform.spawnThread);
    try {
      // Each thread's instantiation wrote its free pointer at address 0: allocate above all their static data.
      arena.reserveBelow(staticEnd);
      return Groth16Prover.build(arena, sections, header, options, team, platform.cpuClock);
    } catch (error) {
      await team.close();
      throw error;
    }
  }

  private static build(
    arena: WasmArena,
    sections: Sections,
    header: KeyHeader,
    options: ProverOptions,
    team: ProverThreads | undefined,
    cpuClock: (() => number) | undefined,
  ): Groth16Prover {
    const threads = team?.size ?? 1;
    const put = (bytes: Uint8Array) => {
      const pointer = arena.alloc(bytes.byteLength);
      arena.write(pointer, bytes);
      return pointer;
    };
    const { domainSize, nVars } = header;
    const roots = domainRoots(header.power);
    const domain = domainTables(arena, header.power, roots.omega, roots.coset);
    const precomputed = precomputation(header, options.precomputeBudget, threads);
    const { quotient: quotientWindow, witness: witnessWindow } = precomputed;
    // Each thread's witness MSMs take a range of points, its part of H's all of them (planProof).
    const range = Math.ceil(nVars / threads);
    const capacity = Math.max(range, domainSize);
    // Bucket operands: room for two ranges' digits, and at least a whole window of H's; precomputed
    // bases sum as many windows' digits at once as there is room for (precomputation).
    const witnessSlots = (points: number) => points * (witnessWindow === undefined ? 2 : windowsOf(witnessWindow));
    const quotientSlots = precomputed.quotientSlots ?? domainSize;
    const workspaces = Array.from({ length: threads }, () => ({
      G1: Msm.allocate(arena, 'G1', capacity, Math.max(witnessSlots(Math.ceil(capacity / threads)), quotientSlots)),
      G2: Msm.allocate(arena, 'G2', range, witnessSlots(range)),
    }));
    const { G1, G2 } = workspaces[0]!;
    const bases = {
      a: G1.bases(sections.a, witnessWindow),
      b1: G1.bases(sections.b1, witnessWindow),
      b2: G2.bases(sections.b2, witnessWindow),
      c: G1.bases(sections.c, witnessWindow),
      h: G1.bases(sections.h, quotientWindow),
    };
    const nCoefficients = (sections.coefficients.byteLength - 4) / KEY_COEFFICIENT_BYTES;
    const coefficients = arena.alloc(nCoefficients * COEFFICIENT_BYTES);
    const mark = arena.top;
    arena.fn('zr_zkCoefficients')(put(sections.coefficients.subarray(4)), nCoefficients, coefficients);
    arena.release(mark);
    const at: ProofLayout = {
      nVars,
      nPublic: header.nPublic,
      domainSize,
      power: header.power,
      coefficients,
      nCoefficients,
      alpha1: put(header.alpha1),
      beta1: put(header.beta1),
      beta2: put(header.beta2),
      delta1: put(header.delta1),
      delta2: put(header.delta2),
      forward: domain.forward,
      inverse: domain.inverse,
      coset: domain.coset,
      witness: arena.alloc(nVars * FR_BYTES),
      witnessValues: arena.alloc(nVars * ZQ_BYTES),
      witnessKinds: arena.alloc(nVars * WITNESS_KIND_BYTES),
      limbs: [arena.alloc(domainSize * ZQ_BYTES), arena.alloc(domainSize * ZQ_BYTES), arena.alloc(domainSize * ZQ_BYTES)],
      quotient: arena.alloc(domainSize * FR_BYTES),
      sums: { a: arena.alloc(G1_JACOBIAN), b1: arena.alloc(G1_JACOBIAN), b2: arena.alloc(G2_JACOBIAN), c: arena.alloc(G1_JACOBIAN), h: arena.alloc(G1_JACOBIAN) },
      scratch: arena.alloc(G2_JACOBIAN),
      r: arena.alloc(FR_BYTES),
      s: arena.alloc(FR_BYTES),
      rs: arena.alloc(FR_BYTES),
      proof: arena.alloc(PROOF_BYTES),
      bases,
    };
    const partials = arena.alloc(partialBytes(threads));
    const plan = planProof(at, threads, (section, part) => partialAt(partials, threads, section, part));
    // The field inversion and the batch functions take scratch space above the last allocation.
    arena.scratch(1 << 22);
    team?.load(at, workspaces.map(({ G1, G2 }) => ({ G1: G1.space, G2: G2.space })));
    return new Groth16Prover(arena, at, team ? undefined : workspaces[0], plan, team, cpuClock);
  }

  /**
   * Prove from a witness: circom's .wtns bytes (as circom_runtime's calculateWTNSBin returns
   * them). Proofs on one prover run one after the other.
   */
  prove(wtns: Uint8Array, options: ProveOptions = {}): Promise<Groth16Result> {
    const values = witnessValues(wtns, this.at.nVars, options.where ?? 'witness');
    const [r, s] = blinding(options);
    const proof = this.queue.then(() => this.proveNow(values, r, s));
    this.queue = proof.catch(() => undefined);
    return proof;
  }

  /** Stop the prover's threads, if it has any. */
  async close(): Promise<void> {
    await this.team?.close();
  }

  private async proveNow(values: Uint8Array, r: Uint8Array, s: Uint8Array): Promise<Groth16Result> {
    const { arena, at } = this;
    const { domainSize, nVars, nPublic } = at;
    const started = performance.now();
    arena.write(at.witness, values);
    arena.write(at.r, r);
    arena.write(at.s, s);
    arena.write(at.rs, writeUintLE(FIELD_MODULUS - ((readUintLE(r) * readUintLE(s)) % FIELD_MODULUS), FR_BYTES));
    r.fill(0);
    s.fill(0);
    let times: RunTimes;
    try {
      times = this.team ? await this.team.execute(this.plan) : this.runHere();
    } finally {
      // The witness (the private input among it), the blinding and what was computed from them stay in memory no longer.
      arena.wipe(at.r, 3 * FR_BYTES);
      arena.wipe(at.witness, nVars * FR_BYTES);
      arena.wipe(at.witnessValues, nVars * ZQ_BYTES);
      arena.wipe(at.witnessKinds, nVars * WITNESS_KIND_BYTES);
      arena.wipe(at.quotient, domainSize * FR_BYTES);
      for (const limbs of at.limbs) arena.wipe(limbs, domainSize * ZQ_BYTES);
    }

    const publicSignals: string[] = [];
    for (let i = 1; i <= nPublic; i++) publicSignals.push(readUintLE(values.subarray(i * FR_BYTES, (i + 1) * FR_BYTES)).toString());
    return { proof: readProof(arena.copy(at.proof, PROOF_BYTES)), publicSignals, timings: { totalMs: performance.now() - started, ...times } };
  }

  /** The tasks of a proof, in the order a free thread takes them. */
  get tasks(): readonly PlannedTask[] {
    return this.plan;
  }

  /** The plan in its order, in this thread; a task's time is this thread's CPU time where it can be told (as in the threads), else wall. */
  private runHere(): RunTimes {
    const phases = emptyPhaseTimes();
    const taskMs: number[] = [];
    const clock = this.cpuClock;
    for (const { task, phase } of this.plan) {
      const [started, cpu] = [performance.now(), clock?.()];
      runTask(this.arena, this.at, this.msms!, task);
      const wallMs = performance.now() - started;
      const ms = cpu === undefined ? wallMs : clock!() - cpu;
      phases[phase].wallMs += wallMs;
      phases[phase].busyMs += ms;
      taskMs.push(ms);
    }
    return { phases, taskMs };
  }
}

/** The proof finish wrote (groth16-steps.ts's ProofLayout.proof) in snarkjs's JSON form: [x, y, "1"], or [0, 1, 0] for the point at infinity. */
function readProof(bytes: Uint8Array): Groth16Proof {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const infinity = (k: number) => view.getUint32(4 * k, true) === 1;
  const [a, b, c] = [16, 16 + G1_AFFINE, 16 + G1_AFFINE + G2_AFFINE];
  const g1 = (k: number, at: number): G1Json => (infinity(k) ? ['0', '1', '0'] : [coordinate(bytes, at, 0), coordinate(bytes, at, 1), '1']);
  return {
    pi_a: g1(0, a),
    pi_b: infinity(1)
      ? [['0', '0'], ['1', '0'], ['0', '0']]
      : [[coordinate(bytes, b, 0), coordinate(bytes, b, 1)], [coordinate(bytes, b, 2), coordinate(bytes, b, 3)], ['1', '0']],
    pi_c: g1(2, c),
    protocol: 'groth16',
    curve: 'bn128',
  };
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

/** Coordinate `index` (32 bytes each) of the point at byte `at`, in decimal. */
function coordinate(bytes: Uint8Array, at: number, index: number): string {
  return readUintLE(bytes.subarray(at + index * 32, at + (index + 1) * 32)).toString();
}

/** The key's sections and header, checked. Throws ARTIFACT_INVALID naming `where`. */
async function parseKey(zkey: Uint8Array, where: string): Promise<{ sections: Sections; header: KeyHeader }> {
  try {
    const table = await parseSectionTable(zkey, 'zkey');
    const protocol = sectionOf(zkey, table, ZKEY_SECTIONS.protocol);
    if (protocol.byteLength !== 4 || new DataView(protocol.buffer, protocol.byteOffset).getUint32(0, true) !== 1) {
      throw new BinFileProblem('not a Groth16 key (section 1 does not say protocol 1)');
    }
    const section = (name: keyof Sections) => sectionOf(zkey, table, ZKEY_SECTIONS[name]);
    const sections: Sections = { header: section('header'), coefficients: section('coefficients'), a: section('a'), b1: section('b1'), b2: section('b2'), c: section('c'), h: section('h') };
    const header = decodeHeader(sections.header);
    checkSizes(header, sections);
    return { sections, header };
  } catch (error) {
    if (error instanceof BinFileProblem) throw new ZkinferError('ARTIFACT_INVALID', `${where}: not a usable proving key: ${error.message}`, { cause: error });
    throw error;
  }
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

function checkSizes(header: KeyHeader, sections: Sections): void {
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
  expect('coefficient', coefficients.byteLength, 4 + count * KEY_COEFFICIENT_BYTES);
  // zr_zkBuildABC trusts these indices: one out of range would read or write outside the QAP's arrays.
  for (let i = 0, p = 4; i < count; i++, p += KEY_COEFFICIENT_BYTES) {
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
  const magic = latin1(wtns.subarray(0, 4));
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
