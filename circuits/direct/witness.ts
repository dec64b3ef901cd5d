/**
 * The witness generator of a directly compiled circuit (circuit/model.witness.bin, in place of
 * circom's model.wasm): the witness program recorded at compile time (program.ts, record.ts) and
 * what it needs to read an input document: the model's input, the visibility, the shapes of the
 * hashed parameters. It takes the same input document as circom's witness program
 * (circuits/signals.ts's witnessInput) and gives the same results: every wire's value, or circom's
 * .wtns bytes for the prover. No Node API: the browser prover runs it. docs/FORMATS.md describes
 * the file.
 */
import { ArtifactError, ZkinferError, quoted } from '../../core/errors.js';
import type { QInput, QModel } from '../../model/ir.js';
import { checkQuantizedInput } from '../../model/reference.js';
import { type Visibility, bindsRecipient, parseVisibility, takesSalt } from '../visibility.js';
import { emptyWtns } from '../wtns.js';
import type { DirectInput } from './build.js';
import type { CircuitInput, WitnessCalculator } from '../witness.js';
import { INPUT, type ProgramState, type WitnessProgram, runProgram, wireValues, writeWireValues } from './program.js';

/** The format of the program file; the first direct generators (model.witness.json) were 'zkinfer-direct-witness/1', the model itself. */
export const DIRECT_WITNESS_FORMAT = 'zkinfer-direct-witness/2';
export const DIRECT_WITNESS_FORMAT_V1 = 'zkinfer-direct-witness/1';
const MAGIC = 'zkwp';

/** A dense or convolution op's parameters, as the input document gives them (params hashed). */
export interface ParamShape {
  op: number;
  rows: number;
  columns: number;
  biases: number;
}

export interface DirectWitnessGenerator {
  visibility: Visibility;
  /** The wires and constraints of the .r1cs it computes witnesses for (a check that the two belong together). */
  wires: number;
  constraints: number;
  input: QInput;
  params: ParamShape[];
  program: WitnessProgram;
}

/** The parameters' shapes of a model, in op order. */
export function paramShapes(model: QModel): ParamShape[] {
  const shapes: ParamShape[] = [];
  model.ops.forEach((op, k) => {
    if (op.kind === 'dense' || op.kind === 'conv2d') shapes.push({ op: k, rows: op.weights.length, columns: op.weights[0]?.length ?? 0, biases: op.bias.length });
  });
  return shapes;
}

const SECTIONS = ['ops', 'args', 'nums', 'bigs', 'inputs', 'inputBounds', 'outputs'] as const;
const BYTES_PER = { ops: 1, args: 4, nums: 8, bigs: 32, inputs: 4, inputBounds: 8, outputs: 4 } as const;
const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The file's bytes: 'zkwp', the header's length (u32), the header (JSON), then the program's arrays, each from a multiple of 8. */
export function encodeDirectWitnessGenerator(generator: DirectWitnessGenerator): Uint8Array {
  const { program } = generator;
  const counts = { ops: program.ops.length, args: program.args.length, nums: program.nums.length, bigs: program.bigs.length, inputs: program.inputs.length, inputBounds: program.inputBounds.length, outputs: program.outputs.length };
  const header = new TextEncoder().encode(JSON.stringify({
    format: DIRECT_WITNESS_FORMAT,
    visibility: generator.visibility,
    wires: generator.wires,
    constraints: generator.constraints,
    input: generator.input,
    params: generator.params,
    registers: { small: program.small, field: program.field },
    counts,
  }));
  let at = align8(8 + header.length);
  const offsets = SECTIONS.map((name) => {
    const start = at;
    at = align8(at + counts[name] * BYTES_PER[name]);
    return start;
  });
  const out = new Uint8Array(at);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  const put = (k: number, array: ArrayBufferView) => out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offsets[k]!);
  put(0, program.ops);
  put(1, program.args);
  put(2, program.nums);
  program.bigs.forEach((v, i) => {
    let x = v;
    for (let k = 0; k < 8; k++, x >>= 32n) view.setUint32(offsets[3]! + 32 * i + 4 * k, Number(x & 0xffffffffn), true);
  });
  put(4, program.inputs);
  put(5, program.inputBounds);
  put(6, program.outputs);
  return out;
}

/** Whether `bytes` are a witness program file (by its first four bytes). */
export function isDirectWitnessProgram(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 4)) === MAGIC;
}

/** A witness program file read back; ARTIFACT_INVALID, naming the file and what is wrong, when it is not one. */
export function parseDirectWitnessGenerator(bytes: Uint8Array, file: string): DirectWitnessGenerator {
  const fail = (what: string): never => {
    throw new ArtifactError('ARTIFACT_INVALID', `${file}: ${what}`, file);
  };
  if (!isDirectWitnessProgram(bytes)) fail('not a witness generator: neither circom\'s WebAssembly nor a zkinfer witness program');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) fail(`its header of ${headerLength} bytes runs past the file's ${bytes.length}`);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    return fail(`its header is not JSON (${(error as Error).message})`);
  }
  if (h.format !== DIRECT_WITNESS_FORMAT) fail(`format must be '${DIRECT_WITNESS_FORMAT}', found ${quoted(h.format)}`);
  const count = (value: unknown, what: string, min = 0): number => (Number.isSafeInteger(value) && (value as number) >= min ? (value as number) : fail(`${what} must be an integer of at least ${min}, found ${quoted(value)}`));
  const wires = count(h.wires, 'wires', 1);
  const constraints = count(h.constraints, 'constraints', 1);
  let visibility: Visibility;
  try {
    visibility = parseVisibility((h.visibility ?? {}) as Record<string, unknown>, `${file}: visibility`);
  } catch (error) {
    throw new ArtifactError('ARTIFACT_INVALID', (error as Error).message, file, { cause: error });
  }
  const input = h.input as QInput | undefined;
  if (!input || !Array.isArray(input.shape) || !input.shape.every((d) => Number.isSafeInteger(d) && d > 0) || !Number.isInteger(input.bits) || input.bits < 1 || input.bits > 32 || typeof input.signed !== 'boolean') fail(`input must be the model's input (shape, bits, signed), found ${quoted(JSON.stringify(input))}`);
  const params = Array.isArray(h.params) ? (h.params as ParamShape[]) : fail('params must be a list of the layers\' parameter shapes');
  params.forEach((p, i) => ['op', 'rows', 'columns', 'biases'].forEach((key) => count((p as unknown as Record<string, unknown>)[key], `params[${i}].${key}`)));
  const registers = (h.registers ?? {}) as Record<string, unknown>;
  const counts = (h.counts ?? {}) as Record<string, unknown>;
  const n = Object.fromEntries(SECTIONS.map((name) => [name, count(counts[name], `counts.${name}`)])) as Record<(typeof SECTIONS)[number], number>;
  let at = align8(8 + headerLength);
  const take = (name: (typeof SECTIONS)[number]): Uint8Array => {
    const length = n[name] * BYTES_PER[name];
    if (at + length > bytes.length) fail(`its ${name} (${n[name]}) run past the file's end: the file is cut short`);
    // A copy of its own, aligned for the typed array: a file read into a Buffer is a view of a larger, pooled one, and Buffer's slice is a view too.
    const part = new Uint8Array(bytes.subarray(at, at + length));
    at = align8(at + length);
    return part;
  };
  const ops = take('ops');
  const args = new Int32Array(take('args').buffer);
  const nums = new Float64Array(take('nums').buffer);
  const bigBytes = take('bigs');
  const bigView = new DataView(bigBytes.buffer);
  const bigs = Array.from({ length: n.bigs }, (_, i) => {
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 32n) | BigInt(bigView.getUint32(32 * i + 4 * k, true));
    return v;
  });
  const program: WitnessProgram = {
    ops,
    args,
    nums,
    bigs,
    small: count(registers.small, 'registers.small'),
    field: count(registers.field, 'registers.field'),
    inputs: new Int32Array(take('inputs').buffer),
    inputBounds: new Float64Array(take('inputBounds').buffer),
    outputs: new Int32Array(take('outputs').buffer),
  };
  if (program.outputs.length !== wires) fail(`its program computes ${program.outputs.length} wires, its header says ${wires}`);
  return { visibility, wires, constraints, input: input!, params, program };
}

type Value = bigint | number | string | readonly Value[];

/** An input's checks, before a witness is built for it (as circom's program refuses it): the input's range, the salt and recipient its circuit takes. */
export function checkDirectInput(model: Pick<QModel, 'input'>, visibility: Visibility, witness: DirectInput & { input: readonly number[] }): void {
  checkQuantizedInput(model, witness.input);
  if (bindsRecipient(visibility) && witness.recipient === undefined) throw new ZkinferError('USAGE', 'the direct witness needs the recipient this circuit binds');
  if (takesSalt(visibility) && witness.salt === undefined) throw new ZkinferError('USAGE', 'the direct witness needs the salt this circuit commits with');
}

function integer(value: unknown, where: string): bigint {
  if (typeof value === 'bigint') return value;
  if ((typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))) return BigInt(value);
  throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${where} must be an integer, found ${quoted(value)}`);
}

/** The input document circom's witness program takes, read into the direct builder's input. */
export function directInput(generator: Pick<DirectWitnessGenerator, 'visibility' | 'params'>, input: Readonly<Record<string, Value>>): DirectInput & { input: number[] } {
  const values = input.in;
  if (!Array.isArray(values)) throw new ZkinferError('CIRCUIT', 'the circuit rejects this input: it has no array `in`');
  const parsed: DirectInput & { input: number[] } = { input: values.map((v, i) => Number(integer(v, `in[${i}]`))) };
  if (input.salt !== undefined) parsed.salt = integer(input.salt, 'salt');
  if (input.recipient !== undefined) parsed.recipient = integer(input.recipient, 'recipient');
  if (generator.visibility.params === 'hashed') {
    const params = new Map<number, { weights: bigint[][]; bias: bigint[] }>();
    parsed.params = params;
    for (const { op: k, rows: nRows, columns, biases } of generator.params) {
      const weights = input[`op${k}_w`];
      const bias = input[`op${k}_b`];
      const rows = Array.isArray(weights) && weights.length === nRows && weights.every((row) => Array.isArray(row) && row.length === columns);
      if (!rows || !Array.isArray(bias) || bias.length !== biases) throw new ZkinferError('CIRCUIT', `the circuit rejects this input: op${k}_w and op${k}_b must be the ${nRows}×${columns} weights and ${biases} biases of op ${k}`);
      params.set(k, { weights: (weights as Value[][]).map((row, j) => row.map((w, t) => integer(w, `op${k}_w[${j}][${t}]`))), bias: (bias as Value[]).map((b, j) => integer(b, `op${k}_b[${j}]`)) });
    }
  }
  return parsed;
}

/** The program run on an input document: its registers, or CIRCUIT when the circuit rejects the input. */
function run(generator: DirectWitnessGenerator, document: Readonly<Record<string, Value>>): ProgramState {
  const parsed = directInput(generator, document);
  try {
    checkDirectInput(generator, generator.visibility, parsed);
  } catch (error) {
    if (error instanceof ZkinferError && error.code !== 'INTERNAL' && error.code !== 'CIRCUIT') throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${error.message}`, { cause: error });
    throw error;
  }
  return runProgram(generator.program, ({ kind, op, row, column }) => {
    if (kind === INPUT.in) return BigInt(parsed.input[row]!);
    if (kind === INPUT.salt) return parsed.salt!;
    if (kind === INPUT.recipient) return parsed.recipient!;
    const given = parsed.params!.get(op)!;
    return kind === INPUT.weight ? given.weights[row]![column]! : given.bias[row]!;
  });
}

/** Every wire's value, in the .r1cs's order. */
export function directWitness(generator: DirectWitnessGenerator, input: Readonly<Record<string, Value>>): bigint[] {
  return wireValues(generator.program, run(generator, input));
}

/** The witness as circom's .wtns bytes, written from the registers. */
export function directWtns(generator: DirectWitnessGenerator, input: Readonly<Record<string, Value>>): Uint8Array {
  const state = run(generator, input);
  const { bytes, valuesAt } = emptyWtns(generator.wires);
  writeWireValues(generator.program, state, bytes, valuesAt);
  return bytes;
}

/** The generator as circuits/witness.ts's calculator. */
export function directCalculator(generator: DirectWitnessGenerator): WitnessCalculator {
  return {
    backend: 'direct',
    calculate: async (input: CircuitInput) => directWitness(generator, input),
    calculateWtns: async (input: CircuitInput) => directWtns(generator, input),
  };
}
