/**
 * How long a Groth16 setup takes, by circuit size: the development setup (`zkinfer setup --dev`,
 * straight from the R1CS) on circuits of 2^p rows, beside snarkjs's path (generate a development
 * powers of tau, then newZKey and one contribution) for the sizes where that is affordable.
 *
 *   npm run build && node dist/bench/setup-bench.js [--powers 12,14,16,18] [--snarkjs 12|none] [--prove] [--json]
 *
 * The circuits are chains of multiplications, s[i+1] = s[i]·s[i] + i, with a public input and an
 * output: 2^p − 3 constraints and a 2^p-row domain, every wire in A, B and C. Compiled circuits
 * are cached (circom needs minutes for 2^18). `runSetupBench` is the library form, for `zkinfer bench`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileCircom, circomVersion } from '../circuits/compile.js';
import { exists, withTempDir } from '../core/files.js';
import { cacheDir } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import { ProverPool } from '../prover/pool/pool.js';
import { devSetup } from '../prover/setup/dev-setup.js';
import { setupGroth16 } from '../prover/setup/groth16.js';
import { generateDevPtau } from '../prover/setup/ptau.js';
import { readRawR1cs } from '../prover/setup/r1cs-raw.js';
import { verifyGroth16, type VerificationKey } from '../prover/verify.js';

export interface SetupBenchOptions {
  /** Domain sizes 2^p to measure the development setup on. */
  powers: number[];
  /** Sizes to measure snarkjs's ptau path on as well (each must be among `powers`). */
  snarkjsPowers: number[];
  /** Prove and verify one input with each development key. */
  prove?: boolean;
  onProgress?: OnProgress;
}

export interface SetupBenchRow {
  power: number;
  constraints: number;
  compileMs?: number;
  dev: { ms: number; zkeyBytes: number; proofValid?: boolean };
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

async function compiledChain(power: number, onProgress?: OnProgress): Promise<{ r1cs: string; wasm: string; compileMs?: number }> {
  const source = chainCircuit(power);
  const dir = path.join(cacheDir(), 'bench-circuits', createHash('sha256').update(source + circomVersion()).digest('hex').slice(0, 24));
  const files = { r1cs: path.join(dir, 'model.r1cs'), wasm: path.join(dir, 'model.wasm') };
  if ((await exists(files.r1cs)) && (await exists(files.wasm))) return files;
  onProgress?.({ step: 'bench', message: `compiling the 2^${power} chain circuit (cached afterwards)` });
  const compiled = await compileCircom(source, dir);
  return { ...files, compileMs: compiled.ms };
}

export async function runSetupBench(options: SetupBenchOptions): Promise<SetupBenchRow[]> {
  const rows: SetupBenchRow[] = [];
  for (const power of options.powers) {
    const circuit = await compiledChain(power, options.onProgress);
    const { nConstraints } = await readRawR1cs(circuit.r1cs);
    const row = await withTempDir(os.tmpdir(), async (tmp) => {
      const zkeyPath = path.join(tmp, 'dev.zkey');
      const vkPath = path.join(tmp, 'dev.json');
      options.onProgress?.({ step: 'bench', message: `development setup, 2^${power}` });
      const start = performance.now();
      await devSetup({ r1csPath: circuit.r1cs, zkeyPath, vkPath, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      const row: SetupBenchRow = {
        power,
        constraints: nConstraints,
        ...(circuit.compileMs !== undefined ? { compileMs: circuit.compileMs } : {}),
        dev: { ms: performance.now() - start, zkeyBytes: (await fs.stat(zkeyPath)).size },
      };
      if (options.prove) {
        const pool = await ProverPool.create({ size: 1 });
        try {
          const result = await pool.prove({ wasmPath: circuit.wasm, zkeyPath, input: { x: 3 } });
          const vk = JSON.parse(await fs.readFile(vkPath, 'utf8')) as VerificationKey;
          row.dev.proofValid = await verifyGroth16(vk, result.publicSignals, result.proof);
        } finally {
          await pool.close();
        }
      }
      if (options.snarkjsPowers.includes(power)) {
        options.onProgress?.({ step: 'bench', message: `snarkjs: development powers of tau 2^${power}` });
        const ptauPath = path.join(tmp, 'dev.ptau');
        const ptauStart = performance.now();
        await generateDevPtau(power, ptauPath, options.onProgress);
        const keyStart = performance.now();
        options.onProgress?.({ step: 'bench', message: `snarkjs: newZKey and one contribution, 2^${power}` });
        await setupGroth16({ r1csPath: circuit.r1cs, ptauPath, zkeyPath: path.join(tmp, 'snarkjs.zkey'), vkPath: path.join(tmp, 'snarkjs.json') });
        row.snarkjs = { ptauMs: keyStart - ptauStart, keyMs: performance.now() - keyStart };
      }
      return row;
    });
    rows.push(row);
  }
  return rows;
}

function parseArgs(argv: string[]): SetupBenchOptions & { json: boolean } {
  const list = (flag: string, fallback: number[]) => {
    const at = argv.indexOf(flag);
    if (at < 0) return fallback;
    if (argv[at + 1] === 'none') return [];
    const values = (argv[at + 1] ?? '').split(',').map(Number);
    if (values.length === 0 || !values.every((p) => Number.isInteger(p) && p >= 4 && p <= 22)) throw new Error(`${flag} takes powers like 12,14,16`);
    return values;
  };
  return { powers: list('--powers', [12, 14, 16, 18]), snarkjsPowers: list('--snarkjs', [12]), prove: argv.includes('--prove'), json: argv.includes('--json') };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const rows = await runSetupBench({ ...options, onProgress: (e) => process.stderr.write(`${e.step}: ${e.message}${e.total ? ` ${e.done}/${e.total}` : ''}\r\u001b[K`) });
  process.stderr.write('\n');
  if (options.json) {
    process.stdout.write(JSON.stringify({ cpus: os.cpus().length, cpu: os.cpus()[0]?.model, rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`setup times on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}\n\n`);
  process.stdout.write('domain  constraints  dev setup  .zkey      snarkjs ptau  snarkjs newZKey+contribution\n');
  for (const r of rows) {
    const mb = `${(r.dev.zkeyBytes / 2 ** 20).toFixed(1)} MB`;
    const proof = r.dev.proofValid === undefined ? '' : r.dev.proofValid ? ' (proof ok)' : ' (PROOF FAILED)';
    const snark = r.snarkjs ? `${seconds(r.snarkjs.ptauMs).padStart(12)}  ${seconds(r.snarkjs.keyMs)}` : '';
    process.stdout.write(`2^${String(r.power).padEnd(4)}  ${String(r.constraints).padStart(11)}  ${seconds(r.dev.ms).padStart(9)}  ${mb.padEnd(9)}${proof}  ${snark}\n`);
  }
  if (rows.some((r) => r.dev.proofValid === false)) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
