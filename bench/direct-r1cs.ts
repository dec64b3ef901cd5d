/**
 * Measures the direct R1CS path (circuits/direct) on a zoo model: the CPU time and peak memory of
 * building its constraint system from the plan, and optionally circom's own compile of the same
 * circuit, compared constraint by constraint. A developer's measurement for docs/ARCHITECTURE.md,
 * run one model per process so that each peak is its own:
 *   node -e "import('./dist/bench/direct-r1cs.js').then((m) => m.measureDirectR1cs('lenet_28_6_16_120_84_10', true))"
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDirectR1cs } from '../circuits/direct/build.js';
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
