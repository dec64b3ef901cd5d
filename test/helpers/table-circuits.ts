/** Compile a hand-written test circuit that uses the table template, with its R1CS and witness calculator. */
import { readR1cs, type R1cs } from '../../circuits/r1cs.js';
import { loadWitnessCalculator, type WitnessCalculator } from '../../circuits/witness.js';
import { compileSource } from './circuits.js';

export async function compileModelSource(source: string): Promise<{ r1cs: R1cs; witness: WitnessCalculator }> {
  const { files } = await compileSource(source);
  return { r1cs: await readR1cs(files.r1cs), witness: await loadWitnessCalculator(files.wasm) };
}
