/**
 * NumPy's .npy files (format versions 1 to 3): a magic string, a header dict with the dtype,
 * order and shape, then the raw array. Enough to read a batch of model inputs saved with
 * `numpy.save`; anything else is refused with what was found.
 */
import { InputError } from '../../core/errors.js';

export interface NpyArray {
  shape: number[];
  data: Float64Array;
}

const MAGIC = '\x93NUMPY';

const READERS: Record<string, { bytes: number; read: (view: DataView, at: number) => number }> = {
  '<f4': { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  '<f8': { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  '|u1': { bytes: 1, read: (v, at) => v.getUint8(at) },
  '<u1': { bytes: 1, read: (v, at) => v.getUint8(at) },
  '|i1': { bytes: 1, read: (v, at) => v.getInt8(at) },
  '<i4': { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  '<i8': { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
};

export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (problem: string): never => {
    throw new InputError(`${file}: ${problem}`);
  };
  if (bytes.length < 10 || String.fromCharCode(...bytes.subarray(0, 6)) !== MAGIC) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`.npy format version ${major} is not supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) fail('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) fail('malformed header');
  if (fortran === 'True') fail('Fortran-ordered arrays are not supported (save with C order)');
  const reader = READERS[descr!] ?? fail(`dtype '${descr}' is not supported (float32, float64, uint8, int8, int32, int64)`);
  const shape = shapeText!
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d.length > 0)
    .map((d) => (/^\d+$/.test(d) ? Number(d) : fail(`bad shape entry '${d}'`)));
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (bytes.length - dataStart !== count * reader.bytes) {
    fail(`its shape (${shape.join(', ')}) needs ${count * reader.bytes} data bytes, found ${bytes.length - dataStart}`);
  }
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, dataStart + i * reader.bytes);
  return { shape, data };
}
