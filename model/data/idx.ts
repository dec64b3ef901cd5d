/**
 * Reader for IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a data-type byte,
 * a dimension count, that many big-endian uint32 sizes, then the values in row-major order.
 * Files are read whole (the largest, Fashion-MNIST train images, is 47 MB unpacked).
 */
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ArtifactError, ZkinferError, messageOf } from '../../core/errors.js';

const gunzipAsync = promisify(gunzip);

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const DTYPE_UBYTE = 0x08;

// Only unsigned bytes are needed (images and labels); the other IDX types are named for the error message.
const DTYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function invalid(file: string, message: string, cause?: unknown): ArtifactError {
  return new ArtifactError('ARTIFACT_INVALID', `IDX file ${file}: ${message}`, file, cause === undefined ? {} : { cause });
}

async function readBytes(file: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ZkinferError('DATA_MISSING', `IDX file not found: ${file}`, { details: { path: file } });
    throw invalid(file, `cannot read: ${messageOf(error)}`, error);
  }
  if (!isGzip(raw)) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (error) {
    throw invalid(file, `corrupt gzip data: ${messageOf(error)}`, error);
  }
}

/** Parse IDX bytes already in memory; `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw invalid(file, `too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw invalid(file, `bad magic number 0x${magic} (an IDX file starts with two zero bytes)`);
  }
  const dtype = bytes[2]!;
  if (dtype !== DTYPE_UBYTE) {
    const name = DTYPE_NAMES[dtype] ?? 'unknown';
    throw invalid(file, `data type 0x${dtype.toString(16).padStart(2, '0')} (${name}) is not supported; only unsigned byte (0x08) is`);
  }
  const rank = bytes[3]!;
  if (rank === 0) throw invalid(file, 'has zero dimensions');
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw invalid(file, `truncated header: ${rank} dimensions need ${headerLength} bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < rank; i++) {
    const size = view.getUint32(4 + 4 * i, false);
    dims.push(size);
    expected *= size;
  }
  // Beyond this no file could be read into memory anyway, and the product stops being exact.
  if (expected > Number.MAX_SAFE_INTEGER) throw invalid(file, `dimensions [${dims.join(', ')}] are implausibly large`);
  const found = bytes.length - headerLength;
  if (found !== expected) {
    const what = found < expected ? 'truncated' : 'has trailing bytes';
    throw invalid(file, `${what}: dimensions [${dims.join(', ')}] need ${expected} data bytes, found ${found}`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLength, expected) };
}

/** Read an IDX file, gzip-compressed or plain (told apart by the gzip magic bytes). */
export async function readIdx(file: string): Promise<IdxArray> {
  return parseIdx(await readBytes(file), file);
}
