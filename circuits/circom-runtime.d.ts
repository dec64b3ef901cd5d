declare module 'circom_runtime' {
  export interface CircomWitnessCalculator {
    calculateWitness(input: Record<string, unknown>, sanityCheck?: boolean): Promise<bigint[]>;
    /** The witness as a .wtns file's bytes (what snarkjs's prover reads). */
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
  }
  export function WitnessCalculatorBuilder(code: Uint8Array, options?: { sanityCheck?: boolean }): Promise<CircomWitnessCalculator>;
}
