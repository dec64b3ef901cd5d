/**
 * Calibration and held-out data in every form users have it: JSON, .npy, a folder of input files,
 * an IDX folder; each refused clearly when it does not fit the model.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FASHION_MNIST_DIR, toModelInput, loadFashionMnist } from '../../model/data/fashion-mnist.js';
import { loadDataset } from '../../model/data/datasets.js';
import { parseNpy } from '../../model/data/npy.js';

/** A .npy file as numpy.save writes it (format 1.0). */
function npy(descr: string, shape: number[], data: ArrayBufferView, fortran = false): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-data-'));
}

describe('loadDataset', () => {
  it('reads a JSON file with inputs and labels, and a bare JSON array', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'a.json'), JSON.stringify({ inputs: [[0, 1], [1, 0]], labels: [1, 0] }));
    await fs.writeFile(path.join(dir, 'b.json'), JSON.stringify([[[0.5, 0.25]]]));
    expect(await loadDataset(path.join(dir, 'a.json'), [2])).toMatchObject({ inputs: [[0, 1], [1, 0]], labels: [1, 0] });
    expect((await loadDataset(path.join(dir, 'b.json'), [1, 2])).inputs).toEqual([[0.5, 0.25]]);
  });

  it('reads float32, float64 and uint8 .npy arrays, and refuses what does not fit', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'f4.npy'), npy('<f4', [2, 3], Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5])));
    await fs.writeFile(path.join(dir, 'f8.npy'), npy('<f8', [1, 3], Float64Array.from([0.25, 0.5, 0.75])));
    await fs.writeFile(path.join(dir, 'u1.npy'), npy('|u1', [1, 1, 3], Uint8Array.from([1, 2, 3])));
    expect((await loadDataset(path.join(dir, 'f4.npy'), [3])).inputs).toEqual([[0, 0.5, 1], [1.5, 2, 2.5]]);
    expect((await loadDataset(path.join(dir, 'f8.npy'), [3])).inputs).toEqual([[0.25, 0.5, 0.75]]);
    expect((await loadDataset(path.join(dir, 'u1.npy'), [3])).inputs).toEqual([[1, 2, 3]]);
    await expect(loadDataset(path.join(dir, 'f4.npy'), [4])).rejects.toThrow(/shape \(2, 3\) is not \(samples, 4\)/);
    expect(() => parseNpy(npy('<c8', [1, 1], Float64Array.from([1])), 'c.npy')).toThrow(/dtype '<c8' is not supported/);
    expect(() => parseNpy(npy('<f4', [2, 2], Float32Array.from([1, 2, 3, 4]), true), 'f.npy')).toThrow(/Fortran-ordered/);
    expect(() => parseNpy(npy('<f4', [2, 2], Float32Array.from([1, 2, 3])), 't.npy')).toThrow(/needs 16 data bytes, found 12/);
    expect(() => parseNpy(Buffer.from('not numpy at all'), 'x.npy')).toThrow(/not a \.npy file/);
  });

  it('reads a folder of input files in name order, with labels when every file has one', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'b.json'), JSON.stringify({ input: [1, 1], label: 2 }));
    await fs.writeFile(path.join(dir, 'a.json'), JSON.stringify({ input: [0, 0], label: 1 }));
    await fs.writeFile(path.join(dir, 'notes.txt'), 'ignored');
    expect(await loadDataset(dir, [2])).toMatchObject({ inputs: [[0, 0], [1, 1]], labels: [1, 2] });
    await fs.writeFile(path.join(dir, 'c.json'), JSON.stringify({ input: [1] }));
    await expect(loadDataset(dir, [2])).rejects.toThrow(/c\.json: input must have 2 entries, found 1/);
  });

  it('reads an IDX folder preprocessed to the model input, shuffled train or ordered test, with labels', async () => {
    const test = await loadFashionMnist('test');
    const data = await loadDataset(DEFAULT_FASHION_MNIST_DIR, [196], { split: 'test', limit: 5 });
    expect(data.inputs).toEqual(Array.from({ length: 5 }, (_, i) => Array.from(toModelInput(test.images, i, 14))));
    expect(data.labels).toEqual(Array.from(test.labels.subarray(0, 5)));
    const train = await loadDataset(DEFAULT_FASHION_MNIST_DIR, [28, 28, 1], { limit: 3, seed: 7 });
    expect(train.inputs).toHaveLength(3);
    expect(train.inputs[0]).toHaveLength(784);
    expect(train.source).toMatch(/train, 3 of 60000 images, shuffled with seed 7/);
    await expect(loadDataset(DEFAULT_FASHION_MNIST_DIR, [10])).rejects.toThrow(/IDX images are 28x28.*the model takes 10 values/);
  });

  it('refuses missing data and labels that do not match the inputs', async () => {
    const dir = await tempDir();
    await expect(loadDataset(path.join(dir, 'nothing.json'), [2])).rejects.toThrow(/data not found/);
    await fs.writeFile(path.join(dir, 'bad.json'), JSON.stringify({ inputs: [[0, 1]], labels: [1, 2] }));
    await expect(loadDataset(path.join(dir, 'bad.json'), [2])).rejects.toThrow(/"labels" must be 1 non-negative integers/);
  });
});
