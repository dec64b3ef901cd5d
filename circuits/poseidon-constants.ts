/**
 * circomlib's Poseidon parameters, as poseidon.circom's PoseidonEx uses them: the round numbers,
 * and the constants read at run time from circomlib's poseidon_constants.circom, the file circom
 * compiles (C the round constants, compressed for the partial rounds; M the MDS matrix; P the
 * matrix before the partial rounds; S their sparse matrices). The direct path's Poseidon
 * (direct/poseidon.ts) and the off-circuit hash (prover/poseidon.ts) both take them from here.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { ZkinferError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** PoseidonEx's partial rounds by t - 2 (poseidon.circom's N_ROUNDS_P). */
export const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
export const N_ROUNDS_F = 8;

export interface PoseidonConstants {
  C: bigint[];
  S: bigint[];
  /** M[j][i]: poseidon.circom's Mix takes out[i] = Σ_j M[j][i]·in[j]. */
  M: bigint[][];
  P: bigint[][];
}

/** The file, as bytes: decoding all of its 1.9 MB took 15-20 ms, twice the reading; a branch alone is decoded. */
let constantsFile: Buffer | undefined;
const constantsByT = new Map<number, PoseidonConstants>();

/** The numbers of `function NAME(t)`'s branch for t (`if (t==T) {` or `if (t == T) {`), in order. */
function constantsOf(name: string, t: number): bigint[] {
  const file = (constantsFile ??= fs.readFileSync(require.resolve('circomlib/circuits/poseidon_constants.circom')));
  const start = file.indexOf(`function ${name}(t)`);
  const next = file.indexOf('\nfunction ', start + 1);
  const end = next < 0 ? file.length : next;
  const branch = start < 0 ? -1 : [`if (t==${t})`, `if (t == ${t})`].map((header) => file.indexOf(header, start)).filter((at) => at >= 0 && at < end).sort((a, b) => a - b)[0] ?? -1;
  const from = branch < 0 ? -1 : file.indexOf('{', branch);
  const to = from < 0 ? -1 : file.indexOf('}', from);
  if (to < 0 || to > end) throw new ZkinferError('INTERNAL', `circomlib's poseidon_constants.circom has no ${name}(${t})`);
  return (file.toString('latin1', from + 1, to).match(/0x[0-9a-fA-F]+|\b\d+\b/g) ?? []).map((v) => BigInt(v));
}

/** The constants of Poseidon with state width t (t - 1 inputs, 2 ≤ t ≤ 17). */
export function poseidonConstants(t: number): PoseidonConstants {
  let k = constantsByT.get(t);
  if (!k) {
    if (!Number.isInteger(t) || t < 2 || t > N_ROUNDS_P.length + 1) throw new ZkinferError('INTERNAL', `circomlib's Poseidon takes 1 to ${N_ROUNDS_P.length} inputs, not ${t - 1}`);
    const square = (values: bigint[]) => Array.from({ length: t }, (_, i) => values.slice(i * t, (i + 1) * t));
    k = { C: constantsOf('POSEIDON_C', t), S: constantsOf('POSEIDON_S', t), M: square(constantsOf('POSEIDON_M', t)), P: square(constantsOf('POSEIDON_P', t)) };
    const nP = N_ROUNDS_P[t - 2]!;
    if (k.C.length !== t * N_ROUNDS_F + nP || k.S.length !== nP * (2 * t - 1) || k.M.flat().length !== t * t || k.P.flat().length !== t * t) {
      throw new ZkinferError('INTERNAL', `circomlib's Poseidon constants for t = ${t} do not have the sizes poseidon.circom expects`);
    }
    constantsByT.set(t, k);
  }
  return k;
}
