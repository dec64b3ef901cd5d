/**
 * The witness program of a directly compiled circuit: a flat list of instructions over registers,
 * recorded once at compile time (record.ts) from the same build that makes the R1CS, and run for
 * every witness without rebuilding a constraint. No Node API: the browser prover runs it too.
 *
 * Registers come in two kinds, chosen when the program is recorded from a bound on each value:
 * small ones hold signed integers exactly in a float64 (activations, accumulators, bits: every
 * value of a quantized layer), field ones hold BN254 scalars as bigints (Poseidon's states, packed
 * values, the salt and recipient). An operand names a small register by its index s >= 0 and a
 * field register f as -(f + 1). The bounds hold for every input within the ranges the program
 * assumes (its input slots' bounds: the model's input range, the planned widths of hashed
 * weights and biases); an input outside them is run by `runExact`, where every value is a bigint
 * mod r, which is what the bounds make `runFast` equal to.
 */
import { ZkinferError } from '../../core/errors.js';
import { FIELD_MODULUS, fieldPow, fromFieldSigned } from '../../core/field.js';

const P = FIELD_MODULUS;

/** Instruction codes (args and coefficient layouts in the comments; `e` is an encoded operand). */
export const OP = {
  /** args [dst, n, src×n] (small), nums [constant, k×n]. */
  LIN_S: 1,
  /** args [dst (field index), n, e×n], bigs [constant, k×n]. */
  LIN_F: 2,
  /** args [dst, a, b] (small). */
  MUL_S: 3,
  /** args [dst (field index), ea, eb]. */
  MUL_F: 4,
  /** args [dst (small), e, k]: bit k of the operand's field element. */
  BIT: 5,
  /** args [n, dst×n (small), e×n]: the one-hot choice of the first maximum (signed). */
  ARGMAX: 6,
  /** args [a, b, c, index] (small, a·b exact in float64): a·b = c, or constraint `index` fails. */
  CHECK_MUL_S: 7,
  /** args [ea, eb, ec, index]. */
  CHECK_MUL_F: 8,
  /** args [e]: the value is 0, or a linear constraint fails. */
  CHECK_ZERO: 9,
  /** args [kind (HINT), dst (encoded), n, e×n]: a value the prover supplies, computed on field elements as bigints. */
  HINT: 10,
} as const;

/**
 * The hints beyond bits and argmax (circuits/templates/table.circom's `<--`), on the operands'
 * field elements as circom computes them: `\` and `%` on the representatives in [0, r), the
 * integer square root of one, and the inverse (0 for 0).
 */
export const HINT = { div: 0, mod: 1, isqrt: 2, inverse: 3 } as const;

export function hintOf(kind: number, x: readonly bigint[]): bigint {
  switch (kind) {
    case HINT.div:
      return x[1] === 0n ? 0n : x[0]! / x[1]!;
    case HINT.mod:
      return x[1] === 0n ? 0n : x[0]! % x[1]!;
    case HINT.isqrt:
      return isqrtFloor(x[0]!);
    case HINT.inverse:
      return x[0] === 0n ? 0n : fieldPow(x[0]!, P - 2n);
    default:
      throw new ZkinferError('INTERNAL', `the witness program has an unknown hint ${kind}`);
  }
}

/** floor(sqrt(a)) by Newton's iteration on integers, as table.circom's isqrtFloor. */
function isqrtFloor(a: bigint): bigint {
  if (a < 2n) return a;
  let x = a;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + a / x) / 2n;
  }
  return x;
}


/** Where an input slot's value comes from in the input document. */
export const INPUT = { in: 0, salt: 1, recipient: 2, weight: 3, bias: 4 } as const;

export interface WitnessProgram {
  ops: Uint8Array;
  args: Int32Array;
  nums: Float64Array;
  bigs: bigint[];
  small: number;
  field: number;
  /** Per input slot: kind (INPUT), op, row, column, encoded register. */
  inputs: Int32Array;
  /** Per input slot: the largest magnitude the program's small registers assume it has (Infinity: a field register). */
  inputBounds: Float64Array;
  /** Per wire of the .r1cs, in its order: the encoded register holding its value. */
  outputs: Int32Array;
}

/** The values of a program's input slots, as the input document gives them (integers, any size). */
export type ProgramInputs = (slot: { kind: number; op: number; row: number; column: number }) => bigint;

/** The error of a witness that breaks constraint `index` (-1: a linear one), as the direct builder and the program give it. */
export const failure = (index: number): ZkinferError =>
  new ZkinferError('CIRCUIT', index >= 0 ? `the witness breaks constraint ${index}: this input does not fit the circuit` : 'the witness breaks a linear constraint: this input does not fit the circuit');

const toFieldValue = (v: number): bigint => (v >= 0 ? BigInt(v) : P + BigInt(v));
const mod = (v: bigint): bigint => ((v % P) + P) % P;

/** Registers after a run: small ones as numbers (exact signed integers) or, from runExact, field elements. */
export interface ProgramState {
  small: Float64Array | bigint[];
  field: bigint[];
}

function slotValues(program: WitnessProgram, get: ProgramInputs): bigint[] {
  const { inputs } = program;
  const values: bigint[] = [];
  for (let i = 0; i < inputs.length; i += 5) values.push(get({ kind: inputs[i]!, op: inputs[i + 1]!, row: inputs[i + 2]!, column: inputs[i + 3]! }));
  return values;
}

/** Every wire's value: the fast run when the inputs are within the program's bounds, else the exact one. */
export function runProgram(program: WitnessProgram, get: ProgramInputs): ProgramState {
  const values = slotValues(program, get);
  const within = values.every((v, i) => {
    const bound = program.inputBounds[i]!;
    return bound === Infinity || (v <= BigInt(bound) && v >= -BigInt(bound));
  });
  return within ? runFast(program, values) : runExact(program, values);
}

/** The run in float64 for small registers; `values` within the input bounds. */
export function runFast(program: WitnessProgram, values: readonly bigint[]): ProgramState {
  const { ops, args, nums, bigs, inputs } = program;
  const s = new Float64Array(program.small);
  const f: bigint[] = new Array<bigint>(program.field).fill(0n);
  values.forEach((v, i) => {
    const e = inputs[5 * i + 4]!;
    if (e >= 0) s[e] = Number(v);
    else f[-e - 1] = mod(v);
  });
  const big = (e: number): bigint => (e >= 0 ? toFieldValue(s[e]!) : f[-e - 1]!);
  let a = 0;
  let q = 0;
  let b = 0;
  for (let i = 0; i < ops.length; i++) {
    switch (ops[i]) {
      case OP.LIN_S: {
        const dst = args[a++]!;
        const n = args[a++]!;
        let acc = nums[q++]!;
        for (let t = 0; t < n; t++) acc += nums[q++]! * s[args[a++]!]!;
        s[dst] = acc;
        break;
      }
      case OP.LIN_F: {
        const dst = args[a++]!;
        const n = args[a++]!;
        let acc = bigs[b++]!;
        for (let t = 0; t < n; t++) acc += bigs[b++]! * big(args[a++]!);
        f[dst] = acc % P;
        break;
      }
      case OP.MUL_S: {
        s[args[a]!] = s[args[a + 1]!]! * s[args[a + 2]!]!;
        a += 3;
        break;
      }
      case OP.MUL_F:
        f[args[a]!] = (big(args[a + 1]!) * big(args[a + 2]!)) % P;
        a += 3;
        break;
      case OP.BIT: {
        const [dst, e, k] = [args[a]!, args[a + 1]!, args[a + 2]!];
        a += 3;
        const v = e >= 0 ? s[e]! : -1;
        // A small value >= 0 is its own field element; a negative one (p + v) or a field one is read as a bigint.
        s[dst] = v >= 0 ? Math.floor(v / 2 ** k) % 2 : Number((big(e) >> BigInt(k)) & 1n);
        break;
      }
      case OP.ARGMAX: {
        const n = args[a++]!;
        const from = a + n;
        let best = 0;
        let bestValue = signedOf(args[from]!, s, f);
        for (let t = 1; t < n; t++) {
          const v = signedOf(args[from + t]!, s, f);
          if (v > bestValue) [best, bestValue] = [t, v];
        }
        for (let t = 0; t < n; t++) s[args[a + t]!] = t === best ? 1 : 0;
        a += 2 * n;
        break;
      }
      case OP.CHECK_MUL_S:
        if (s[args[a]!]! * s[args[a + 1]!]! !== s[args[a + 2]!]!) throw failure(args[a + 3]!);
        a += 4;
        break;
      case OP.CHECK_MUL_F:
        if ((big(args[a]!) * big(args[a + 1]!) - big(args[a + 2]!)) % P !== 0n) throw failure(args[a + 3]!);
        a += 4;
        break;
      case OP.CHECK_ZERO: {
        const e = args[a++]!;
        if (e >= 0 ? s[e] !== 0 : f[-e - 1] !== 0n) throw failure(-1);
        break;
      }
      case OP.HINT: {
        const [kind, dst, n] = [args[a]!, args[a + 1]!, args[a + 2]!];
        const v = hintOf(kind, Array.from(args.subarray(a + 3, a + 3 + n), big));
        a += 3 + n;
        if (dst >= 0) s[dst] = Number(fromFieldSigned(v));
        else f[-dst - 1] = v;
        break;
      }
      default:
        throw new ZkinferError('INTERNAL', `the witness program has an unknown instruction ${ops[i]} at ${i}`);
    }
  }
  return { small: s, field: f };
}

/** A small register's value or a field register's, as a signed number or bigint for comparison. */
function signedOf(e: number, s: Float64Array, f: bigint[]): number | bigint {
  return e >= 0 ? s[e]! : fromFieldSigned(f[-e - 1]!);
}

/** The run with every register a field element (bigint mod r): the program's meaning for any input. */
export function runExact(program: WitnessProgram, values: readonly bigint[]): ProgramState {
  const { ops, args, nums, bigs, inputs } = program;
  const s: bigint[] = new Array<bigint>(program.small).fill(0n);
  const f: bigint[] = new Array<bigint>(program.field).fill(0n);
  values.forEach((v, i) => {
    const e = inputs[5 * i + 4]!;
    if (e >= 0) s[e] = mod(v);
    else f[-e - 1] = mod(v);
  });
  const get = (e: number): bigint => (e >= 0 ? s[e]! : f[-e - 1]!);
  const set = (e: number, v: bigint) => (e >= 0 ? (s[e] = v) : (f[-e - 1] = v));
  let [a, q, b] = [0, 0, 0];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op === OP.LIN_S || op === OP.LIN_F) {
      const dst = args[a++]!;
      const n = args[a++]!;
      let acc = op === OP.LIN_S ? BigInt(nums[q++]!) : bigs[b++]!;
      for (let t = 0; t < n; t++) acc += (op === OP.LIN_S ? BigInt(nums[q++]!) : bigs[b++]!) * get(args[a++]!);
      set(op === OP.LIN_S ? dst : -dst - 1, mod(acc));
    } else if (op === OP.MUL_S || op === OP.MUL_F) {
      set(op === OP.MUL_S ? args[a]! : -args[a]! - 1, (get(args[a + 1]!) * get(args[a + 2]!)) % P);
      a += 3;
    } else if (op === OP.BIT) {
      s[args[a]!] = (get(args[a + 1]!) >> BigInt(args[a + 2]!)) & 1n;
      a += 3;
    } else if (op === OP.ARGMAX) {
      const n = args[a++]!;
      let best = 0;
      for (let t = 1; t < n; t++) if (fromFieldSigned(get(args[a + n + t]!)) > fromFieldSigned(get(args[a + n + best]!))) best = t;
      for (let t = 0; t < n; t++) s[args[a + t]!] = t === best ? 1n : 0n;
      a += 2 * n;
    } else if (op === OP.CHECK_MUL_S || op === OP.CHECK_MUL_F) {
      if ((get(args[a]!) * get(args[a + 1]!) - get(args[a + 2]!)) % P !== 0n) throw failure(args[a + 3]!);
      a += 4;
    } else if (op === OP.CHECK_ZERO) {
      if (get(args[a++]!) !== 0n) throw failure(-1);
    } else if (op === OP.HINT) {
      const n = args[a + 2]!;
      set(args[a + 1]!, hintOf(args[a]!, Array.from(args.subarray(a + 3, a + 3 + n), get)));
      a += 3 + n;
    } else {
      throw new ZkinferError('INTERNAL', `the witness program has an unknown instruction ${op} at ${i}`);
    }
  }
  return { small: s, field: f };
}

function wireValue(state: ProgramState, e: number): bigint {
  if (e < 0) return state.field[-e - 1]!;
  const v = state.small[e]!;
  return typeof v === 'bigint' ? v : toFieldValue(v);
}

/** Every wire's value, in the .r1cs's order. */
export function wireValues(program: WitnessProgram, state: ProgramState): bigint[] {
  return Array.from(program.outputs, (e) => wireValue(state, e));
}

/**
 * The wires' values written as 32-byte little-endian field elements at `at` (a .wtns's values):
 * a small value >= 0 straight into its two low words, the others through a bigint.
 */
export function writeWireValues(program: WitnessProgram, state: ProgramState, bytes: Uint8Array, at: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { outputs } = program;
  for (let w = 0; w < outputs.length; w++) {
    const e = outputs[w]!;
    const offset = at + 32 * w;
    const v = e >= 0 ? state.small[e]! : undefined;
    if (typeof v === 'number' && v >= 0) {
      view.setUint32(offset, v % 2 ** 32, true);
      view.setUint32(offset + 4, Math.floor(v / 2 ** 32), true);
      continue;
    }
    let x = wireValue(state, e);
    for (let k = 0; k < 8; k++, x >>= 32n) view.setUint32(offset + 4 * k, Number(x & 0xffffffffn), true);
  }
}
