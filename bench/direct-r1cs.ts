/**
 * Measures the direct R1CS path (circuits/direct) on a zoo model: the CPU time and peak memory of
 * building its constraint system from the plan and writing it (.r1cs, .sym, witness generator),
 * and optionally circom's own compile of the same circuit, compared constraint by constraint. A
 * developer's measurement for docs/ARCHITECTURE.md, run one model per process so that each peak
 * is its own:
 *   node -e "import('./dist/bench/direct-r1cs.js').then((m) => m.measureDirectR1cs('lenet_28_6_16_120_84_10', true))"
 *   node -e "import('./dist/bench/direct-r1cs.js').then((m) => m.measureRandomVgg())"
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDirectR1cs, recordDirectCircuit } from '../circuits/direct/build.js';
import { writeDirectCircuit, writeDirectWitnessGenerator } from '../circuits/direct/write.js';
import { DEFAULT_VISIBILITY } from '../circuits/visibility.js';
import { seededRandom } from '../core/random.js';
import type { FloatLayer, FloatModel } from '../model/float.js';
import { resolvePadding } from '../model/geometry.js';
import type { QModel } from '../model/ir.js';
import { quantizeModel } from '../model/quantize/index.js';
import { compareR1cs, symbolNames } from '../circuits/direct/compare.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../circuits/emit/index.js';
import { compileCircom } from '../circuits/compile.js';
import { readR1cs } from '../circuits/r1cs.js';
import type { Visibility } from '../circuits/visibility.js';
import { readQModel } from '../pipeline/artifacts.js';
import { zooModelPath } from '../pipeline/demo.js';
import { quantizeStep } from '../pipeline/quantize.js';
import { peakRssOf, resetPeakRss } from './memory.js';

const VISIBILITY: Visibility = { input: 'private', output: 'public', params: 'fixed' };

export interface DirectMeasure {
  model: string;
  constraints: number;
  wires: number;
  directCpuMs: number;
  /** The process's peak RSS while building (after quantizing), bytes. */
  directPeakBytes?: number;
  circom?: { cpuMs?: number; peakBytes?: number; constraints: number; difference: string | undefined };
}

export async function measureDirectR1cs(name: string, compare = false): Promise<DirectMeasure> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `zkinfer-direct-${name}-`));
  try {
    await quantizeStep({ model: zooModelPath(name), out: dir });
    const model = await readQModel(dir);
    await resetPeakRss();
    const cpu = process.cpuUsage();
    const direct = buildDirectR1cs(model, VISIBILITY);
    const used = process.cpuUsage(cpu);
    const measure: DirectMeasure = { model: name, constraints: direct.constraints.length, wires: direct.names.length, directCpuMs: (used.user + used.system) / 1000 };
    const peak = await peakRssOf('self');
    if (peak !== undefined) measure.directPeakBytes = peak;
    if (compare) {
      const compiled = await compileCircom(emitCircuit(model, VISIBILITY).source, path.join(dir, 'circom'), { includes: CIRCUIT_INCLUDES });
      const r1cs = await readR1cs(compiled.files.r1cs);
      const names = symbolNames(await fs.readFile(compiled.files.sym, 'utf8'));
      measure.circom = { constraints: r1cs.constraints.length, difference: compareR1cs(direct, { names, constraints: r1cs.constraints }) };
      if (compiled.cpuMs !== undefined) measure.circom.cpuMs = compiled.cpuMs;
      if (compiled.peakMemoryBytes !== undefined) measure.circom.peakBytes = compiled.peakMemoryBytes;
    }
    console.log(JSON.stringify(measure));
    return measure;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The direct build and its files, of a model in this process: constraints, CPU and peak RSS (from a reset, with the model loaded). */
export async function measureDirectCompile(model: QModel, visibility: Visibility = DEFAULT_VISIBILITY): Promise<DirectMeasure> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-direct-measure-'));
  try {
    await resetPeakRss();
    const cpu = process.cpuUsage();
    const { r1cs, program } = recordDirectCircuit(model, visibility);
    await writeDirectCircuit(r1cs, { r1cs: path.join(dir, 'model.r1cs'), sym: path.join(dir, 'model.sym') });
    await writeDirectWitnessGenerator(path.join(dir, 'model.witness.bin'), model, visibility, r1cs, program);
    const used = process.cpuUsage(cpu);
    const measure: DirectMeasure = { model: model.name, constraints: r1cs.constraints.length, wires: r1cs.names.length, directCpuMs: (used.user + used.system) / 1000 };
    const peak = await peakRssOf('self');
    if (peak !== undefined) measure.directPeakBytes = peak;
    console.log(JSON.stringify(measure));
    return measure;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * A VGG-style CNN on 28×28×1 with random weights (about 270k parameters: two 3×3 'same'
 * convolutions of 16 channels, a max pool, two of 32, a max pool, dense 1568→160→10), quantized
 * with random calibration inputs: the size of model the direct path is for, without training one.
 */
export function randomVggModel(seed = 1): QModel {
  const next = seededRandom(seed);
  const uniform = (n: number, limit: number) => Float64Array.from({ length: n }, () => (next() * 2 - 1) * limit);
  let shape: [number, number, number] = [28, 28, 1];
  const layers: FloatLayer[] = [];
  const conv = (filters: number) => {
    const rowLength = 9 * shape[2];
    const { padding, outHW } = resolvePadding(shape, [3, 3], [1, 1], 'same');
    const outShape: [number, number, number] = [outHW[0], outHW[1], filters];
    layers.push({ kind: 'conv2d', name: `conv_${layers.length}`, inShape: shape, outShape, kernel: [3, 3], strides: [1, 1], padding, groups: 1, weights: uniform(rowLength * filters, Math.sqrt(6 / (rowLength + filters))), bias: uniform(filters, 0.1), activation: { kind: 'relu' } });
    shape = outShape;
  };
  const pool = () => {
    const outShape: [number, number, number] = [shape[0] / 2, shape[1] / 2, shape[2]];
    layers.push({ kind: 'pool', name: `pool_${layers.length}`, op: 'max', inShape: shape, outShape, pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] });
    shape = outShape;
  };
  const dense = (inputSize: number, units: number, last: boolean) =>
    layers.push({ kind: 'dense', name: `dense_${layers.length}`, inputSize, units, kernel: uniform(inputSize * units, Math.sqrt(6 / (inputSize + units))), bias: uniform(units, 0.1), activation: last ? { kind: 'softmax' } : { kind: 'relu' } });
  conv(16);
  conv(16);
  pool();
  conv(32);
  conv(32);
  pool();
  const flat = shape[0] * shape[1] * shape[2];
  layers.push({ kind: 'reshape', name: 'flatten', className: 'Flatten', outputShape: [flat] });
  dense(flat, 160, false);
  dense(160, 10, true);
  const float: FloatModel = { name: 'random_vgg_28', inputShape: [28, 28, 1], layers };
  const calibration = Array.from({ length: 8 }, () => Float64Array.from({ length: 784 }, () => next()));
  return quantizeModel(float, { calibration }).model;
}

export async function measureRandomVgg(): Promise<DirectMeasure> {
  return measureDirectCompile(randomVggModel());
}
