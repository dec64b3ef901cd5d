/**
 * circom's WebAssembly witness generator (circom_runtime, the calculator snarkjs uses) over its
 * bytes. No Node API: the browser prover (web/) computes witnesses with it too.
 */
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { ZkinferError, messageOf } from '../core/errors.js';
import type { WitnessCalculator } from './witness.js';

export async function circomCalculator(wasm: Uint8Array): Promise<WitnessCalculator> {
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
