/**
 * The values the direct builder computes, either concrete (a bigint mod r: the witness of one
 * input) or symbolic (a Reg: a register of the witness program being recorded). The builder
 * (system.ts, templates.ts, build.ts) computes every value through the functions here, so one
 * build either gives a witness or records the program that computes it for any input: the two
 * cannot describe different computations. A Recorder keeps each register's bound (the largest
 * magnitude its value can have, for inputs within the input slots' bounds), from which `finish`
 * makes it a small (float64) or field (bigint) register, drops what no wire or check reads, and
 * encodes the program (program.ts).
 */
import { FIELD_MODULUS, fromFieldSigned, toField } from '../../core/field.js';
import { HINT, OP, type WitnessProgram, failure, hintOf } from './program.js';

const P = FIELD_MODULUS;
const HALF = P / 2n;
/**
 * The largest magnitude a small register may reach: below 2^53, so that a float64 holds it and
 * every partial sum exactly, with room for the rounding of the bounds' own arithmetic.
 */
const SAFE = 2 ** 52;

export class Reg {
  constructor(
    readonly recorder: Recorder,
    readonly id: number,
  ) {}
}

export type Value = bigint | Reg;

/** |k| of a field element read as a signed integer, as a number (beyond SAFE when large). */
const magnitude = (k: bigint): number => Number(k > HALF ? P - k : k);
const signed = (k: bigint): bigint => (k > HALF ? k - P : k);
const times = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : a * b);

type Instruction =
  | { op: 'lin'; dst: number; constant: bigint; terms: [bigint, number][] }
  | { op: 'mul'; dst: number; a: number; b: number }
  | { op: 'bit'; dst: number; src: number; k: number }
  | { op: 'argmax'; dsts: number[]; srcs: number[] }
  | { op: 'checkMul'; a: number; b: number; c: number; index: number }
  | { op: 'checkZero'; src: number }
  | { op: 'hint'; kind: number; dst: number; srcs: number[] };

export interface InputKey {
  kind: number;
  op?: number;
  row?: number;
  column?: number;
}

export class Recorder {
  private readonly bounds: number[] = [];
  /** The instruction defining each register (-1: an input). */
  private readonly definedBy: number[] = [];
  private readonly instructions: Instruction[] = [];
  private readonly inputs: { key: InputKey; reg: number; bound: number }[] = [];
  private readonly constants = new Map<bigint, Reg>();

  private reg(bound: number, instruction: number): Reg {
    this.bounds.push(bound > SAFE ? Infinity : bound);
    this.definedBy.push(instruction);
    return new Reg(this, this.bounds.length - 1);
  }

  private emit(instruction: Instruction): number {
    this.instructions.push(instruction);
    return this.instructions.length - 1;
  }

  /** An input slot's register; `bound` the magnitude inputs within range have (Infinity: any field element). */
  input(key: InputKey, bound: number): Reg {
    const r = this.reg(bound, -1);
    this.inputs.push({ key, reg: r.id, bound: r.recorder.bounds[r.id]! });
    return r;
  }

  /** A register holding a value: itself, or a constant's (one register per constant). */
  registerOf(v: Value): number {
    if (v instanceof Reg) return v.id;
    const c = toField(v);
    let r = this.constants.get(c);
    if (!r) {
      r = this.reg(magnitude(c), this.instructions.length);
      this.emit({ op: 'lin', dst: r.id, constant: c, terms: [] });
      this.constants.set(c, r);
    }
    return r.id;
  }

  lin(constant: bigint, terms: Map<number, bigint>): Value {
    if (terms.size === 0) return constant;
    if (terms.size === 1 && constant === 0n) {
      const [[r, k]] = terms;
      if (k === 1n) return new Reg(this, r);
    }
    let bound = magnitude(constant);
    for (const [r, k] of terms) bound += times(magnitude(k), this.bounds[r]!);
    const dst = this.reg(bound, this.instructions.length);
    this.emit({ op: 'lin', dst: dst.id, constant, terms: [...terms].map(([r, k]) => [k, r]) });
    return dst;
  }

  mul(a: number, b: number): Reg {
    const dst = this.reg(times(this.bounds[a]!, this.bounds[b]!), this.instructions.length);
    this.emit({ op: 'mul', dst: dst.id, a, b });
    return dst;
  }

  bit(src: number, k: number): Reg {
    const dst = this.reg(1, this.instructions.length);
    this.emit({ op: 'bit', dst: dst.id, src, k });
    return dst;
  }

  argmax(srcs: number[]): Reg[] {
    const at = this.instructions.length;
    const dsts = srcs.map(() => this.reg(1, at));
    this.emit({ op: 'argmax', dsts: dsts.map((r) => r.id), srcs });
    return dsts;
  }

  checkMul(a: number, b: number, c: number, index: number): void {
    const def = this.instructions[this.definedBy[c]!];
    // c computed as a·b (a product wire), or a bit's b·b = b: true for every input.
    if (def?.op === 'mul' && ((def.a === a && def.b === b) || (def.a === b && def.b === a))) return;
    if (a === b && b === c && def?.op === 'bit') return;
    this.emit({ op: 'checkMul', a, b, c, index });
  }

  checkZero(src: number): void {
    this.emit({ op: 'checkZero', src });
  }

  /** A hint (program.ts HINT) of `srcs`; `bound` its magnitude for inputs in range (Infinity: a field register). */
  hint(kind: number, srcs: number[], bound: number): Reg {
    const dst = this.reg(bound, this.instructions.length);
    this.emit({ op: 'hint', kind, dst: dst.id, srcs });
    return dst;
  }

  boundOf(r: number): number {
    return this.bounds[r]!;
  }

  /** The program computing `wires` (each wire's value, in the .r1cs's order). */
  finish(wires: readonly Value[]): WitnessProgram {
    const outputs = wires.map((v) => this.registerOf(v));
    const live = new Uint8Array(this.bounds.length);
    for (const r of outputs) live[r] = 1;
    const keep = new Uint8Array(this.instructions.length);
    for (let i = this.instructions.length - 1; i >= 0; i--) {
      const ins = this.instructions[i]!;
      const reads = (...regs: number[]) => regs.forEach((r) => (live[r] = 1));
      switch (ins.op) {
        case 'lin':
          if (live[ins.dst]) ins.terms.forEach(([, r]) => reads(r));
          keep[i] = live[ins.dst]!;
          break;
        case 'mul':
          if (live[ins.dst]) reads(ins.a, ins.b);
          keep[i] = live[ins.dst]!;
          break;
        case 'bit':
          if (live[ins.dst]) reads(ins.src);
          keep[i] = live[ins.dst]!;
          break;
        case 'argmax':
          keep[i] = ins.dsts.some((r) => live[r]) ? 1 : 0;
          if (keep[i]) ins.srcs.forEach((r) => reads(r));
          break;
        case 'checkMul':
          reads(ins.a, ins.b, ins.c);
          keep[i] = 1;
          break;
        case 'checkZero':
          reads(ins.src);
          keep[i] = 1;
          break;
        case 'hint':
          if (live[ins.dst]) ins.srcs.forEach((r) => reads(r));
          keep[i] = live[ins.dst]!;
      }
    }
    for (const input of this.inputs) live[input.reg] = 1;
    // Registers numbered per kind: small ones s, field ones -(f + 1).
    const encoded = new Int32Array(this.bounds.length);
    let [small, field] = [0, 0];
    for (let r = 0; r < this.bounds.length; r++) if (live[r]) encoded[r] = this.bounds[r]! <= SAFE ? small++ : -1 - field++;
    const isSmall = (r: number) => encoded[r]! >= 0;
    const ops: number[] = [];
    const args: number[] = [];
    const nums: number[] = [];
    const bigs: bigint[] = [];
    this.instructions.forEach((ins, i) => {
      if (!keep[i]) return;
      switch (ins.op) {
        case 'lin':
          if (isSmall(ins.dst)) {
            ops.push(OP.LIN_S);
            args.push(encoded[ins.dst]!, ins.terms.length, ...ins.terms.map(([, r]) => encoded[r]!));
            nums.push(Number(signed(ins.constant)), ...ins.terms.map(([k]) => Number(signed(k))));
          } else {
            ops.push(OP.LIN_F);
            args.push(-encoded[ins.dst]! - 1, ins.terms.length, ...ins.terms.map(([, r]) => encoded[r]!));
            bigs.push(ins.constant, ...ins.terms.map(([k]) => k));
          }
          break;
        case 'mul':
          ops.push(isSmall(ins.dst) ? OP.MUL_S : OP.MUL_F);
          args.push(isSmall(ins.dst) ? encoded[ins.dst]! : -encoded[ins.dst]! - 1, encoded[ins.a]!, encoded[ins.b]!);
          break;
        case 'bit':
          ops.push(OP.BIT);
          args.push(encoded[ins.dst]!, encoded[ins.src]!, ins.k);
          break;
        case 'argmax':
          ops.push(OP.ARGMAX);
          args.push(ins.dsts.length, ...ins.dsts.map((r) => encoded[r]!), ...ins.srcs.map((r) => encoded[r]!));
          break;
        case 'checkMul': {
          const exact = [ins.a, ins.b, ins.c].every(isSmall) && times(this.bounds[ins.a]!, this.bounds[ins.b]!) <= SAFE;
          ops.push(exact ? OP.CHECK_MUL_S : OP.CHECK_MUL_F);
          args.push(encoded[ins.a]!, encoded[ins.b]!, encoded[ins.c]!, ins.index);
          break;
        }
        case 'checkZero':
          ops.push(OP.CHECK_ZERO);
          args.push(encoded[ins.src]!);
          break;
        case 'hint':
          ops.push(OP.HINT);
          args.push(ins.kind, encoded[ins.dst]!, ins.srcs.length, ...ins.srcs.map((r) => encoded[r]!));
      }
    });
    const inputs = new Int32Array(5 * this.inputs.length);
    this.inputs.forEach(({ key, reg }, i) => inputs.set([key.kind, key.op ?? 0, key.row ?? 0, key.column ?? 0, encoded[reg]!], 5 * i));
    return {
      ops: Uint8Array.from(ops),
      args: Int32Array.from(args),
      nums: Float64Array.from(nums),
      bigs,
      small,
      field,
      inputs,
      inputBounds: Float64Array.from(this.inputs, (input) => input.bound),
      outputs: Int32Array.from(outputs, (r) => encoded[r]!),
    };
  }
}

/** The recorder of the first register among `values`, if any. */
function recorderOf(values: readonly Value[]): Recorder | undefined {
  for (const v of values) if (v instanceof Reg) return v.recorder;
  return undefined;
}

/** Σ k_i · v_i (k_i field elements). */
export function linValue(parts: readonly (readonly [bigint, Value])[]): Value {
  const recorder = recorderOf(parts.map(([, v]) => v));
  if (!recorder) {
    let sum = 0n;
    for (const [k, v] of parts) sum = (sum + k * (v as bigint)) % P;
    return sum;
  }
  let constant = 0n;
  const terms = new Map<number, bigint>();
  for (const [k, v] of parts) {
    if (k === 0n) continue;
    if (!(v instanceof Reg)) {
      constant = (constant + k * v) % P;
      continue;
    }
    const sum = ((terms.get(v.id) ?? 0n) + k) % P;
    if (sum === 0n) terms.delete(v.id);
    else terms.set(v.id, sum);
  }
  return recorder.lin(constant, terms);
}

export function mulValue(a: Value, b: Value): Value {
  if (!(a instanceof Reg) && !(b instanceof Reg)) return toField(a * b);
  if (!(a instanceof Reg)) return linValue([[toField(a), b]]);
  if (!(b instanceof Reg)) return linValue([[toField(b), a]]);
  return a.recorder.mul(a.id, b.id);
}

/** Bit k of a value's field element. */
export function bitValue(v: Value, k: number): Value {
  if (!(v instanceof Reg)) return (toField(v) >> BigInt(k)) & 1n;
  return v.recorder.bit(v.id, k);
}

/** The one-hot choice of the first maximum, comparing field elements as signed integers (as circom does). */
export function argmaxValues(values: readonly Value[]): Value[] {
  const recorder = recorderOf(values);
  if (!recorder) {
    let best = 0;
    for (let i = 1; i < values.length; i++) if (fromFieldSigned(toField(values[i] as bigint)) > fromFieldSigned(toField(values[best] as bigint))) best = i;
    return values.map((_, i) => (i === best ? 1n : 0n));
  }
  return recorder.argmax(values.map((v) => recorder.registerOf(v)));
}

/** a · b = c, checked now or by the program; constraint `index` fails otherwise (as circom's program fails an `===`). */
export function checkMulValues(a: Value, b: Value, c: Value, index: number): void {
  const recorder = recorderOf([a, b, c]);
  if (!recorder) {
    if ((toField(a as bigint) * toField(b as bigint) - toField(c as bigint)) % P !== 0n) throw failure(index);
    return;
  }
  recorder.checkMul(recorder.registerOf(a), recorder.registerOf(b), recorder.registerOf(c), index);
}

/** v = 0 for a linear constraint. */
export function checkZeroValue(v: Value): void {
  if (!(v instanceof Reg)) {
    if (toField(v) !== 0n) throw failure(-1);
    return;
  }
  v.recorder.checkZero(v.id);
}

/**
 * A hint of field elements (program.ts HINT): computed now, or by the program. The bound of the
 * result, for inputs in range: a quotient or square root is at most its operand (all
 * non-negative, as the templates' hints are), a remainder below the divisor, an inverse any field element.
 */
export function hintValue(kind: number, values: readonly Value[]): Value {
  const recorder = recorderOf(values);
  if (!recorder) return hintOf(kind, values.map((v) => toField(v as bigint)));
  const regs = values.map((v) => recorder.registerOf(v));
  const [a, b] = regs.map((r) => recorder.boundOf(r));
  const bound = kind === HINT.div ? a! : kind === HINT.mod ? b! : kind === HINT.isqrt ? Math.sqrt(a!) + 1 : Infinity;
  return recorder.hint(kind, regs, bound);
}
