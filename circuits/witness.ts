/**
 * Witness generation, from either backend's witness generator (the compile step's choice, see
 * docs/FORMATS.md): circom's WebAssembly program (circom_runtime, the calculator snarkjs uses), or
 * a directly compiled circuit's model.witness.json (circuits/direct/witness.ts). Both take the
 * same input document and give every wire's value, or circom's .wtns bytes for the prover.
 * Circom's runtime checks each `===` as it goes, and the direct builder each constraint, so an
 * input the circuit cannot accept fails here.
 */
import * as fs from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { ZkinferError, messageOf } from '../core/errors.js';
import { parseJson } from '../core/files.js';
import { directWitness, encodeWtns, parseDirectWitnessGenerator } from './direct/witness.js';

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
  const bytes = await fs.readFile(file);
  if (bytes.subarray(0, 4).toString('latin1') === WASM_MAGIC) return circomCalculator(bytes);
  const generator = parseDirectWitnessGenerator(parseJson(bytes.toString('utf8'), file, 'witness generator'), file);
  return {
    backend: 'direct',
    calculate: async (input) => directWitness(generator, input),
    calculateWtns: async (input) => encodeWtns(directWitness(generator, input)),
  };
}

async function circomCalculator(wasm: Uint8Array): Promise<WitnessCalculator> {
  let calculator = await WitnessCalculatorBuilder(wasm);
  // Set after a failure: the instance stopped mid-computation, so the next input gets a fresh one.
  let spent = false;
  const run = async <T>(compute: () => Promise<T>): Promise<T> => {
    if (spent) {
      calculator = await WitnessCalculatorBuilder(wasm);
      spent = false;
    }
    // The runtime prints a failed assertion to console.error before throwing it; the error
    // carries the same text, so keep the terminal clean.
    const print = console.error;
    console.error = () => {};
    try {
      return await compute();
    } catch (error) {
      spent = true;
      throw error;
    } finally {
      console.error = print;
    }
  };
  return {
    backend: 'circom',
    async calculate(input) {
      try {
        return await run(() => calculator.calculateWitness(input, true));
      } catch (error) {
        throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${messageOf(error).trim().split('\n')[0]}`, { cause: error });
      }
    },
    calculateWtns: (input) => run(() => calculator.calculateWTNSBin(input, false)),
  };
}
