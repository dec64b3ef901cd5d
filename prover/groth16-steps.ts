/**
 * The steps of one Groth16 proof (prover/groth16.ts) as tasks over WebAssembly memory, and the plan
 * that orders them. A task touches only the memory its pointers name, so a proof's threads
 * (prover/threads/), each with its own instance of the module on the one shared memory, can run
 * tasks side by side; with one thread the plan is run in its order, in the calling thread.
 *
 *   witness    a range of the witness into the QAP's field form, with each value's kind (prover/qap.ts);
 *   abc        A·w, B·w, C = A∘B at a range of constraints (prover/qap.ts's zr_zkBuildABC);
 *   transform  one of A, B, C: inverse FFT, the coset shift, FFT (independent of the other two);
 *   quotient   A∘B - C on a range of the coset, out of Montgomery form: the H MSM's scalars;
 *   msm        a range of points of one of the five MSMs, into its own partial sum;
 *   finish     the partial sums added up, the blinding, the proof's points in affine normal form.
 *
 * This file runs in the proof's threads: it must not use Node's APIs (a browser's Web Workers run
 * it too), and it names WebAssembly functions only through the arena.
 */
import { FR_BYTES, GROUPS } from './bn128-layout.js';
import { ZQ_BYTES } from './field29.js';
import type { Msm, MsmBases, WindowPart } from './msm.js';
import { WITNESS_KIND_BYTES } from './qap.js';
import type { WasmArena } from './wasm-arena.js';

export type PointSection = 'a' | 'b1' | 'b2' | 'c' | 'h';
export const POINT_SECTIONS: readonly PointSection[] = ['a', 'b1', 'b2', 'c', 'h'];
export type ProofPhase = 'qap' | 'fft' | 'msm' | 'finish';

/** Where everything of a proof lives in memory, and the key's sizes: plain numbers, sent to every thread. */
export interface ProofLayout {
  nVars: number;
  nPublic: number;
  domainSize: number;
  power: number;
  /** The key's coefficients in prover/qap.ts's layout. */
  coefficients: number;
  nCoefficients: number;
  alpha1: number;
  beta1: number;
  beta2: number;
  delta1: number;
  delta2: number;
  /** The domain's twiddles (powers of ω in bit-reversed order, of ω⁻¹ in natural order) and the coset shift g^i/n in bit-reversed order (prover/fft.ts's DomainTables). */
  forward: number;
  inverse: number;
  coset: number;
  /** The witness as the .wtns holds it: plain 32-byte values (the witness MSMs' scalars). */
  witness: number;
  /** The witness in 29-bit limbs and each value's kind (prover/qap.ts's zr_zkWitness). */
  witnessValues: number;
  witnessKinds: number;
  /** A·w, B·w, C = A∘B at the constraints in 29-bit limbs (zr_zkBuildABC's output), transformed in place by the FFTs. */
  limbs: [number, number, number];
  quotient: number;
  /** Jacobian sums: π_A, B₁, π_B, π_C, H. */
  sums: Record<PointSection, number>;
  scratch: number;
  r: number;
  s: number;
  rs: number;
  /** The proof as finish leaves it: for π_A, π_B, π_C a u32 (1: the point at infinity), then its affine coordinates in normal form. */
  proof: number;
  bases: Record<PointSection, MsmBases>;
}

export type ProofTask =
  | { kind: 'witness'; from: number; count: number }
  | { kind: 'abc'; from: number; count: number }
  | { kind: 'transform'; column: 0 | 1 | 2 }
  | { kind: 'quotient'; from: number; count: number }
  /** Points from … from + count - 1 of a section's MSM, all its windows or `part`'s share of them (Msm.run). */
  | { kind: 'msm'; section: PointSection; from: number; count: number; out: number; part?: WindowPart }
  | { kind: 'finish'; partials: Record<PointSection, number[]> };

export interface PlannedTask {
  task: ProofTask;
  phase: ProofPhase;
  /** Indices of the tasks (earlier in the plan) that must be done first. */
  after: number[];
}

/** Bytes of finish's output: three flags, π_A (64), π_B (128), π_C (64). */
export const PROOF_BYTES = 16 + 2 * GROUPS.G1.affine + GROUPS.G2.affine;
/** Room for one partial sum of either group. */
export const PARTIAL_BYTES = GROUPS.G2.jacobian;

/** `count` items split into `parts` ranges whose sizes differ by at most one (empty ranges dropped). */
export function splitRange(count: number, parts: number): { from: number; count: number }[] {
  const ranges: { from: number; count: number }[] = [];
  for (let k = 0, from = 0; k < parts; k++) {
    const size = Math.floor(count / parts) + (k < count % parts ? 1 : 0);
    if (size > 0) ranges.push({ from, count: size });
    from += size;
  }
  return ranges;
}

/** The points of a section's MSM: A, B₁, B₂ over the witness, C over its private part, H over the domain. */
export function msmPoints(layout: Pick<ProofLayout, 'nVars' | 'nPublic' | 'domainSize'>, section: PointSection): number {
  if (section === 'h') return layout.domainSize;
  return section === 'c' ? layout.nVars - layout.nPublic - 1 : layout.nVars;
}

/**
 * The tasks of a proof on `threads` threads, each task after the ones it needs and in the order a
 * free thread should take them: the QAP's chain to the H MSM first (it is the proof's critical
 * path), the witness MSMs (which need only the witness) to fill the gaps. Every MSM and every
 * range step is cut into `threads` point ranges, but H's MSM into `threads` shares of its windows;
 * `partial(section, part)` is where part's sum goes.
 */
export function planProof(
  layout: Pick<ProofLayout, 'nVars' | 'nPublic' | 'domainSize'>,
  threads: number,
  partial: (section: PointSection, part: number) => number,
): PlannedTask[] {
  const plan: PlannedTask[] = [];
  const add = (task: ProofTask, phase: ProofPhase, after: number[]) => plan.push({ task, phase, after }) - 1;
  const witness = splitRange(layout.nVars, threads).map((range) => add({ kind: 'witness', ...range }, 'qap', []));
  const ranges = splitRange(layout.domainSize, threads);
  const abc = ranges.map((range) => add({ kind: 'abc', ...range }, 'qap', witness));
  const transforms = ([0, 1, 2] as const).map((column) => add({ kind: 'transform', column }, 'fft', abc));
  const partials = { a: [], b1: [], b2: [], c: [], h: [] } as Record<PointSection, number[]>;
  const msms: number[] = [];
  // H's scalars are full width: its windows are shared out, every part over all the points (each
  // of a point range's own would reduce a whole set of buckets per window), after every quotient range.
  const quotients = ranges.map((range) => add({ kind: 'quotient', ...range }, 'qap', transforms));
  for (let k = 0; k < threads; k++) {
    partials.h.push(partial('h', k));
    msms.push(add({ kind: 'msm', section: 'h', from: 0, count: layout.domainSize, out: partial('h', k), ...(threads > 1 ? { part: { index: k, of: threads } } : {}) }, 'msm', quotients));
  }
  for (const section of ['a', 'b1', 'b2', 'c'] as const) {
    splitRange(msmPoints(layout, section), threads).forEach((range, k) => {
      partials[section].push(partial(section, k));
      msms.push(add({ kind: 'msm', section, ...range, out: partial(section, k) }, 'msm', []));
    });
  }
  add({ kind: 'finish', partials }, 'finish', msms);
  return plan;
}

/** The Msm working spaces of the thread that runs a task. */
export interface ThreadMsms {
  G1: Msm;
  G2: Msm;
}

/** Run one task of a proof on `arena` (an instance on the proof's memory). */
export function runTask(arena: WasmArena, at: ProofLayout, msms: ThreadMsms, task: ProofTask): void {
  const call = (name: string, ...args: number[]) => arena.fn(name)(...args);
  switch (task.kind) {
    case 'witness': {
      const { from, count } = task;
      call('zr_zkWitness', at.witness + from * FR_BYTES, at.witnessValues + from * ZQ_BYTES, at.witnessKinds + from * WITNESS_KIND_BYTES, count);
      return;
    }
    case 'abc':
      call('zr_zkBuildABC', at.coefficients, at.nCoefficients, at.witnessValues, at.witnessKinds, ...at.limbs, task.from, task.count);
      return;
    case 'transform': {
      const limbs = at.limbs[task.column];
      // The inverse FFT leaves the coefficients in bit-reversed order, and the coset FFT takes them so.
      call('zr_zkFftDif', limbs, at.power, at.inverse);
      // Coefficient i times g^i / n: the inverse FFT's division and the coset shift in one pass.
      call('zr_zkMulPointwise', limbs, at.coset, at.domainSize);
      call('zr_zkFftFromReversed', limbs, at.power, at.forward);
      return;
    }
    case 'quotient': {
      const offset = task.from * ZQ_BYTES;
      const [a, b, c] = at.limbs;
      call('zr_zkQuotient', a + offset, b + offset, c + offset, task.count, at.quotient + task.from * FR_BYTES);
      return;
    }
    case 'msm': {
      const { section, from, count, out, part } = task;
      const scalars = section === 'h' ? at.quotient : at.witness + (section === 'c' ? at.nPublic + 1 : 0) * FR_BYTES;
      (section === 'b2' ? msms.G2 : msms.G1).run(at.bases[section], scalars + from * FR_BYTES, count, out, from, part);
      return;
    }
    case 'finish':
      finish(arena, at, task.partials);
      return;
  }
}

/**
 * The MSMs' partial sums added up, then the blinding with r, s and -rs at at.r, at.s, at.rs:
 * π_A = α + A + rδ,  π_B = β + B₂ + sδ,  π_C = C + H + s·π_A + r·(β₁ + B₁ + sδ₁) - rs·δ₁.
 * Writes the proof's points at at.proof (ProofLayout.proof).
 */
function finish(arena: WasmArena, at: ProofLayout, partials: Record<PointSection, number[]>): void {
  const call = (name: string, ...args: number[]) => arena.fn(name)(...args);
  for (const section of POINT_SECTIONS) {
    const group = section === 'b2' ? 'g2m' : 'g1m';
    const sum = at.sums[section];
    call(`${group}_copy`, partials[section]![0]!, sum);
    for (const part of partials[section]!.slice(1)) call(`${group}_add`, sum, part, sum);
  }
  const { a: piA, b1: b1Sum, b2: piB, c: piC, h: hSum } = at.sums;
  /** sum += base + k·δ, with base and δ affine. */
  const shift = (group: 'g1m' | 'g2m', sum: number, base: number, delta: number, k: number) => {
    call(`${group}_addMixed`, sum, base, sum);
    call(`${group}_timesScalarAffine`, delta, k, FR_BYTES, at.scratch);
    call(`${group}_add`, sum, at.scratch, sum);
  };
  shift('g1m', piA, at.alpha1, at.delta1, at.r); // π_A = A + α₁ + r·δ₁
  shift('g2m', piB, at.beta2, at.delta2, at.s); // π_B = B₂ + β₂ + s·δ₂
  shift('g1m', b1Sum, at.beta1, at.delta1, at.s); // B₁ + β₁ + s·δ₁
  // π_C = C + H + s·π_A + r·(B₁ + β₁ + sδ₁) - rs·δ₁
  call('g1m_add', piC, hSum, piC);
  call('g1m_timesScalar', piA, at.s, FR_BYTES, at.scratch);
  call('g1m_add', piC, at.scratch, piC);
  call('g1m_timesScalar', b1Sum, at.r, FR_BYTES, at.scratch);
  call('g1m_add', piC, at.scratch, piC);
  call('g1m_timesScalarAffine', at.delta1, at.rs, FR_BYTES, at.scratch);
  call('g1m_add', piC, at.scratch, piC);
  // The proof's points, affine and out of Montgomery form, after their flags.
  const flags = new Uint32Array(3);
  let out = at.proof + 16;
  ([[piA, 'g1m'], [piB, 'g2m'], [piC, 'g1m']] as const).forEach(([point, group], k) => {
    const affine = group === 'g1m' ? GROUPS.G1.affine : GROUPS.G2.affine;
    if (call(`${group}_isZero`, point)) {
      flags[k] = 1;
    } else {
      call(`${group}_toAffine`, point, out);
      call(`${group}_fromMontgomeryAffine`, out, out);
    }
    out += affine;
  });
  arena.write(at.proof, new Uint8Array(flags.buffer));
}

/** Bytes of the MSMs' partial sums of one thread count: one slot per section and part. */
export function partialBytes(threads: number): number {
  return POINT_SECTIONS.length * threads * PARTIAL_BYTES;
}

/** Where part k of a section's MSM puts its sum, in an area of partialBytes(threads) at `base`. */
export function partialAt(base: number, threads: number, section: PointSection, part: number): number {
  return base + (POINT_SECTIONS.indexOf(section) * threads + part) * PARTIAL_BYTES;
}
