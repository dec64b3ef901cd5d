/**
 * The section numbers of snarkjs's Groth16 .zkey container (prover/setup/zkey-format.ts describes
 * each); apart from that file so that the prover reads keys without its Node imports (web/).
 */
export const ZKEY_SECTIONS = { protocol: 1, header: 2, ic: 3, coefficients: 4, a: 5, b1: 6, b2: 7, c: 8, h: 9, contributions: 10 } as const;
