/**
 * How long a Groth16 setup takes, by circuit size, as `zkinfer bench` measures it (issue 8): the
 * development setup (`zkinfer setup --dev`, straight from the R1CS, key written) on circuits of 2^p
 * rows, beside snarkjs's path (generate a development powers of tau, then newZKey and one
 * contribution) for the small sizes where that is affordable, in the same run.
 *
 * The circuits are chains of multiplications, s[i+1] = s[i]·s[i] + i, with a public input and an
 * output: 2^p − 3 constraints and a 2^p-row domain, every wire in A, B and C. Compiled circuits
 * are cached (circom needs minutes for 2^18); a compile is timed only when it happened.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileCircom, circomVersion } from '../circuits/compile.js';
import { exists, withTempDir } from '../core/files.js';
import { cacheDir } from '../core/paths.js';
import { timed, type OnProgress } from '../core/progress.js';
import { devSetup } from '../prover/setup/dev-setup.js';
import { setupGroth16 } from '../prover/setup/groth16.js';
import { generateDevPtau } from '../prover/setup/ptau.js';
import { readRawR1cs } from '../prover/setup/r1cs-raw.js';

export interface SetupBenchOptions {
  /** Domain sizes 2^p to measure the development setup on. */
  powers: readonly number[];
  /** Sizes to measure snarkjs's ptau path on as well (each must be among `powers`). */
  snarkjsPowers: readonly number[];
  onProgress?: OnProgress;
}

export interface SetupBenchRow {
  power: number;
  constraints: number;
  compileMs?: number;
  dev: { ms: number; zkeyBytes: number };
  snarkjs?: { ptauMs: number; keyMs: number };
}

export function chainCircuit(power: number): string {
  return `pragma circom 2.1.0;
template Chain(n) {
    signal input x;
    signal output y;
    signal s[n + 1];
    s[0] <== x;
    for (var i = 0; i < n; i++) {
        s[i + 1] <== s[i] * s[i] + i;
    }
    y <== s[n] * x;
}
component main {public [x]} = Chain(${2 ** power - 4});
`;
}

async function compiledChain(power: number, onProgress?: OnProgress): Promise<{ r1cs: string; compileMs?: number }> {
  const source = chainCircuit(power);
  const dir = path.join(cacheDir(), 'bench-circuits', createHash('sha256').update(source + circomVersion()).digest('hex').slice(0, 24));
  const r1cs = path.join(dir, 'model.r1cs');
  if (await exists(r1cs)) return { r1cs };
  onProgress?.({ step: 'setup bench', message: `compiling the 2^${power} chain circuit (cached afterwards)` });
  const compiled = await compileCircom(source, dir);
  return { r1cs, compileMs: compiled.ms };
}

export async function runSetupBench(options: SetupBenchOptions): Promise<SetupBenchRow[]> {
  const rows: SetupBenchRow[] = [];
  for (const power of options.powers) {
    const circuit = await compiledChain(power, options.onProgress);
    const { nConstraints } = await readRawR1cs(circuit.r1cs);
    const row = await withTempDir(os.tmpdir(), async (tmp) => {
      const zkeyPath = path.join(tmp, 'dev.zkey');
      options.onProgress?.({ step: 'setup bench', message: `development setup, 2^${power}` });
      const dev = await timed(() => devSetup({ r1csPath: circuit.r1cs, zkeyPath, vkPath: path.join(tmp, 'dev.json'), ...(options.onProgress ? { onProgress: options.onProgress } : {}) }));
      const row: SetupBenchRow = {
        power,
        constraints: nConstraints,
        ...(circuit.compileMs !== undefined ? { compileMs: circuit.compileMs } : {}),
        dev: { ms: dev.ms, zkeyBytes: (await fs.stat(zkeyPath)).size },
      };
      if (options.snarkjsPowers.includes(power)) {
        const ptauPath = path.join(tmp, 'dev.ptau');
        options.onProgress?.({ step: 'setup bench', message: `snarkjs: development powers of tau 2^${power}` });
        const ptau = await timed(() => generateDevPtau(power, ptauPath, options.onProgress));
        options.onProgress?.({ step: 'setup bench', message: `snarkjs: newZKey and one contribution, 2^${power}` });
        const key = await timed(() => setupGroth16({ r1csPath: circuit.r1cs, ptauPath, zkeyPath: path.join(tmp, 'snarkjs.zkey'), vkPath: path.join(tmp, 'snarkjs.json') }));
        row.snarkjs = { ptauMs: ptau.ms, keyMs: key.ms };
      }
      return row;
    });
    rows.push(row);
  }
  return rows;
}
