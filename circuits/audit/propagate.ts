/**
 * Consistent alternative witnesses: force some wires to chosen values, then recompute every wire
 * that depends on them, in the dataflow's order, from the constraints themselves (a linear
 * constraint solved for its wire, a decomposition re-split into bits, a system solved). Hints
 * keep their values unless forced. What comes out satisfies every constraint except, possibly,
 * those the forced values break: exactly what a cheating prover could hand to the verifier.
 */
import { type ConstraintIndex, holds, smallValue, wiresOf } from './constraints.js';
import { type Dataflow, type Definition, solveBits, solveLinear, solveSystem } from './dataflow.js';
import { mod } from './field.js';
import { minOf } from '../../core/numbers.js';

export interface Tampered {
  /** Wires whose value differs from the honest witness. */
  changed: number[];
  /** A definition that could not be re-established (no bits hold the new value, a singular solve): its constraint. */
  unsolvable?: number;
  /** Constraints the tampered witness violates (only those touching changed wires can be). */
  violated: number[];
}

/** A min-heap of definition indices, so each is recomputed once, after everything it reads. */
class Heap {
  private items: number[] = [];
  private present: Set<number> = new Set();
  push(x: number): void {
    if (this.present.has(x)) return;
    this.present.add(x);
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (a[up]! <= a[i]!) break;
      [a[up], a[i]] = [a[i]!, a[up]!];
      i = up;
    }
  }
  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    this.present.delete(top);
    return top;
  }
}

/**
 * A working copy of the honest witness (which must satisfy every constraint) that attacks change
 * and then restore, so no attack pays for copying a large witness.
 */
export class Workspace {
  readonly witness: bigint[];
  /** The witness's values as constraints.ts's smallValue reads them, for holds(). */
  private readonly small: Float64Array;
  private readonly honestSmall: Float64Array;
  private touched = new Set<number>();
  /** Each constraint's wires, the latest defined first: whether recomputing could change any of them is read off the first few. */
  private readonly latestFirst: Int32Array[];

  constructor(
    readonly index: ConstraintIndex,
    readonly flow: Dataflow,
    readonly honest: readonly bigint[],
  ) {
    this.witness = [...honest];
    const p = index.r1cs.prime;
    this.honestSmall = Float64Array.from(honest, (x) => smallValue(x, p));
    this.small = this.honestSmall.slice();
    const { definitionOf } = flow;
    this.latestFirst = index.r1cs.constraints.map((_, c) => Int32Array.from(wiresOf(index.r1cs, c)).sort((x, y) => definitionOf[y]! - definitionOf[x]!));
  }

  /**
   * Whether recomputing can change no wire of constraint c: each wire is pinned or determined no
   * later than `settled` (the earliest definition among the pinned wires), so nothing downstream
   * of the forced values feeds it.
   */
  private unchangeable(c: number, pinned: ReadonlySet<number>, settled: number): boolean {
    const { definitionOf } = this.flow;
    for (const w of this.latestFirst[c]!) {
      if (definitionOf[w]! <= settled) return true;
      if (!pinned.has(w)) return false;
    }
    return true;
  }

  set(wire: number, value: bigint): boolean {
    const v = mod(value, this.index.r1cs.prime);
    if (v === this.witness[wire]) return false;
    this.witness[wire] = v;
    this.small[wire] = smallValue(v, this.index.r1cs.prime);
    this.touched.add(wire);
    return true;
  }

  changed(): number[] {
    return [...this.touched].filter((w) => this.witness[w] !== this.honest[w]).sort((a, b) => a - b);
  }

  restore(): void {
    for (const w of this.touched) {
      this.witness[w] = this.honest[w]!;
      this.small[w] = this.honestSmall[w]!;
    }
    this.touched.clear();
  }

  private holds(c: number): boolean {
    return holds(this.index, c, this.witness, this.small);
  }

  /** The constraints touching any of `wires` that the working witness violates, in order. */
  private violatedAmong(wires: Iterable<number>): number[] {
    const touched = new Set<number>();
    for (const wire of wires) for (const c of this.index.byWire[wire] ?? []) touched.add(c);
    return [...touched].sort((a, b) => a - b).filter((c) => !this.holds(c));
  }

  /** The definitions that read a wire (use it without defining it). */
  readers(wire: number): number[] {
    const { definitionBy, definitionOf } = this.flow;
    const out: number[] = [];
    for (const c of this.index.byWire[wire] ?? []) {
      const d = definitionBy[c]!;
      if (d >= 0 && definitionOf[wire] !== d) out.push(d);
    }
    return out;
  }

  /** Recompute one definition's wires from the current witness; false when it has no solution. */
  private recompute(def: Definition, changedNow: (w: number) => void): boolean {
    const r1cs = this.index.r1cs;
    let values: readonly bigint[] | undefined;
    if (def.kind === 'hint') return true;
    if (def.kind === 'linear') {
      const v = solveLinear(r1cs, def.constraint, def.wires[0], this.witness);
      values = v === undefined ? undefined : [v];
    } else if (def.kind === 'bits') values = solveBits(r1cs, def, this.witness, undefined, this.small);
    else values = solveSystem(r1cs, def, this.witness);
    if (!values) return false;
    def.wires.forEach((w, i) => {
      if (this.set(w, values[i]!)) changedNow(w);
    });
    return true;
  }

  /**
   * Force `forced` (wire → value, reduced modulo p) and recompute everything downstream. The
   * caller reads the result, then calls restore().
   */
  tamper(forced: ReadonlyMap<number, bigint>): Tampered {
    const heap = new Heap();
    const { definitions, definitionOf } = this.flow;
    const pinned = new Set(forced.keys());
    const start: number[] = [];
    for (const [w, v] of forced) if (this.set(w, v)) start.push(w);
    // Cheap first: a broken constraint among wires that recomputing cannot change (the forced
    // ones and everything determined before them) rejects the attack as it stands.
    // Only those constraints are evaluated here; the others wait for the recomputation.
    const settled = minOf([...pinned].map((w) => definitionOf[w]!));
    const candidates = new Set<number>();
    for (const w of start) for (const c of this.index.byWire[w] ?? []) if (this.unchangeable(c, pinned, settled)) candidates.add(c);
    const broken = [...candidates].sort((x, y) => x - y).find((c) => !this.holds(c));
    if (broken !== undefined) return { changed: this.changed(), violated: [broken] };
    // Nothing differs from the honest witness, which satisfies every constraint.
    if (this.touched.size === 0) return { changed: [], violated: [] };
    const queueReaders = (w: number) => {
      for (const d of this.readers(w)) heap.push(d);
    };
    start.forEach(queueReaders);
    let unsolvable: number | undefined;
    for (let d = heap.pop(); d !== undefined; d = heap.pop()) {
      const def = definitions[d]!;
      if (def.wires.some((w) => pinned.has(w))) continue; // forced values stay; their constraints are checked below
      if (!this.recompute(def, queueReaders)) {
        unsolvable = def.kind === 'system' ? def.constraints[0] : def.kind === 'hint' ? undefined : def.constraint;
        break;
      }
    }
    const changed = this.changed();
    const violated = unsolvable === undefined ? this.violatedAmong([...changed, ...pinned]) : [unsolvable];
    return { changed, violated, ...(unsolvable !== undefined ? { unsolvable } : {}) };
  }
}
