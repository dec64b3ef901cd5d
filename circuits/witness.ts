/**
 * Witness generation with the circuit's own WASM (circom_runtime, the calculator snarkjs uses),
 * returning every wire as a BigInt. Circom's runtime checks each `===` as it goes, so an input
 * the circuit cannot accept fails here with the template and line of the failed assertion.
 */
import * as fs from 'node:fs/promises';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { ZkinferError, messageOf } from '../core/errors.js';

/** A circuit input value: numbers, bigints or decimal strings, nested for arrays. */
export type CircuitValue = bigint | number | string | readonly CircuitValue[];
export type CircuitInput = Readonly<Record<string, CircuitValue>>;

export interface WitnessCalculator {
  calculate(input: CircuitInput): Promise<bigint[]>;
}

export async function loadWitnessCalculator(wasmFile: string): Promise<WitnessCalculator> {
  const calculator = await WitnessCalculatorBuilder(await fs.readFile(wasmFile));
  return {
    async calculate(input) {
      // The runtime prints a failed assertion to console.error before throwing it; the error we
      // throw carries the same text, so keep the terminal clean.
      const print = console.error;
      console.error = () => {};
      try {
        return await calculator.calculateWitness(input, true);
      } catch (error) {
        throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${messageOf(error).trim().split('\n')[0]}`, { cause: error });
      } finally {
        console.error = print;
      }
    },
  };
}
