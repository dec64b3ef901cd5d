/** A Groth16 proof as the Solidity verifier and the registry take it. No Node API: the browser page records proofs with it (web/record.ts). */

export interface Groth16ProofJson {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
}

const UINT256_LIMIT = 1n << 256n;

/**
 * The verifier's arguments. G2 coordinates go in reversed order (the EVM pairing precompile
 * takes the imaginary part first). Undefined when a value cannot even be ABI-encoded.
 */
export function verifierArguments(proof: Groth16ProofJson, publicSignals: readonly string[]) {
  const values = [...proof.pi_a.slice(0, 2), ...proof.pi_b.slice(0, 2).flat(), ...proof.pi_c.slice(0, 2), ...publicSignals].map((v) => BigInt(v));
  if (values.some((v) => v < 0n || v >= UINT256_LIMIT)) return undefined;
  const [a, b, c] = [proof.pi_a, proof.pi_b, proof.pi_c];
  return [
    [a[0], a[1]],
    [
      [b[0][1], b[0][0]],
      [b[1][1], b[1][0]],
    ],
    [c[0], c[1]],
    [...publicSignals],
  ] as const;
}
