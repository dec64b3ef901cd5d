/**
 * The prover's WebAssembly: ffjavascript's bn128 module, built from its source (wasmcurves, with
 * wasmbuilder) rather than taken prebuilt, so that the prover's own functions go into the same
 * module and call its field arithmetic directly: the batch-affine additions of prover/msm.ts and
 * the FFT of prover/fft.ts. Built once per process (under a second).
 */
import { createRequire } from 'node:module';
import { addFft } from './fft.js';
import { addBatchAddAffine } from './msm.js';
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
let built: WebAssembly.Module | undefined;

export function proverModule(): WebAssembly.Module {
  if (built) return built;
  const { ModuleBuilder } = require('wasmbuilder') as { ModuleBuilder: new () => ModuleBuilder };
  const { buildBn128 } = require('wasmcurves') as { buildBn128: (module: ModuleBuilder) => void };
  const module = new ModuleBuilder();
  module.setMemory(25);
  buildBn128(module);
  addFields29(module);
  addBatchAddAffine(module);
  addFft(module);
  built = new WebAssembly.Module(Uint8Array.from(module.build()));
  return built;
}
