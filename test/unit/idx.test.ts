import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import {
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_LABELS,
  loadFashionMnist,
  toModelInput,
} from '../../model/data/fashion-mnist.js';
import { readIdx } from '../../model/data/idx.js';

/** An IDX file: magic 0x0000, dtype, rank, big-endian dims, then the payload. */
function idxBytes(dims: number[], payload: Uint8Array, dtype = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = dtype;
  header[3] = dims.length;
  dims.forEach((size, i) => header.writeUInt32BE(size, 4 + 4 * i));
  return Buffer.concat([header, payload]);
}

const range = (n: number, f: (i: number) => number = (i) => i) => Uint8Array.from({ length: n }, (_, i) => f(i));

async function rejection(promise: Promise<unknown>): Promise<ZkinferError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ZkinferError);
  return error as ZkinferError;
}

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-idx-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('readIdx', () => {
  it('reads a plain 1-D label file', async () => {
    await fs.writeFile(file('labels-plain'), idxBytes([5], Uint8Array.of(3, 1, 4, 1, 5)));
    const { dims, data } = await readIdx(file('labels-plain'));
    expect(dims).toEqual([5]);
    expect(Array.from(data)).toEqual([3, 1, 4, 1, 5]);
  });

  it('reads a gzipped 3-D image file, big-endian dims and row-major data', async () => {
    // 300 does not fit in a byte, so a little-endian or 1-byte dim read would give a different shape.
    const payload = range(2 * 3 * 300, (i) => (i * 7) % 256);
    await fs.writeFile(file('images.gz'), gzipSync(idxBytes([2, 3, 300], payload)));
    const { dims, data } = await readIdx(file('images.gz'));
    expect(dims).toEqual([2, 3, 300]);
    expect(data.length).toBe(1800);
    expect(Array.from(data)).toEqual(Array.from(payload));
  });

  it('detects gzip by content, not by file name', async () => {
    await fs.writeFile(file('gzipped-without-suffix'), gzipSync(idxBytes([3], Uint8Array.of(9, 8, 7))));
    await fs.writeFile(file('plain-with-suffix.gz'), idxBytes([3], Uint8Array.of(6, 5, 4)));
    expect(Array.from((await readIdx(file('gzipped-without-suffix'))).data)).toEqual([9, 8, 7]);
    expect(Array.from((await readIdx(file('plain-with-suffix.gz'))).data)).toEqual([6, 5, 4]);
  });

  it('rejects a truncated payload, naming the file and expected vs found byte counts', async () => {
    await fs.writeFile(file('truncated.gz'), gzipSync(idxBytes([4, 28, 28], range(4 * 784 - 10))));
    const error = await rejection(readIdx(file('truncated.gz')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toContain(file('truncated.gz'));
    expect(error.message).toContain('truncated');
    expect(error.message).toContain('3136');
    expect(error.message).toContain('3126');
  });

  it('rejects a truncated header', async () => {
    await fs.writeFile(file('short-header'), idxBytes([4, 28, 28], new Uint8Array()).subarray(0, 10));
    const error = await rejection(readIdx(file('short-header')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/truncated header/);
  });

  it('rejects trailing bytes after the payload', async () => {
    await fs.writeFile(file('long'), idxBytes([3], range(4)));
    const error = await rejection(readIdx(file('long')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/need 3 data bytes, found 4/);
  });

  it('rejects a wrong magic number', async () => {
    const bytes = idxBytes([2], Uint8Array.of(1, 2));
    bytes[0] = 0x12;
    await fs.writeFile(file('bad-magic'), bytes);
    const error = await rejection(readIdx(file('bad-magic')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/magic/);
    expect(error.message).toContain(file('bad-magic'));
  });

  it('rejects data types other than unsigned byte', async () => {
    await fs.writeFile(file('floats'), idxBytes([2], new Uint8Array(8), 0x0d));
    const error = await rejection(readIdx(file('floats')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/0x0d \(float32\) is not supported/);
  });

  it('rejects corrupt gzip data', async () => {
    const gz = gzipSync(idxBytes([100], range(100)));
    await fs.writeFile(file('corrupt.gz'), gz.subarray(0, gz.length - 12));
    const error = await rejection(readIdx(file('corrupt.gz')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/gzip/);
  });

  it('reports a missing file as missing data', async () => {
    const error = await rejection(readIdx(file('does-not-exist')));
    expect(error.code).toBe('DATA_MISSING');
  });
});

describe('loadFashionMnist on synthetic files', () => {
  async function writeSplit(at: string, images: number, labels: number, label = (i: number) => i % 10): Promise<void> {
    await fs.mkdir(at, { recursive: true });
    await fs.writeFile(path.join(at, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([images, 28, 28], range(images * 784, (i) => i % 251))));
    await fs.writeFile(path.join(at, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([labels], range(labels, label))));
  }

  it('loads a consistent split', async () => {
    await writeSplit(file('ok'), 3, 3);
    const set = await loadFashionMnist('test', file('ok'));
    expect(set.count).toBe(3);
    expect([set.rows, set.cols]).toEqual([28, 28]);
    expect(set.images.length).toBe(3 * 784);
    expect(Array.from(set.labels)).toEqual([0, 1, 2]);
  });

  it('rejects images and labels that disagree in count', async () => {
    await writeSplit(file('mismatch'), 3, 4);
    const error = await rejection(loadFashionMnist('test', file('mismatch')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/3 images .* but 4 labels/);
  });

  it('rejects labels outside 0..9', async () => {
    await writeSplit(file('bad-label'), 2, 2, (i) => 10 + i);
    const error = await rejection(loadFashionMnist('test', file('bad-label')));
    expect(error.code).toBe('ARTIFACT_INVALID');
    expect(error.message).toMatch(/label 10 at index 0/);
  });

  it('a missing directory is DATA_MISSING with the apt-get hint', async () => {
    const error = await rejection(loadFashionMnist('train', file('no-such-dir')));
    expect(error.code).toBe('DATA_MISSING');
    expect(error.message).toContain(file('no-such-dir'));
    expect(error.message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('a missing file in an existing directory is DATA_MISSING naming the file', async () => {
    await writeSplit(file('only-test'), 1, 1);
    const error = await rejection(loadFashionMnist('train', file('only-test')));
    expect(error.code).toBe('DATA_MISSING');
    expect(error.message).toContain('train-images-idx3-ubyte');
    expect(error.message).toContain('apt-get install dataset-fashion-mnist');
  });
});

describe('toModelInput', () => {
  // Image 1 of 2: pixel (r, c) = 4 * (r * 28 + c) mod 256, so neighbours differ and blocks are distinguishable.
  const pixel = (r: number, c: number) => (4 * (r * 28 + c)) % 256;
  const images = new Uint8Array(2 * 784);
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) images[784 + r * 28 + c] = pixel(r, c);

  it('28x28 is pixel/255, row-major', () => {
    const input = toModelInput(images, 1, 28);
    expect(input.length).toBe(784);
    expect(input[0]).toBe(0);
    expect(input[1]).toBeCloseTo(4 / 255, 7);
    expect(input[28]).toBeCloseTo(pixel(1, 0) / 255, 7);
    expect(input[27 * 28 + 27]).toBeCloseTo(pixel(27, 27) / 255, 7);
  });

  it('14x14 is the mean of each 2x2 block over 255, row-major', () => {
    const input = toModelInput(images, 1, 14);
    expect(input.length).toBe(196);
    for (let r = 0; r < 14; r++) {
      for (let c = 0; c < 14; c++) {
        const mean = (pixel(2 * r, 2 * c) + pixel(2 * r, 2 * c + 1) + pixel(2 * r + 1, 2 * c) + pixel(2 * r + 1, 2 * c + 1)) / 4;
        expect(input[r * 14 + c]).toBeCloseTo(mean / 255, 6);
      }
    }
  });

  it('averages a known 2x2 pattern exactly', () => {
    const one = new Uint8Array(784);
    // Top-left block 0, 255, 255, 255 → 0.75; the block right of it 255, 0, 0, 0 → 0.25.
    one[1] = one[28] = one[29] = 255;
    one[2] = 255;
    const input = toModelInput(one, 0, 14);
    expect(input[0]).toBe(Math.fround(0.75));
    expect(input[1]).toBe(Math.fround(0.25));
    expect(input[14]).toBe(0);
  });

  it('uses the requested image, not the first', () => {
    expect(toModelInput(images, 0, 28).every((v) => v === 0)).toBe(true);
    expect(toModelInput(images, 1, 28).some((v) => v > 0)).toBe(true);
  });

  it('rejects an index out of range', () => {
    expect(() => toModelInput(images, 2, 28)).toThrow(/out of range/);
    expect(() => toModelInput(images, -1, 14)).toThrow(ZkinferError);
  });
});

// CI installs dataset-fashion-mnist, so its absence is a failure here, not a skip.
describe('the installed Fashion-MNIST', () => {
  it('has 10,000 test images, 1,000 of each class', async () => {
    const set = await loadFashionMnist('test', DEFAULT_FASHION_MNIST_DIR);
    expect(set.count).toBe(10_000);
    expect(set.images.length).toBe(10_000 * 784);
    const perClass = new Array<number>(FASHION_MNIST_LABELS.length).fill(0);
    for (const label of set.labels) perClass[label]!++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    // Test image 0 is an ankle boot in every published copy of the dataset.
    expect(FASHION_MNIST_LABELS[set.labels[0]!]).toBe('Ankle boot');
  });
});
