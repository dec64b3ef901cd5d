/**
 * The prover's WebAssembly: ffjavascript's bn128 module, built from its source (wasmcurves, with
 * wasmbuilder) rather than taken prebuilt, so that the prover's own functions go into the same
 * module and call its field arithmetic directly: the batch-affine additions of prover/msm.ts and
 * the FFT of prover/fft.ts. Building it takes a quarter second, so `npm run build` builds it once
 * and ships it in dist/ beside this file (see proverModule for why there and not in a cache).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addFft } from './fft.js';
import { addBatchAddAffine } from './msm-kernels.js';
import { addFields29 } from './field29.js';

/** wasmbuilder's module builder, as far as zkinfer uses it. */
export interface ModuleBuilder {
  setMemory(pages: number): void;
  addFunction(name: string): FunctionBuilder;
  exportFunction(name: string): void;
  /** Static memory of the module: the address of `bytes` bytes, initialized to `data` if given. */
  alloc(bytes: number, data?: Uint8Array): number;
  build(): number[] | Uint8Array;
}

export interface FunctionBuilder {
  addParam(name: string, type: 'i32'): void;
  addLocal(name: string, type: 'i32' | 'i64'): void;
  setReturnType(type: 'i32'): void;
  getCodeBuilder(): CodeBuilder;
  addCode(...code: Code[]): void;
}

/** The bytes of one expression or statement. */
export type Code = number[];

/** wasmbuilder's code builder: every method returns the bytes of one expression or statement. */
export interface CodeBuilder {
  i32_const(value: number): Code;
  getLocal(name: string): Code;
  setLocal(name: string, value: Code): Code;
  i32_load(address: Code, offset?: number): Code;
  i32_load8_u(address: Code, offset?: number): Code;
  i32_store(address: Code, offset: number, value: Code): Code;
  i32_add(a: Code, b: Code): Code;
  i32_sub(a: Code, b: Code): Code;
  i32_mul(a: Code, b: Code): Code;
  i32_and(a: Code, b: Code): Code;
  i32_or(a: Code, b: Code): Code;
  i32_shl(a: Code, b: Code): Code;
  i32_shr_u(a: Code, b: Code): Code;
  i32_eq(a: Code, b: Code): Code;
  i32_ne(a: Code, b: Code): Code;
  i32_eqz(a: Code): Code;
  i32_ge_u(a: Code, b: Code): Code;
  i32_xor(a: Code, b: Code): Code;
  i64_const(value: number): Code;
  i64_load(address: Code, offset?: number): Code;
  i64_load32_u(address: Code, offset?: number): Code;
  i64_store32(address: Code, offset: number, value: Code): Code;
  i64_add(a: Code, b: Code): Code;
  i64_sub(a: Code, b: Code): Code;
  i64_mul(a: Code, b: Code): Code;
  i64_and(a: Code, b: Code): Code;
  i64_or(a: Code, b: Code): Code;
  i64_xor(a: Code, b: Code): Code;
  i64_shl(a: Code, b: Code): Code;
  i64_shr_u(a: Code, b: Code): Code;
  i64_shr_s(a: Code, b: Code): Code;
  call(name: string, ...args: Code[]): Code;
  if(condition: Code, then: Code, otherwise?: Code): Code;
  block(code: Code): Code;
  loop(...code: Code[]): Code;
  br_if(depth: number, condition: Code): Code;
  br(depth: number): Code;
  ret(value: Code): Code;
}

const require = createRequire(import.meta.url);
const here = fileURLToPath(import.meta.url);
let built: WebAssembly.Module | undefined;

/**
 * The module, compiled once per process: the one `npm run build` wrote into dist/ for exactly this
 * code (named by its fingerprint), else built here. It is never read from a cache the user's other
 * processes can write: any module that compiles would be used, and one that drops the proof's
 * blinding still makes proofs that verify, only they are the same for the same input and zero
 * knowledge is lost without a sign. dist/ is as trusted as the JavaScript that would build it.
 */
export function proverModule(): WebAssembly.Module {
  built ??= new WebAssembly.Module(proverModuleBytes());
  return built;
}

/** The bytes of the module: the shipped ones if they compile, else built here. */
function proverModuleBytes(): Uint8Array<ArrayBuffer> {
  const shipped = readShipped(shippedModuleFile());
  return shipped ?? buildProverModule();
}

/** Where `npm run build` writes the module for this code: beside this file, under its fingerprint. */
export function shippedModuleFile(): string {
  return path.join(path.dirname(here), `prover-module-${generatorFingerprint()}.wasm`);
}

/** Build the module and write it to shippedModuleFile, whole or not at all; older ones are removed. */
export function writeShippedModule(): string {
  const file = shippedModuleFile();
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, buildProverModule());
  renameSync(temporary, file);
  for (const name of readdirSync(path.dirname(file))) {
    if (name.startsWith('prover-module-') && name !== path.basename(file)) rmSync(path.join(path.dirname(file), name), { force: true });
  }
  return file;
}

/** The module in `file`, or undefined if there is none or it does not compile (then it is built instead). */
function readShipped(file: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const bytes = new Uint8Array(readFileSync(file));
    new WebAssembly.Module(bytes);
    return bytes;
  } catch {
    return undefined;
  }
}

export function buildProverModule(): Uint8Array<ArrayBuffer> {
  return buildAt(FIRST_STATIC).bytes;
}

/** Where wasmbuilder puts a module's static data (constants, the functions' scratch): after the free pointer at 0. */
const FIRST_STATIC = 8;

/** The module with its static data from `base` on. */
function buildAt(base: number): { bytes: Uint8Array<ArrayBuffer> } {
  const { ModuleBuilder } = require('wasmbuilder') as { ModuleBuilder: new () => ModuleBuilder & { free: number } };
  const { buildBn128 } = require('wasmcurves') as { buildBn128: (module: ModuleBuilder) => void };
  const module = new ModuleBuilder();
  module.free = base;
  module.setMemory(25);
  buildBn128(module);
  addFields29(module);
  addBatchAddAffine(module);
  addFft(module);
  return { bytes: Uint8Array.from(module.build()) };
}

/**
 * The modules of a proof's threads, which share one memory. Every function of the module keeps
 * its scratch values at fixed addresses (wasmcurves' and ours, from module.alloc), so two threads
 * running one module on one memory would overwrite each other's: thread k gets a module whose
 * static data starts at k·stride, and all of them import the memory as shared. Thread 0's is
 * the shipped module's code; the others are built here (about 0.4 s each, once per process).
 */
export interface ThreadModules {
  /** The module of thread k (k < count), compiled. */
  modules: WebAssembly.Module[];
  /** Bytes below this hold the threads' static data; allocations start above it. */
  staticEnd: number;
  /** The memory's maximum size in pages, as the modules declare it. */
  maxPages: number;
}

export const SHARED_MAX_PAGES = 32767;
const threadModules: WebAssembly.Module[] = [];
let threadStride: number | undefined;

export function proverThreadModules(count: number): ThreadModules {
  if (threadStride === undefined) {
    const first = proverModule();
    // Where its static data ends: the free pointer its instantiation writes at address 0.
    const probe = new WebAssembly.Memory({ initial: 32 });
    new WebAssembly.Instance(first, { env: { memory: probe } });
    threadStride = Math.ceil(new Uint32Array(probe.buffer, 0, 1)[0]! / 4096) * 4096;
    threadModules.push(new WebAssembly.Module(withSharedMemory(proverModuleBytes(), SHARED_MAX_PAGES)));
  }
  for (let k = threadModules.length; k < count; k++) {
    threadModules.push(new WebAssembly.Module(withSharedMemory(buildAt(k * threadStride + FIRST_STATIC).bytes, SHARED_MAX_PAGES)));
  }
  return { modules: threadModules.slice(0, count), staticEnd: count * threadStride, maxPages: SHARED_MAX_PAGES };
}

/**
 * A copy of a module built by wasmbuilder whose memory import is shared, with a maximum of
 * `maxPages` (a shared memory must declare one). wasmbuilder writes the import section with the
 * memory as its first entry and no maximum (limits flag 0); the import becomes flag 3.
 */
export function withSharedMemory(bytes: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const readLeb = (at: number): [number, number] => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return [value, at];
    }
  };
  const leb = (value: number): number[] => {
    const out: number[] = [];
    do {
      const byte = value % 128;
      value = Math.floor(value / 128);
      out.push(value > 0 ? byte | 0x80 : byte);
    } while (value > 0);
    return out;
  };
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at]!;
    const [size, body] = readLeb(at + 1);
    if (id === 2) {
      let p = readLeb(body)[1];
      for (let name = 0; name < 2; name++) {
        const [length, start] = readLeb(p);
        p = start + length;
      }
      if (bytes[p] !== 0x02 || bytes[p + 1] !== 0x00) throw new Error('the module does not import an unshared memory first');
      const [pages, after] = readLeb(p + 2);
      const section = [...bytes.subarray(body, p + 1), 0x03, ...leb(pages), ...leb(maxPages), ...bytes.subarray(after, body + size)];
      return Uint8Array.from([...bytes.subarray(0, at), 2, ...leb(section.length), ...section, ...bytes.subarray(body + size)]);
    }
    at = body + size;
  }
  throw new Error('the module has no import section');
}

/**
 * A hash of everything the bytes come from: this folder's and core/'s code (more than the
 * generator needs, never less) and the versions of wasmcurves and wasmbuilder.
 */
function generatorFingerprint(): string {
  const hash = createHash('sha256');
  const extension = path.extname(here);
  for (const folder of [path.dirname(here), path.join(path.dirname(here), '..', 'core')]) {
    for (const name of readdirSync(folder).filter((n) => n.endsWith(extension)).sort()) {
      hash.update(name).update(readFileSync(path.join(folder, name)));
    }
  }
  for (const dependency of ['wasmcurves', 'wasmbuilder']) hash.update(readFileSync(packageJsonOf(dependency)));
  return hash.digest('hex').slice(0, 32);
}

/** A dependency's package.json (they do not all export it), from the folder of its entry point up. */
function packageJsonOf(name: string): string {
  for (let folder = path.dirname(require.resolve(name)); ; folder = path.dirname(folder)) {
    const file = path.join(folder, 'package.json');
    if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).name === name) return file;
    if (path.dirname(folder) === folder) throw new Error(`the package.json of ${name} was not found`);
  }
}
