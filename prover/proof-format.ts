/**
 * Shape checks for proof and public-signal files that users hand back. Only structure is judged
 * here (types, lengths, decimal syntax); whether the numbers are in range or on the curve is the
 * verifier's question, and it answers "false" rather than "malformed".
 */
import { ZkinferError } from '../core/errors.js';
import type { Groth16Proof } from './pool/messages.js';

/** Longer than any element of either field (78 digits) with room to spare; stops megabyte "numbers". */
const MAX_DIGITS = 100;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function formatError(where: string, field: string, problem: string): ZkinferError {
  return new ZkinferError('PROOF_INVALID', `${where}: ${field} ${problem}`, { details: { where, field } });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 20 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}

function decimal(value: unknown, where: string, field: string): string {
  if (typeof value !== 'string') throw formatError(where, field, `must be a decimal string, found ${describe(value)}`);
  if (value.length > MAX_DIGITS) throw formatError(where, field, `is too long (${value.length} characters)`);
  if (!DECIMAL.test(value)) throw formatError(where, field, `must be a decimal string without sign or leading zeros, found ${describe(value)}`);
  return value;
}

function array(value: unknown, length: number, where: string, field: string): unknown[] {
  if (!Array.isArray(value)) throw formatError(where, field, `must be an array of ${length}, found ${describe(value)}`);
  if (value.length !== length) throw formatError(where, field, `must have ${length} elements, found ${value.length}`);
  return value;
}

function triple(value: unknown, where: string, field: string): [string, string, string] {
  const [x, y, z] = array(value, 3, where, field).map((item, i) => decimal(item, where, `${field}[${i}]`));
  return [x!, y!, z!];
}

function pair(value: unknown, where: string, field: string): [string, string] {
  const [a, b] = array(value, 2, where, field).map((item, i) => decimal(item, where, `${field}[${i}]`));
  return [a!, b!];
}

/** A normalized copy of a snarkjs Groth16 proof (unknown fields dropped); PROOF_INVALID names the bad field. */
export function parseGroth16Proof(value: unknown, where: string): Groth16Proof {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw formatError(where, 'proof', `must be a JSON object, found ${describe(value)}`);
  }
  const proof = value as Record<string, unknown>;
  if (proof.protocol !== 'groth16') throw formatError(where, 'proof.protocol', `must be "groth16", found ${describe(proof.protocol)}`);
  if (proof.curve !== 'bn128') throw formatError(where, 'proof.curve', `must be "bn128", found ${describe(proof.curve)}`);
  const pi_a = triple(proof.pi_a, where, 'proof.pi_a');
  const [b0, b1, b2] = array(proof.pi_b, 3, where, 'proof.pi_b').map((item, i) => pair(item, where, `proof.pi_b[${i}]`));
  const pi_c = triple(proof.pi_c, where, 'proof.pi_c');
  return {
    pi_a,
    pi_b: [b0!, b1!, b2!],
    pi_c,
    protocol: 'groth16',
    curve: 'bn128',
  };
}

/** A copy of a public-signals array: exactly `expectedCount` decimal strings. */
export function parsePublicSignals(value: unknown, expectedCount: number, where: string): string[] {
  return array(value, expectedCount, where, 'publicSignals').map((item, i) => decimal(item, where, `publicSignals[${i}]`));
}
