/**
 * Witness generation, from either backend's witness generator (the compile step's choice, see
 * docs/FORMATS.md): circom's WebAssembly program (run by circuits/circom-witness.ts), or a
 * directly compiled circuit's witness program, model.witness.bin (circuits/direct/witness.ts,
 * imported only for those; a folder compiled before it has the model itself, model.witness.json,
 * from which the program is recorded once, when loaded). Both take the same input document and give every wire's value, or circom's .wtns bytes
 * for the prover. Circom's program checks each `===` as it goes, and the direct builder each
 * constraint, so an input the circuit cannot accept fails here.
 */
import * as fs from 'node:fs/promises';
import { parseJson } from '../core/files.js';
import { circomCalculator } from './circom-witness.js';

/** A circuit input value: numbers, bigints or decimal strings, nested for arrays. */
export type CircuitValue = bigint | number | string | readonly CircuitValue[];
export type CircuitInput = Readonly<Record<string, CircuitValue>>;

export interface WitnessCalculator {
  /** Which backend's generator this is. */
  backend: 'circom' | 'direct';
  /** Every wire's value; a CIRCUIT error when the circuit rejects the input. */
  calculate(input: CircuitInput): Promise<bigint[]>;
  /** The witness as circom's .wtns bytes; circom's own runtime error (for the prover's message) when it rejects the input. */
  calculateWtns(input: CircuitInput): Promise<Uint8Array>;
}

const WASM_MAGIC = '\0asm';

export async function loadWitnessCalculator(file: string): Promise<WitnessCalculator> {
  // A file read is never backed by shared memory.
  const bytes = (await fs.readFile(file)) as Buffer<ArrayBuffer>;
  if (bytes.subarray(0, 4).toString('latin1') === WASM_MAGIC) return circomCalculator(bytes, file);
  const direct = await import('./direct/witness.js');
  if (direct.isDirectWitnessProgram(bytes)) return direct.directCalculator(direct.parseDirectWitnessGenerator(bytes, file));
  const { legacyDirectGenerator } = await import('./direct/build.js');
  return direct.directCalculator(legacyDirectGenerator(parseJson(bytes.toString('utf8'), file, 'witness generator'), file));
}
