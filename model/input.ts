/**
 * Inference inputs as users give them: JSON `{ "input": [...] }` (or EZKL's `{ "input_data": [[...]] }`)
 * in the float model's own units (nested to the model's shape, or flat), turned into the integers
 * the circuit takes.
 */
import { parseAddress } from '../core/address.js';
import { InputError } from '../core/errors.js';
import { FIELD_MODULUS } from '../core/field.js';
import { type QInput, inputRange } from './ir.js';

// Quantizing an input is the model's own rule, in ir.ts (which the browser prover imports without this file's Node dependencies).
export { quantizeInput } from './ir.js';

function flatten(value: unknown, shape: readonly number[], where: string, out: number[]): void {
  if (shape.length === 0) {
    if (typeof value !== 'number') throw new InputError(`${where} must be a number, found ${JSON.stringify(value)?.slice(0, 40)}`);
    out.push(value);
    return;
  }
  if (!Array.isArray(value)) throw new InputError(`${where} must be an array of ${shape[0]}, found ${typeof value}`);
  if (value.length !== shape[0]) {
    throw new InputError(`${where} must have ${shape[0]} entries, found ${value.length}`, {
      details: { expected: shape[0], found: value.length },
    });
  }
  value.forEach((v, i) => flatten(v, shape.slice(1), `${where}[${i}]`, out));
}

/**
 * The flat float values of an input, accepting either the model's shape or a flat array of the
 * same size. `where` names the source (a file) in errors.
 */
export function readInputValues(value: unknown, shape: readonly number[], where: string): number[] {
  const flat: number[] = [];
  const n = shape.reduce((a, b) => a * b, 1);
  const isFlat = Array.isArray(value) && (shape.length === 1 || value.length === n);
  flatten(value, isFlat ? [n] : shape, where, flat);
  return flat;
}

function fieldOf(json: unknown, field: string, where: string, what: string): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !(field in json)) {
    throw new InputError(`${where}: expected a JSON object with an "${field}" field holding ${what}`);
  }
  return (json as Record<string, unknown>)[field];
}

export interface InputDocument {
  values: number[];
  /** The commitment's blinding value, when the file gives one. */
  salt?: bigint;
  /** The address the proof is to be bound to (circuits compiled with --recipient public). */
  recipient?: bigint;
}

/**
 * The model input a document holds: zkinfer's `"input"`, or EZKL's `"input_data"` (one flat array
 * per model input, so exactly one here), for files written for EZKL.
 */
function documentInput(json: unknown, where: string): { value: unknown; field: string } {
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'input_data' in json) {
    if ('input' in json) throw new InputError(`${where}: give the model input once, as "input" or as EZKL's "input_data", not both`);
    const data = (json as { input_data: unknown }).input_data;
    if (!Array.isArray(data) || data.length !== 1) {
      throw new InputError(`${where}: "input_data" must hold one array (EZKL's list of model inputs; zkinfer models have one input), found ${Array.isArray(data) ? `${data.length} entries` : typeof data}`);
    }
    return { value: data[0], field: 'input_data[0]' };
  }
  return { value: fieldOf(json, 'input', where, 'the model input (or EZKL\'s "input_data")'), field: 'input' };
}

/** Parse an input file: `{ "input": [...], "salt"?: "decimal", "recipient"?: "0x…" }`, or EZKL's `{ "input_data": [[...]] }`. */
export function parseInputDocument(json: unknown, shape: readonly number[], where: string): InputDocument {
  const input = documentInput(json, where);
  const values = readInputValues(input.value, shape, `${where}: ${input.field}`);
  const { salt, recipient } = json as { salt?: unknown; recipient?: unknown };
  if (salt !== undefined && (typeof salt !== 'string' || !/^(0|[1-9][0-9]{0,76})$/.test(salt) || BigInt(salt) >= FIELD_MODULUS)) {
    throw new InputError(`${where}: salt must be a decimal string of a number below the field modulus`);
  }
  return {
    values,
    ...(salt !== undefined ? { salt: BigInt(salt as string) } : {}),
    ...(recipient !== undefined ? { recipient: parseAddress(recipient, `${where}: recipient`) } : {}),
  };
}

/** EZKL's calibration data: `{ "input_data": [[...]] }` whose one array is a batch of inputs, flattened. */
function ezklBatch(json: unknown, shape: readonly number[], where: string): unknown[] {
  const { value } = documentInput(json, where);
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(value) || value.length === 0 || value.length % n !== 0) {
    throw new InputError(`${where}: input_data[0] must be a flat batch of inputs of ${n} values each, found ${Array.isArray(value) ? `${value.length} values` : typeof value}`);
  }
  return Array.from({ length: value.length / n }, (_, k) => value.slice(k * n, (k + 1) * n));
}

/** Parse a batch file: `{ "inputs": [[...], ...] }` (calibration sets, samples), or EZKL's `{ "input_data": [[...]] }`. */
export function parseInputBatch(json: unknown, shape: readonly number[], where: string): number[][] {
  const ezkl = typeof json === 'object' && json !== null && !Array.isArray(json) && 'input_data' in json && !('inputs' in json);
  const inputs = ezkl ? ezklBatch(json, shape, where) : fieldOf(json, 'inputs', where, 'an array of model inputs');
  if (!Array.isArray(inputs) || inputs.length === 0) throw new InputError(`${where}: "inputs" must be a non-empty array`);
  return inputs.map((value, k) => {
    const values = readInputValues(value, shape, `${where}: inputs[${k}]`);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`${where}: inputs[${k}][${bad}] is ${values[bad]}: inputs must be finite numbers`);
    return values;
  });
}

export function dequantize(values: readonly number[], scales: readonly number[]): number[] {
  return values.map((v, i) => v * scales[i]);
}
