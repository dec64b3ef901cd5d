/**
 * A proof's threads share one memory, and every function of the prover's module keeps its scratch
 * values at fixed addresses (wasmcurves' and ours, from module.alloc), so two threads running one
 * module on one memory would overwrite each other's: thread k gets a module whose static data
 * starts at k·stride (built by prover/wasm-module.ts under Node, shipped beside the page in a
 * browser), and all of them import the memory as shared. No platform API here: both use it.
 */

export const SHARED_MAX_PAGES = 32767;

/** Where a module's static data ends, rounded up to 4 KiB: the free pointer its instantiation writes at address 0. */
export function staticStride(module: WebAssembly.Module): number {
  const probe = new WebAssembly.Memory({ initial: 32 });
  new WebAssembly.Instance(module, { env: { memory: probe } });
  return Math.ceil(new Uint32Array(probe.buffer, 0, 1)[0]! / 4096) * 4096;
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

