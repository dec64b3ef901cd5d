/**
 * How the benchmark reports a model it cannot finish: 'failed', with the error's code and message
 * (a layer zkinfer refuses is a failure like any other: every zoo model must go through). And its
 * summaries and tables.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchModel } from '../../bench/model.js';
import { median, spreadOf } from '../../bench/stats.js';
import { formatSpread } from '../../bench/format.js';
import { renderMarkdown } from '../../bench/markdown.js';
import { benchTable, notesOf, setupTable, throughputTable } from '../../bench/report.js';
import type { BenchResult } from '../../bench/run.js';
import { type ThroughputResult, coldToWarmRatio, nonMsmShare } from '../../bench/throughput.js';
import type { ModelBench } from '../../bench/types.js';
import { integerListOption } from '../../cli/options.js';
import { loadTf } from '../../model/load/backend.js';
import { saveLayersModel } from '../../zoo/layers-model.js';

const context = (dir: string) => ({ test: { inputs: [new Float32Array(16).fill(0.5)], labels: Uint8Array.of(0) }, samples: 1, dir });

async function writeModel(activation: 'mish' | 'relu'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-unit-'));
  const { tf } = await loadTf();
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation, inputShape: [16] }), tf.layers.dense({ units: 4, activation: 'softmax' })] });
  await saveLayersModel(model, dir);
  model.dispose();
  return dir;
}

describe('benchModel', () => {
  it("reports a model with a layer zkinfer cannot prove as 'failed' with MODEL_UNSUPPORTED and the loader's reason", async () => {
    const modelDir = await writeModel('mish');
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-out-'));
    const result = await benchModel({ name: 'mish_mlp', architecture: '16 → Dense 8 mish → Dense 4 softmax', modelDir }, context(out));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MODEL_UNSUPPORTED');
    expect(result.error?.message).toMatch(/mish/);
    expect(result.parameters).toBe(16 * 8 + 8 + 8 * 4 + 4);
    expect(result.accuracy).toBeUndefined();
    expect(result.constraints).toBeUndefined();
  });

  it("reports any other error as 'failed' with its code", async () => {
    const modelDir = await writeModel('relu');
    await fs.writeFile(path.join(modelDir, 'weights.bin'), Buffer.alloc(12)); // truncated weights
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bench-out-'));
    const result = await benchModel({ name: 'broken', architecture: '', modelDir }, context(out));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MODEL_INVALID');
    expect(result.error?.message).toMatch(/weights/);
  });
});

describe('summaries', () => {
  it('takes the median of odd and even counts, and the spread', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spreadOf([])).toBeUndefined();
    expect(spreadOf([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, count: 3 });
    expect(formatSpread(spreadOf([900, 1500, 1000]))).toBe('1.00 s (900 ms–1.50 s)');
    expect(formatSpread(spreadOf([42]))).toBe('42 ms');
  });
});

describe('tables', () => {
  const ok: ModelBench = { name: 'a', architecture: '', status: 'ok', dir: '/a', accuracy: { testImages: 10_000, float: 0.8525, quantized: 0.8521 } };
  const failed: ModelBench = { name: 'b', architecture: '', status: 'failed', dir: '/b', error: { code: 'CIRCUIT', message: 'circom failed: out of memory' } };
  const result = { models: [ok, failed], setup: [] } as unknown as BenchResult;

  it('shows a failed model as FAILED with its code, dashes for what it did not measure, and a note with the message', () => {
    const { headers, rows } = benchTable(result);
    expect(headers).toEqual(['measure', 'a', 'b']);
    const row = (label: string) => rows.find((r) => r[0] === label)!;
    expect(row('status')).toEqual(['status', 'ok', 'FAILED (CIRCUIT)']);
    expect(row('quantized − float')).toEqual(['quantized − float', '−0.04 points', '-']);
    expect(row('constraints')).toEqual(['constraints', '-', '-']);
    expect(rows.every((r) => r.length === 3)).toBe(true);
    expect(notesOf(result)).toEqual(['b: FAILED (CIRCUIT): circom failed: out of memory']);
  });

  it("shows zkinfer's prover against snarkjs's as the CPU ratio, both times and the load", () => {
    const partsMs = { msmA: 1, msmB1: 1, msmB2: 1, msmC: 1, msmH: 1, fft: 1, qap: 1, finish: 1 };
    const measured: ModelBench = { ...ok, againstSnarkjs: { proofs: 2, zkinferCpuMs: 3554, snarkjsCpuMs: 11961, ratio: 3554 / 11961, partsMs, precomputed: 'none', loadAverages: [11, 13] } };
    const { rows } = benchTable({ models: [measured, failed], setup: [] } as unknown as BenchResult);
    expect(rows.find((r) => r[0]!.startsWith('prove on 1 thread'))!.slice(1)).toEqual(['0.30 (3.55 s / 11.96 s, load 12.0)', '-']);
  });

  it('lays the setup comparison out one row per size, snarkjs only where it was measured', () => {
    const { headers, rows } = setupTable([
      { power: 12, constraints: 4093, dev: { ms: 1300, zkeyBytes: 2_000_000 }, snarkjs: { ptauMs: 130_000, keyMs: 9000 } },
      { power: 16, constraints: 65_533, dev: { ms: 7500, zkeyBytes: 32_000_000 } },
    ]);
    expect(headers).toHaveLength(7);
    expect(rows).toEqual([
      ['2^12', '4,093', '1.30 s', '1953 KiB', '2.2 min', '9.00 s', '2.3 min'],
      ['2^16', '65,533', '7.50 s', '31 MiB', '-', '-', '-'],
    ]);
  });
});

describe('renderMarkdown', () => {
  const machine = { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 34, node: 'v20.0.0', platform: 'Linux', loadAverage: { start: 3, end: 5, min: 3, max: 6, mean: 4.5 } };
  const model: ModelBench = { name: 'a', architecture: 'A', status: 'ok', dir: '/a', constraints: 2727 };
  const result = (complete: boolean): BenchResult => ({
    date: '2026-01-01T00:00:00.000Z', machine, versions: { zkinfer: '0.1.0', snarkjs: 'snarkjs@0.7.6' }, samples: 10, testImages: 10_000, dir: '/tmp/x',
    complete, plannedModels: ['a', 'b'], setup: [], models: [model], ms: 1000,
  });

  it('says which models a report written part way lacks, and nothing of the kind when the run is complete', () => {
    expect(renderMarkdown(result(false), { command: 'zkinfer bench' })).toContain('- Partial run, written part way: not measured (yet): b; the setup comparison not (yet) run.');
    expect(renderMarkdown(result(true), { command: 'zkinfer bench' })).not.toContain('Partial run');
  });

  it('states the machine, its load over the run, and that other work skews the times', () => {
    const markdown = renderMarkdown(result(true), { command: 'zkinfer bench' });
    expect(markdown).toContain('Test CPU, 2 cores, 16.0 GiB memory, Node v20.0.0, Linux; 1-minute load average 3.00 at start, 5.00 at end; over the run 3.00–6.00, mean 4.50');
    expect(markdown).toMatch(/Other work ran on the machine/);
    expect(markdown).toContain('| constraints | 2,727 |');
  });
});

describe('integerListOption', () => {
  const parse = integerListOption('--setup-powers', 4, 20);
  it("reads a comma-separated list, or 'none' as an empty one", () => {
    expect(parse('12, 16,18')).toEqual([12, 16, 18]);
    expect(parse('none')).toEqual([]);
  });
  it('refuses a value out of range or not an integer, naming the option and the value', () => {
    expect(() => parse('12,30')).toThrow("--setup-powers must be an integer in 4..20, found '30'");
    expect(() => parse('12,x')).toThrow("--setup-powers must be an integer in 4..20, found 'x'");
    expect(() => parse('')).toThrow(/found ''/);
  });
});

describe('nonMsmShare', () => {
  it("is the share of the pool's CPU time per proof spent outside the five MSMs", () => {
    expect(nonMsmShare(100, 150)).toBeCloseTo(1 / 3, 12);
    expect(nonMsmShare(48, 101)).toBeCloseTo(53 / 101, 12);
  });

  it('gives no share when the MSMs alone took at least the whole proof, or a measure is missing', () => {
    // The run of issue 22: a floor of 216 ms (wall time, under load) against the pool's 153 ms of CPU per proof once read as 0 %.
    expect(nonMsmShare(216, 153)).toBeUndefined();
    expect(nonMsmShare(153, 153)).toBeUndefined();
    for (const [msm, pool] of [[0, 150], [-5, 150], [Number.NaN, 150], [100, 0], [100, Number.NaN], [100, Number.POSITIVE_INFINITY]]) {
      expect(nonMsmShare(msm!, pool!), `${msm} of ${pool}`).toBeUndefined();
    }
  });
});

describe('the cold CLI against the warm pool (issue 20: at most 2 times its CPU per proof)', () => {
  it("is the cold path's CPU per proof over the pool's, when both were measured", () => {
    // bench/RESULTS.md before issue 20's work: 1313 ms cold against 152 ms warm.
    expect(coldToWarmRatio(1313, 152)).toBeCloseTo(8.638, 3);
    expect(coldToWarmRatio(300, 150)).toBe(2);
    for (const [cold, warm] of [[Number.NaN, 152], [0, 152], [1313, 0], [1313, Number.NaN], [Number.POSITIVE_INFINITY, 152], [-1, 152]]) {
      expect(coldToWarmRatio(cold!, warm!), `${cold} over ${warm}`).toBeUndefined();
    }
  });

  it("shows the ratio in the cold row's CPU cell, with the target and whether it is met", () => {
    const measure = (proofs: number, cpuMsPerProof: number) => ({ proofs, seconds: proofs, proofsPerMinute: 60, cpuMsPerProof });
    const result = {
      model: 'mlp_196_25_10',
      constraints: 2727,
      domainSize: 4096,
      wires: 2693,
      zkeyBytes: 1,
      machine: { cores: 2, totalMemoryBytes: 1, loadAverageBefore: [1, 1, 1], loadAverageAfter: [1, 1, 1] },
      pool: { ...measure(60, 152), size: 2, threadsPerWorker: 1, warmupSeconds: 3, witnessMsMean: 11, proveMsMean: 142, workerPeakRssBytes: [1], verified: 60 },
      plainLoop: { ...measure(60, 691), peakRssBytes: 1 },
      cold: { ...measure(3, 1313), secondsEach: [1, 1, 1], cpuRatioToWarm: 1313 / 152 },
      constraintsPerSecond: 1,
      msm: { points: { a: 1, b1: 1, b2: 1, c: 1, h: 1 }, ms: 95, proofMs: 116, ffjavascriptMs: 273 },
    } satisfies ThroughputResult;
    const coldRow = (r: ThroughputResult) => throughputTable(r).rows.find((row) => row[0]!.startsWith('cold CLI'))!;
    expect(coldRow(result).at(-1)).toBe('1313 ms (8.6× warm; target ≤ 2×: not met)');
    expect(coldRow({ ...result, cold: { ...result.cold, cpuMsPerProof: 290, cpuRatioToWarm: 290 / 152 } }).at(-1)).toBe('290 ms (1.9× warm; target ≤ 2×: met)');
    // Without a ratio (the children's CPU unreadable), the cell is the CPU alone.
    const { cpuRatioToWarm: _, ...unmeasured } = result.cold;
    expect(coldRow({ ...result, cold: { ...unmeasured, cpuMsPerProof: Number.NaN } }).at(-1)).toBe('-');
    expect(throughputTable(result).rows[0]!.at(-1)).toBe('152 ms');
  });
});
