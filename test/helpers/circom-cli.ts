/**
 * Compile a hand-written fixture circuit with the circom2 CLI, for prover tests that must not
 * depend on zkinfer's own circuit pipeline. circom2's WASI sandbox only reads below its working
 * directory, so the circuit is copied into a fresh folder and compiled there.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_CIRCUITS = path.join(ROOT, 'test', 'fixtures', 'circuits');

export interface CompiledFixture {
  r1csPath: string;
  wasmPath: string;
  symPath: string;
}

/** Compile `test/fixtures/circuits/<name>.circom` into `outDir` (which it creates). */
export async function compileFixtureCircuit(name: string, outDir: string): Promise<CompiledFixture> {
  await fs.mkdir(path.join(outDir, 'build'), { recursive: true });
  await fs.copyFile(path.join(FIXTURE_CIRCUITS, `${name}.circom`), path.join(outDir, `${name}.circom`));
  const cli = path.join(ROOT, 'node_modules', 'circom2', 'cli.js');
  const args = [cli, `${name}.circom`, '--r1cs', '--wasm', '--sym', '-o', 'build', '--O2'];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: outDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, output }));
  });
  if (code !== 0) throw new Error(`circom2 failed on ${name}.circom (exit ${code}):\n${output}`);
  const build = path.join(outDir, 'build');
  return {
    r1csPath: path.join(build, `${name}.r1cs`),
    wasmPath: path.join(build, `${name}_js`, `${name}.wasm`),
    symPath: path.join(build, `${name}.sym`),
  };
}
