/**
 * Inference inputs as users give them: JSON `{ "input": [...] }` in the float model's own units
 * (nested to the model's shape, or flat), turned into the integers the circuit takes.
 */
import { InputError } from '../core/errors.js';
import { type QInput, inputRange, inputSize } from './ir.js';

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
export function readInputValues(value: unknown, spec: QInput, where: string): number[] {
  const flat: number[] = [];
  const n = inputSize(spec);
  const isFlat = Array.isArray(value) && (spec.shape.length === 1 || value.length === n);
  flatten(value, isFlat ? [n] : spec.shape, where, flat);
  return flat;
}

/** Parse the JSON document of an input file: an object with an `input` field. */
export function parseInputDocument(json: unknown, spec: QInput, where: string): number[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('input' in json)) {
    throw new InputError(`${where}: expected a JSON object with an "input" field holding the model input`);
  }
  return readInputValues((json as { input: unknown }).input, spec, `${where}: input`);
}

/** float → integer: round(x / scale), refusing non-finite values and values outside the input range. */
export function quantizeInput(values: readonly number[], spec: QInput, where = 'input'): number[] {
  const { min, max } = inputRange(spec);
  return values.map((x, i) => {
    if (!Number.isFinite(x)) throw new InputError(`${where}[${i}] is ${x}: inputs must be finite numbers`);
    const q = Math.round(x / spec.scale);
    if (q < min || q > max) {
      throw new InputError(
        `${where}[${i}] = ${x} is outside the model's input range [${min * spec.scale}, ${max * spec.scale}]`,
        { details: { index: i, value: x, quantized: q, min, max } },
      );
    }
    return q === 0 ? 0 : q; // no -0
  });
}

export function dequantize(values: readonly number[], scales: readonly number[]): number[] {
  return values.map((v, i) => v * scales[i]);
}
