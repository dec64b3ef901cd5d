/**
 * A verification key's L = IC₀ + Σ sᵢ·ICᵢ, the point its public signals stand for, on fixed-base
 * tables of the ICᵢ (prover/setup/fixed-base.ts's, 4-bit signed windows) in an instance of the
 * prover's WebAssembly: a signal costs one mixed addition per nonzero digit, about 64 for a full
 * field element (a Poseidon commitment) and 4 for a logit of 15 bits, against ffjavascript's
 * timesScalar's doubling per bit and its copies in and out. A table (64 KB) costs about 3 ms of
 * CPU, some twenty full-width timesScalar calls, so ICᵢ gets one only at its USES_BEFORE_TABLE-th
 * nonzero signal (a one-shot `zkinfer verify` builds none; a producer's verifier builds them
 * early); until then, and for the signals of a key beyond MAX_TABLES, ffjavascript's timesScalar.
 */
import { FIELD_MODULUS } from '../core/field.js';
import type { Element, FfCurve } from './bn128.js';
import { GROUPS } from './bn128-layout.js';
import { scalarBytes } from './g2-subgroup.js';
import { FixedBaseTable } from './setup/fixed-base.js';
import { WasmArena } from './wasm-arena.js';

const WINDOW = 4;
/** Tables kept at most (64 KB each, 4 MB a key; a producer keeps 16 keys): a key's signals beyond them go through timesScalar. */
const MAX_TABLES = 64;
const USES_BEFORE_TABLE = 32;

export class PublicInputPoint {
  /** The tables' instance and the sum over them, made with the first table. */
  private wasm: { arena: WasmArena; sum: number } | undefined;
  private readonly tables: (FixedBaseTable | undefined)[] = [];
  private readonly uses: number[] = [];

  /** `ic`: IC₀ … ICₙ, affine in ffjavascript's form (the point at infinity allowed); `module`: the prover's, for the tables. */
  constructor(
    private readonly curve: FfCurve,
    private readonly ic: readonly Element[],
    private readonly module: WebAssembly.Module,
  ) {}

  /** IC₀ + Σ sᵢ·ICᵢ, Jacobian, for signals below r; a signal above r/2 (a negative integer) is multiplied as −(r − s), a short scalar. */
  of(signals: readonly bigint[]): Element {
    const { G1 } = this.curve;
    let rest = G1.toJacobian(this.ic[0]!);
    if (this.wasm) this.wasm.arena.fn('g1m_zero')(this.wasm.sum);
    for (const [i, s] of signals.entries()) {
      const point = this.ic[i + 1]!;
      if (s === 0n || G1.isZero(point)) continue;
      const negative = s > FIELD_MODULUS / 2n;
      const k = negative ? FIELD_MODULUS - s : s;
      const table = this.table(i + 1);
      if (table) table.addMultiple(this.wasm!.sum, k, negative);
      else {
        const term = G1.timesScalar(point, scalarBytes(k));
        rest = negative ? G1.sub(rest, term) : G1.add(rest, term);
      }
    }
    return this.wasm ? G1.add(rest, this.wasm.arena.copy(this.wasm.sum, GROUPS.G1.jacobian)) : rest;
  }

  private table(index: number): FixedBaseTable | undefined {
    if (index > MAX_TABLES) return undefined;
    this.uses[index] = (this.uses[index] ?? 0) + 1;
    if (this.uses[index] < USES_BEFORE_TABLE || this.tables[index]) return this.tables[index];
    if (!this.wasm) {
      const arena = WasmArena.create(this.module);
      const sum = arena.alloc(GROUPS.G1.jacobian);
      arena.fn('g1m_zero')(sum);
      this.wasm = { arena, sum };
    }
    this.tables[index] = new FixedBaseTable(this.wasm.arena, 'G1', this.ic[index]!, WINDOW);
    return this.tables[index];
  }
}
