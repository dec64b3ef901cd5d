/**
 * The witness generator of a directly compiled circuit (circuit/model.witness.json, in place of
 * circom's model.wasm): the quantized model and the visibility it was compiled with, from which
 * buildDirectR1cs computes every wire's value in the .r1cs's wire order. It takes the same input
 * document as circom's witness program (circuits/signals.ts's witnessInput) and gives the same
 * results: every wire's value, or circom's .wtns bytes for the prover. docs/FORMATS.md describes it.
 */
import { ArtifactError, ZkinferError, quoted } from '../../core/errors.js';
import { writeJsonAtomic } from '../../core/files.js';
import { type QModel, parseQModel } from '../../model/ir.js';
import { type Visibility, parseVisibility } from '../visibility.js';
import { type DirectInput, buildDirectR1cs } from './build.js';
import type { DirectR1cs } from './system.js';

export const DIRECT_WITNESS_FORMAT = 'zkinfer-direct-witness/1';

export interface DirectWitnessGenerator {
  format: typeof DIRECT_WITNESS_FORMAT;
  visibility: Visibility;
  /** The wires and constraints of the .r1cs it computes witnesses for (a check that the two belong together). */
  wires: number;
  constraints: number;
  model: QModel;
}

export async function writeDirectWitnessGenerator(file: string, model: QModel, visibility: Visibility, r1cs: DirectR1cs): Promise<void> {
  const generator: DirectWitnessGenerator = { format: DIRECT_WITNESS_FORMAT, visibility, wires: r1cs.names.length, constraints: r1cs.constraints.length, model };
  await writeJsonAtomic(file, generator);
}

/** A direct witness generator from its file's parsed JSON; ARTIFACT_INVALID, naming the file and field, when it is not one. */
export function parseDirectWitnessGenerator(json: unknown, file: string): DirectWitnessGenerator {
  const g = json as Partial<DirectWitnessGenerator> | null;
  const fail = (what: string): never => {
    throw new ArtifactError('ARTIFACT_INVALID', `${file}: ${what}`, file);
  };
  if (typeof g !== 'object' || g === null || Array.isArray(g)) return fail('not a witness generator: neither circom\'s WebAssembly nor a JSON object');
  if (g.format !== DIRECT_WITNESS_FORMAT) fail(`format must be '${DIRECT_WITNESS_FORMAT}', found ${quoted(g.format)}`);
  for (const key of ['wires', 'constraints'] as const) if (!Number.isSafeInteger(g[key]) || g[key]! < 1) fail(`${key} must be a positive integer, found ${quoted(g[key])}`);
  let visibility: Visibility;
  try {
    visibility = parseVisibility((g.visibility ?? {}) as Record<string, unknown>, `${file}: visibility`);
  } catch (error) {
    throw new ArtifactError('ARTIFACT_INVALID', (error as Error).message, file, { cause: error });
  }
  return { format: DIRECT_WITNESS_FORMAT, visibility, wires: g.wires!, constraints: g.constraints!, model: parseQModel(g.model, `${file}: model`) };
}

type Value = bigint | number | string | readonly Value[];

function integer(value: unknown, where: string): bigint {
  if (typeof value === 'bigint') return value;
  if ((typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))) return BigInt(value);
  throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${where} must be an integer, found ${quoted(value)}`);
}

/** The input document circom's witness program takes, read into the direct builder's input. */
function directInput(generator: DirectWitnessGenerator, input: Readonly<Record<string, Value>>): DirectInput {
  const values = input.in;
  if (!Array.isArray(values)) throw new ZkinferError('CIRCUIT', 'the circuit rejects this input: it has no array `in`');
  const parsed: DirectInput = { input: values.map((v, i) => Number(integer(v, `in[${i}]`))) };
  if (input.salt !== undefined) parsed.salt = integer(input.salt, 'salt');
  if (input.recipient !== undefined) parsed.recipient = integer(input.recipient, 'recipient');
  if (generator.visibility.params === 'hashed') {
    const params = new Map<number, { weights: bigint[][]; bias: bigint[] }>();
    parsed.params = params;
    generator.model.ops.forEach((op, k) => {
      if (op.kind !== 'dense' && op.kind !== 'conv2d') return;
      const weights = input[`op${k}_w`];
      const bias = input[`op${k}_b`];
      const rows = Array.isArray(weights) && weights.length === op.weights.length && weights.every((row, j) => Array.isArray(row) && row.length === op.weights[j].length);
      if (!rows || !Array.isArray(bias) || bias.length !== op.bias.length) throw new ZkinferError('CIRCUIT', `the circuit rejects this input: op${k}_w and op${k}_b must be the ${op.weights.length}×${op.weights[0]?.length ?? 0} weights and ${op.bias.length} biases of op ${k}`);
      params.set(k, { weights: (weights as Value[][]).map((row, j) => row.map((w, t) => integer(w, `op${k}_w[${j}][${t}]`))), bias: (bias as Value[]).map((b, j) => integer(b, `op${k}_b[${j}]`)) });
    });
  }
  return parsed;
}

/** Every wire's value, in the .r1cs's order. */
export function directWitness(generator: DirectWitnessGenerator, input: Readonly<Record<string, Value>>): bigint[] {
  let built: DirectR1cs;
  try {
    built = buildDirectR1cs(generator.model, generator.visibility, directInput(generator, input));
  } catch (error) {
    if (error instanceof ZkinferError && error.code !== 'INTERNAL' && error.code !== 'CIRCUIT') throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${error.message}`, { cause: error });
    throw error;
  }
  if (!built.witness || built.witness.length !== generator.wires || built.constraints.length !== generator.constraints) {
    throw new ZkinferError('ARTIFACT_INVALID', `the direct witness generator makes ${built.names.length} wires and ${built.constraints.length} constraints, its file says ${generator.wires} and ${generator.constraints}: compile again`);
  }
  return built.witness;
}
