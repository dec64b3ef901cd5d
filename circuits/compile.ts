/**
 * Circom source → R1CS, witness generator (WASM) and symbol table, with circom2 (the Circom 2
 * compiler built to WASM) in a child process: it keeps its own 4 GB heap and calls exit itself.
 * Its WASI sandbox reads only below its working folder, so compilation happens in a temp folder
 * holding the source and copies of its includes; results move into place only on success. On
 * failure the source is kept beside them as <name>.failed.circom, and the error names the op
 * the failing line belongs to.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ZkinferError } from '../core/errors.js';
import { moveIntoPlace, withTempDir, writeFileAtomic } from '../core/files.js';
import { packageRoot } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import { CircomProgress, type PhaseCpuMs } from './compile-progress.js';
import { opAtLine } from './emit/format.js';

const require = createRequire(import.meta.url);

export interface CircomStats {
  templateInstances: number;
  nonLinearConstraints: number;
  linearConstraints: number;
  publicInputs: number;
  privateInputs: number;
  publicOutputs: number;
  wires: number;
  labels: number;
}

export interface CompiledCircuit {
  files: { circom: string; r1cs: string; wasm: string; sym: string };
  stats: CircomStats;
  compiler: string;
  warnings: string[];
  ms: number;
  /** The compiler process's peak resident memory (Linux: VmHWM from /proc), when it could be read. */
  peakMemoryBytes?: number;
  /**
   * The compiler process's CPU time, user + system (Linux: from /proc, sampled every 100 ms, so
   * up to that much short), when it could be read: unlike `ms`, it does not grow on a loaded machine.
   */
  cpuMs?: number;
}

export interface Diagnostic {
  message: string;
  location?: string;
}

export function circomVersion(): string {
  return `circom2@${require('circom2/package.json').version}`;
}

/** zkinfer's own templates (circuits/templates/); the other includes are circomlib's. */
const OWN_TEMPLATES: ReadonlySet<string> = new Set(['zkinfer.circom', 'table.circom']);

/** Where an included file is: zkinfer's templates, or circomlib's. */
export function includePath(file: string): string {
  return OWN_TEMPLATES.has(file) ? path.join(packageRoot(), 'circuits', 'templates', file) : require.resolve(`circomlib/circuits/${file}`);
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/** circom's errors and warnings: `error[CODE]: message` followed by a `┌─ "file":line:col` pointer. */
export function parseDiagnostics(log: string, severity: 'error' | 'warning'): Diagnostic[] {
  const lines = stripAnsi(log).split('\n');
  const found: Diagnostic[] = [];
  lines.forEach((line, i) => {
    const m = new RegExp(`^${severity}(\\[\\w+\\])?: (.*)$`).exec(line.trim());
    if (!m) return;
    const where = lines.slice(i + 1, i + 3).map((l) => /"([^"]+)":(\d+):(\d+)/.exec(l)).find(Boolean);
    found.push({ message: m[2], ...(where ? { location: `${where[1]}:${where[2]}:${where[3]}` } : {}) });
  });
  return found;
}

function parseStats(log: string): CircomStats {
  const read = (label: string) => Number(new RegExp(`${label}: (\\d+)`).exec(stripAnsi(log))?.[1] ?? NaN);
  return {
    templateInstances: read('template instances'),
    nonLinearConstraints: read('non-linear constraints'),
    linearConstraints: read('linear constraints'),
    publicInputs: read('public inputs'),
    privateInputs: read('private inputs'),
    publicOutputs: read('public outputs'),
    wires: read('wires'),
    labels: read('labels'),
  };
}

/** Peak resident memory of a running process so far, from /proc (Linux); undefined elsewhere. */
export function peakMemoryOf(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a running process has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuTimeOf(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in 1/100 s.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function runCircom(cwd: string, args: string[], progress?: CircomProgress): Promise<{ code: number; log: string; peakMemoryBytes?: number; cpuMs?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('circom2/cli.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let peak: number | undefined;
    let cpu: number | undefined;
    // The high-water mark and the CPU time only grow, so the last readings before exit are the totals.
    const sample = setInterval(() => {
      if (child.pid === undefined) return;
      peak = peakMemoryOf(child.pid) ?? peak;
      cpu = cpuTimeOf(child.pid) ?? cpu;
      if (cpu !== undefined) progress?.cpu(cpu);
    }, 100);
    let partialLine = '';
    child.stdout.on('data', (d) => {
      log += d;
      const lines = stripAnsi(partialLine + d).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) progress?.line(line);
    });
    child.stderr.on('data', (d) => (log += d));
    child.on('error', (error) => {
      clearInterval(sample);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(sample);
      resolve({ code: code ?? 1, log, ...(peak !== undefined ? { peakMemoryBytes: peak } : {}), ...(cpu !== undefined ? { cpuMs: cpu } : {}) });
    });
  });
}

/** What circom2 prints when its WebAssembly heap is full: Rust's allocation failure, or the trap and growth errors after it. */
const CIRCOM_OUT_OF_MEMORY = /memory allocation of \d+ bytes failed|out of memory|WebAssembly\.Memory|RangeError: .*memory/i;

/** `, in op N: kind 'name'` for a location in the generated source that lies in an op's code. */
function layerOf(source: string, name: string, location: string): string {
  const m = /^(.*):(\d+):\d+$/.exec(location);
  const op = m && path.basename(m[1]) === `${name}.circom` ? opAtLine(source, Number(m[2])) : undefined;
  return op ? `, in op ${op.index}: ${op.kind} '${op.name}'` : '';
}

/**
 * Compile `source` (which may include zkinfer.circom and circomlib's Poseidon) into `outDir`
 * as <name>.circom, <name>.r1cs, <name>.wasm and <name>.sym.
 */
export async function compileCircom(
  source: string,
  outDir: string,
  options: { name?: string; includes?: readonly string[]; onProgress?: OnProgress; predictedCpuMs?: PhaseCpuMs } = {},
): Promise<CompiledCircuit> {
  const name = options.name ?? 'model';
  const start = performance.now();
  const progress = options.onProgress ? new CircomProgress(options.onProgress, options.predictedCpuMs) : undefined;
  return withTempDir(outDir, async (work) => {
    await fs.writeFile(path.join(work, `${name}.circom`), source);
    for (const file of options.includes ?? []) await fs.copyFile(includePath(file), path.join(work, file));
    const { code, log, peakMemoryBytes, cpuMs } = await runCircom(work, [`${name}.circom`, '--r1cs', '--wasm', '--sym', '--O2', '-o', '.'], progress);
    const warnings = parseDiagnostics(log, 'warning').map((d) => d.message);
    const failedSource = path.join(outDir, `${name}.failed.circom`);
    if (code !== 0 || !/Everything went okay/.test(stripAnsi(log))) {
      const errors = parseDiagnostics(log, 'error');
      const first = errors[0];
      const summary = first ? `${first.message}${first.location ? ` (${first.location}${layerOf(source, name, first.location)})` : ''}` : stripAnsi(log).trim().split('\n').slice(-3).join(' ');
      // Kept for the user to read, under a name no step reads: the folder's circuit files stay as they were.
      await writeFileAtomic(failedSource, source);
      const outOfMemory = CIRCOM_OUT_OF_MEMORY.test(log);
      throw new ZkinferError('CIRCUIT', `circom failed: ${outOfMemory ? 'out of memory: ' : ''}${summary}; the generated source is kept in ${failedSource}`, {
        details: { errors, log: stripAnsi(log), source: failedSource, outOfMemory },
      });
    }
    await fs.rm(failedSource, { force: true });
    const files = {
      circom: path.join(outDir, `${name}.circom`),
      r1cs: path.join(outDir, `${name}.r1cs`),
      wasm: path.join(outDir, `${name}.wasm`),
      sym: path.join(outDir, `${name}.sym`),
    };
    await moveIntoPlace(path.join(work, `${name}_js`, `${name}.wasm`), files.wasm);
    for (const ext of ['r1cs', 'sym', 'circom'] as const) await moveIntoPlace(path.join(work, `${name}.${ext}`), files[ext]);
    return { files, stats: parseStats(log), compiler: circomVersion(), warnings, ms: performance.now() - start, ...(peakMemoryBytes !== undefined ? { peakMemoryBytes } : {}), ...(cpuMs !== undefined ? { cpuMs } : {}) };
  });
}
