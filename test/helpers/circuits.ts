/**
 * Compile generated circuits for tests, cached by the hash of everything that determines the
 * result (source, templates, compiler), so reruns skip circom.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CIRCUIT_INCLUDES, emitCircuit, type EmittedCircuit } from '../../circuits/emit/index.js';
import { circomVersion, compileCircom } from '../../circuits/compile.js';
import { readR1cs, type R1cs } from '../../circuits/r1cs.js';
import { loadWitnessCalculator, type WitnessCalculator } from '../../circuits/witness.js';
import { exists, sha256 } from '../../core/files.js';
import { cacheDir, packageRoot } from '../../core/paths.js';
import type { QModel } from '../../model/ir.js';
import type { Visibility } from '../../circuits/visibility.js';

export interface TestCircuit extends EmittedCircuit {
  dir: string;
  r1cs: R1cs;
  witness: WitnessCalculator;
  /** `witness` is circom's .wasm, as the audit takes a witness generator of either backend. */
  files: { r1cs: string; wasm: string; witness: string; sym: string; circom: string };
}

export async function compileSource(source: string, includes: readonly string[] = CIRCUIT_INCLUDES): Promise<{ dir: string; files: TestCircuit['files'] }> {
  // table.circom counts only for the sources that include it, so other circuits keep their cache keys.
  const own = source.includes('include "table.circom"') ? ['zkinfer.circom', 'table.circom'] : ['zkinfer.circom'];
  const templates = (await Promise.all(own.map((file) => fs.readFile(path.join(packageRoot(), 'circuits', 'templates', file), 'utf8')))).join('');
  const key = sha256(source + templates + circomVersion() + includes.join(','));
  const dir = path.join(cacheDir(), 'circuits', key.slice(0, 24));
  const files = { r1cs: 'model.r1cs', wasm: 'model.wasm', witness: 'model.wasm', sym: 'model.sym', circom: 'model.circom' };
  const full = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, path.join(dir, f)])) as TestCircuit['files'];
  if (!(await exists(full.wasm)) || !(await exists(full.r1cs)) || !(await exists(full.sym))) {
    await compileCircom(source, dir, { includes });
  }
  return { dir, files: full };
}

export async function compileModel(model: QModel, visibility?: Visibility): Promise<TestCircuit> {
  const emitted = emitCircuit(model, visibility);
  const { dir, files } = await compileSource(emitted.source);
  return { ...emitted, dir, files, r1cs: await readR1cs(files.r1cs), witness: await loadWitnessCalculator(files.wasm) };
}

/**
 * A circuit whose public signals are of every kind the prover's MSMs see: a Poseidon hash of
 * x[0..3] (a full-width field element), x[0]·x[1], -x[2]·x[n-1] (r - x for positive x), and the
 * n ≥ 4 inputs themselves.
 */
export function poseidonSampleSource(n: number): string {
  return `pragma circom 2.1.0;
include "poseidon.circom";
template Sample() {
    signal input x[${n}];
    signal output hash;
    signal output product;
    signal output negated;
    component h = Poseidon(4);
    for (var i = 0; i < 4; i++) h.inputs[i] <== x[i];
    hash <== h.out;
    product <== x[0] * x[1];
    negated <== -x[2] * x[${n - 1}];
}
component main {public [x]} = Sample();
`;
}
