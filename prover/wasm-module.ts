/**
 * The prover's WebAssembly: ffjavascript's bn128 module, built from its source (wasmcurves, with
 * wasmbuilder) rather than taken prebuilt, so that the prover's own functions go into the same
 * module and call its field arithmetic directly: the batch-affine additions of prover/msm.ts, the
 * FFT of prover/fft.ts and the pairing check of prover/pairing-kernels.ts. Building it takes a
 * quarter second, so `npm run build` builds it once and ships it in dist/ beside this file (see
 * proverModule for why there and not in a cache).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addFft } from './fft.js';
import { addBatchAddAffine } from './msm-kernels.js';
import { addFields29 } from './field29.js';
import { addG2 } from './g2-kernels.js';
import { addPairing } from './pairing-kernels.js';
import { addPoseidon } from './poseidon-kernels.js';
import { addQap } from './qap.js';
import type { ThreadModules } from './platform.js';
import { SHARED_MAX_PAGES, staticStride, withSharedMemory } from './wasm-threads.js';

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
  i32_ge_s(a: Code, b: Code): Code;
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
export function proverModuleBytes(): Uint8Array<ArrayBuffer> {
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
  addPairing(module);
  addG2(module);
  addBatchAddAffine(module);
  addQap(module);
  addFft(module);
  addPoseidon(module);
  return { bytes: Uint8Array.from(module.build()) };
}

const threadModules: WebAssembly.Module[] = [];
let threadStride: number | undefined;

/** The modules of `count` threads sharing one memory, compiled once per process (see prover/wasm-threads.ts). */
export function proverThreadModules(count: number): ThreadModules {
  for (let k = threadModules.length; k < count; k++) threadModules.push(new WebAssembly.Module(proverThreadModuleBytes(k)));
  return { modules: threadModules.slice(0, count), staticEnd: count * threadStride!, maxPages: SHARED_MAX_PAGES };
}

/**
 * The bytes of thread k's module: thread 0's is the shipped module's code, the others are built
 * here (about 0.4 s each), each with its static data at k·stride; all import a shared memory.
 */
export function proverThreadModuleBytes(k: number): Uint8Array<ArrayBuffer> {
  threadStride ??= staticStride(proverModule());
  const bytes = k === 0 ? proverModuleBytes() : buildAt(k * threadStride + FIRST_STATIC).bytes;
  return withSharedMemory(bytes, SHARED_MAX_PAGES);
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
