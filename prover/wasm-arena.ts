/**
 * One instance of ffjavascript's bn128 WebAssembly (the code snarkjs's curve runs), with memory we
 * own: a bump allocator over the module's own free pointer, so that its batch functions (which
 * take scratch space from that pointer) find room above our data. Used by the development setup
 * on the main thread (field arithmetic) and in its worker threads (point arithmetic), and by the
 * prover (prover/groth16.ts, on the same module with prover/msm.ts's additions). This file must
 * not import ffjavascript or snarkjs: their thread package crashes off the main thread.
 * Layouts: prover/bn128-layout.ts.
 */

type WasmFunction = (...args: number[]) => number;

const PAGE = 65536;
/** ffjavascript's worker memories stop here (2 GB). */
const MAX_PAGES = 32767;

export class WasmArena {
  private readonly memory: WebAssembly.Memory;
  private readonly exports: Record<string, WasmFunction>;

  private constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    this.memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as Record<string, WasmFunction>;
  }

  /**
   * An instance with memory of its own; or, given `memory` (shared between a proof's threads,
   * prover/threads/), an instance on that memory: instantiating writes the module's static data
   * and its free pointer at address 0 (see prover/wasm-module.ts's proverThreadModules).
   */
  static create(code: Uint8Array<ArrayBuffer> | WebAssembly.Module, memory?: WebAssembly.Memory): WasmArena {
    const module = code instanceof WebAssembly.Module ? code : new WebAssembly.Module(code);
    return new WasmArena(module, memory ?? new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES }));
  }

  /** Move the first free byte up to `end` (above the threads' static data) if it is below. */
  reserveBelow(end: number): void {
    this.ensure(end + (1 << 16));
    if (this.top < end) new Uint32Array(this.memory.buffer, 0, 1)[0] = end;
  }

  /** A function of the module, e.g. fn('frm_mul')(a, b, out). */
  fn(name: string): WasmFunction {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new Error(`the bn128 WebAssembly has no function ${name}`);
    return f;
  }

  /** The first free byte; everything above it is scratch space for the module's own functions. */
  get top(): number {
    return new Uint32Array(this.memory.buffer, 0, 1)[0]!;
  }

  /** Reserve `bytes`, 8-byte aligned. */
  alloc(bytes: number): number {
    const start = Math.ceil(this.top / 8) * 8;
    const end = start + bytes;
    this.ensure(end + (1 << 16));
    new Uint32Array(this.memory.buffer, 0, 1)[0] = end;
    return start;
  }

  /**
   * Make sure `bytes` are free above the last allocation, for the module's batch functions, which
   * take their scratch space there (batchToAffine n field elements, batchInverse n + 1 more).
   */
  scratch(bytes: number): void {
    this.ensure(this.top + bytes + (1 << 16));
  }

  /** Give back everything allocated since `mark` (a value of `top`). */
  release(mark: number): void {
    new Uint32Array(this.memory.buffer, 0, 1)[0] = mark;
  }

  ensure(size: number): void {
    const have = this.memory.buffer.byteLength;
    if (size <= have) return;
    const pages = Math.ceil((size - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`the setup needs more than ${MAX_PAGES * PAGE} bytes of WebAssembly memory`);
    this.memory.grow(pages);
  }

  /** A view of wasm memory; valid until the next allocation (growing detaches it). */
  view(pointer: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, pointer, length);
  }

  /** A copy of wasm memory, safe to keep or transfer. */
  copy(pointer: number, length: number): Uint8Array {
    return this.view(pointer, length).slice();
  }

  write(pointer: number, data: Uint8Array): void {
    this.view(pointer, data.length).set(data);
  }

  /** Overwrite memory that held secrets or values derived from them. */
  wipe(pointer: number, length: number): void {
    this.view(pointer, length).fill(0);
  }
}
