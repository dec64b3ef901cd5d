/**
 * Fashion-MNIST as installed by Debian's dataset-fashion-mnist package, and the one preprocessing
 * that training, calibration and the demo share: if they differed, the quantized model would be
 * calibrated on numbers it never sees.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ArtifactError, ZkinferError } from '../../core/errors.js';
import { readIdx } from './idx.js';

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export type FashionMnistSplit = 'train' | 'test';

export interface FashionMnist {
  /** `count` images of 28x28 bytes, row-major, one after another. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: 28;
  cols: 28;
}

export type InputSize = 28 | 14;

/** How `toModelInput` maps an image to numbers, in words, for model metadata and docs. */
export const PREPROCESSING: Record<InputSize, string> = {
  28: '28x28: pixel/255',
  14: '14x14: mean of 2x2 blocks of pixel/255',
};

/** Every value toModelInput gives lies in this range (pixels / 255, or means of them): the model's input range. */
export const MODEL_INPUT_RANGE: [number, number] = [0, 1];

const PIXELS = 28 * 28;
const PREFIX: Record<FashionMnistSplit, string> = { train: 'train', test: 't10k' };
const INSTALL_HINT = 'install it with `apt-get install dataset-fashion-mnist`, or pass the directory that holds the IDX files';

function missing(message: string, dir: string): ZkinferError {
  return new ZkinferError('DATA_MISSING', `${message}; ${INSTALL_HINT}`, { details: { dir } });
}

// The Debian package ships gzip files; unpacked copies (as some mirrors have them) work too.
async function findFile(dir: string, base: string): Promise<string> {
  for (const name of [`${base}.gz`, base]) {
    const file = path.join(dir, name);
    try {
      await fs.access(file);
      return file;
    } catch {
      // try the next name
    }
  }
  throw missing(`Fashion-MNIST file ${base}.gz not found in ${dir}`, dir);
}

export async function loadFashionMnist(split: FashionMnistSplit, dir: string = DEFAULT_FASHION_MNIST_DIR): Promise<FashionMnist> {
  try {
    await fs.access(dir);
  } catch {
    throw missing(`Fashion-MNIST directory ${dir} not found`, dir);
  }
  const imagesFile = await findFile(dir, `${PREFIX[split]}-images-idx3-ubyte`);
  const labelsFile = await findFile(dir, `${PREFIX[split]}-labels-idx1-ubyte`);
  const [images, labels] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);

  const [count, rows, cols] = images.dims;
  if (images.dims.length !== 3 || rows !== 28 || cols !== 28) {
    throw new ArtifactError('ARTIFACT_INVALID', `${imagesFile}: expected images of shape [n, 28, 28], found [${images.dims.join(', ')}]`, imagesFile);
  }
  if (labels.dims.length !== 1) {
    throw new ArtifactError('ARTIFACT_INVALID', `${labelsFile}: expected a 1-D array of labels, found shape [${labels.dims.join(', ')}]`, labelsFile);
  }
  if (labels.dims[0] !== count) {
    throw new ArtifactError('ARTIFACT_INVALID', `${split} split: ${count} images in ${imagesFile} but ${labels.dims[0]} labels in ${labelsFile}`, labelsFile);
  }
  const bad = labels.data.findIndex((label) => label >= FASHION_MNIST_LABELS.length);
  if (bad >= 0) {
    throw new ArtifactError('ARTIFACT_INVALID', `${labelsFile}: label ${labels.data[bad]} at index ${bad} is not a class (0..9)`, labelsFile);
  }
  return { images: images.data, labels: labels.data, count: count!, rows: 28, cols: 28 };
}

/**
 * Image `index` of `images` as model input, row-major in [0, 1]: 28x28 is pixel/255; 14x14 is the
 * mean of each 2x2 block divided by 255, which keeps small models' input layers small.
 */
export function toModelInput(images: Uint8Array, index: number, size: InputSize): Float32Array {
  const count = Math.floor(images.length / PIXELS);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ZkinferError('INPUT_INVALID', `image index ${index} is out of range: there are ${count} images`);
  }
  const image = images.subarray(index * PIXELS, (index + 1) * PIXELS);
  if (size === 28) return Float32Array.from(image, (pixel) => pixel / 255);
  if (size !== 14) throw new ZkinferError('INPUT_INVALID', `input size ${size as number} is not 28 or 14`);
  const out = new Float32Array(14 * 14);
  for (let r = 0; r < 14; r++) {
    for (let c = 0; c < 14; c++) {
      const top = 2 * r * 28 + 2 * c;
      const sum = image[top]! + image[top + 1]! + image[top + 28]! + image[top + 29]!;
      out[r * 14 + c] = sum / 4 / 255;
    }
  }
  return out;
}
