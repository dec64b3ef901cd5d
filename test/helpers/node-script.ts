/**
 * Run Node in a separate process against the compiled library (dist/): ES module snippets, for
 * tests about what happens across processes (locks, whether a process exits by itself), and the
 * zkinfer CLI itself.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';

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
  /** The package whose CLI runs (runCli), default this one: a copy, to test its dist/ changed. */
  root?: string;
}

export function runNodeScript(source: string, options: RunOptions = {}): Promise<ScriptResult> {
  return runNode(['--input-type=module', '-e', source], options);
}

/** Run the zkinfer command as users do (bin/zkinfer.js → dist/). */
export function runCli(args: string[], options: RunOptions = {}): Promise<ScriptResult> {
  return runNode([path.join(options.root ?? ROOT, 'bin', 'zkinfer.js'), ...args], options);
}

/** `zkinfer ARGS` as an e2e test runs it: up to 5 minutes, and a run that timed out fails the test there. */
export async function zkinfer(...args: string[]): Promise<ScriptResult> {
  const result = await runCli(args, { timeoutMs: 300_000 });
  expect(result.timedOut).toBe(false);
  return result;
}

export interface LoadedModules extends ScriptResult {
  /** Every module file or URL the process (and any process it forked) loaded. */
  modules: string[];
  /** The npm packages among them, by name ('snarkjs', '@tensorflow/tfjs-core'). */
  packages: Set<string>;
}

/** Run the zkinfer command and record what it loads (test/helpers/module-log.mjs). */
export async function runCliRecordingModules(args: string[], options: RunOptions = {}): Promise<LoadedModules> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zkinfer-modules-'));
  const log = path.join(dir, 'modules.log');
  try {
    const preload = pathToFileURL(path.join(ROOT, 'test', 'helpers', 'module-log.mjs')).href;
    const result = await runCli(args, { ...options, env: { ...options.env, NODE_OPTIONS: `--import ${preload}`, ZKINFER_MODULE_LOG: log } });
    const modules = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    const packages = new Set(modules.flatMap((m) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m);
      return match ? [match[1]!] : [];
    }));
    return { ...result, modules, packages };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
