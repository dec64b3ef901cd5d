declare module 'circom_runtime' {
  export function WitnessCalculatorBuilder(
    code: Uint8Array,
    options?: { sanityCheck?: boolean },
  ): Promise<{ calculateWitness(input: Record<string, unknown>, sanityCheck?: boolean): Promise<bigint[]> }>;
}
