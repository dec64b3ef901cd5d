/**
 * Run Node in a separate process against the compiled library (dist/): ES module snippets, for
 * tests about what happens across processes (locks, whether a process exits by itself), and the
 * zkinfer CLI itself.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The file: URL of a compiled module, e.g. distModule('prover/prove.js'); fails clearly without a build. */
export function distModule(relative: string): string {
  const file = path.join(ROOT, 'dist', relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before these tests`);
  return pathToFileURL(file).href;
}

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the process had to be killed because it did not exit within the timeout. */
  timedOut: boolean;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

export function runNodeScript(source: string, options: RunOptions = {}): Promise<ScriptResult> {
  return runNode(['--input-type=module', '-e', source], options);
}

/** Run the zkinfer command as users do (bin/zkinfer.js → dist/). */
export function runCli(args: string[], options: RunOptions = {}): Promise<ScriptResult> {
  return runNode([path.join(ROOT, 'bin', 'zkinfer.js'), ...args], options);
}

function runNode(args: string[], options: RunOptions): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
