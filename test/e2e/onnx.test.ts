/**
 * An ONNX model through the CLI as a PyTorch user meets it: `inspect` answers for every node before
 * any work, `quantize model.onnx` starts the usual pipeline, an EZKL-style input proves and
 * verifies, and broken or unsupported files get a one-line error with exit 3, no stack trace and
 * no artifacts.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { attr, exportZooOnnx } from '../../zoo/onnx-writer.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { runCli, zkinfer } from '../helpers/node-script.js';
import { buildOnnx, writeOnnx } from '../helpers/onnx.js';

const STACK = /\n\s+at .*:\d+:\d+/;
let folder: string;
let model: string;

beforeAll(async () => {
  // The tiny TF.js model as torch.onnx.export writes it, beside its metadata and calibration data.
  folder = await writeTinyModel();
  const tfjs = await loadTfjsModel(folder);
  model = path.join(folder, 'model.onnx');
  await fs.writeFile(model, exportZooOnnx(tfjs.float, 'torchscript'));
  tfjs.dispose();
});

describe('zkinfer with an ONNX model', () => {
  it('inspect, quantize, compile, setup, then prove and verify an EZKL input.json', async () => {
    const inspected = await zkinfer('inspect', model);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toMatch(/Gemm_0\s+Gemm\s+\[1, 16\] const \[8, 16\] const \[8\]\s+\[1, 8\]\s+supported/);
    expect(inspected.stdout).toMatch(/supported: zkinfer quantize/);
    const dir = path.join(folder, 'artifacts');
    const quantized = await zkinfer('quantize', model, '--out', dir);
    expect(quantized.code, quantized.stderr).toBe(0);
    expect(quantized.stdout).toMatch(/quantized tiny_mlp .* constraints/);
    for (const step of ['compile', 'setup']) {
      const run = await zkinfer(step, dir);
      expect(run.code, run.stderr).toBe(0);
    }
    const { input } = JSON.parse(await fs.readFile(path.join(folder, 'input.json'), 'utf8')) as { input: number[] };
    const ezkl = path.join(folder, 'ezkl-input.json');
    await fs.writeFile(ezkl, JSON.stringify({ input_data: [input] }));
    const proved = await zkinfer('prove', dir, '--input', ezkl, '--out', path.join(folder, 'proof.json'));
    expect(proved.code, proved.stderr).toBe(0);
    const verified = await zkinfer('verify', dir, '--proof', path.join(folder, 'proof.json'), '--input', ezkl);
    expect(verified.code, verified.stderr + verified.stdout).toBe(0);
  }, 600_000);

  it('an unsupported node: inspect lists every node and exits 3; quantize refuses naming node, op type and opset', async () => {
    const file = await buildOnnx(13, (g, random) => {
      const x = g.input('x', ['batch', 4]);
      const y = g.node('Gemm', [x, g.init('w', [1, 4], random(4))], { transB: attr.int(1) })[0];
      g.output(g.node('Selu', [y])[0]);
    });
    const inspected = await zkinfer('inspect', file);
    expect(inspected.code).toBe(3);
    expect(inspected.stdout).toMatch(/Selu_0\s+Selu\s+\[1, 1\]\s+\?\s+unsupported/);
    expect(inspected.stdout).toMatch(/the nonlinear activation Selu is not supported yet/);
    expect(inspected.stderr).not.toMatch(STACK);
    const out = path.join(path.dirname(file), 'never');
    const quantized = await zkinfer('quantize', file, '--out', out);
    expect(quantized.code).toBe(3);
    expect(quantized.stderr).toMatch(/^error: .*model\.onnx: node 1 'Selu_0' \(Selu, opset 13\): the nonlinear activation Selu/);
    expect(quantized.stderr).not.toMatch(STACK);
    await expect(fs.stat(out)).rejects.toThrow();
  });

  it('a binary classifier ending in Sigmoid quantizes to the probability, a table op, with no warning', async () => {
    const file = await buildOnnx(13, (g, random) => {
      const x = g.input('x', ['batch', 4]);
      g.output(g.node('Sigmoid', [g.node('Gemm', [x, g.init('w', [1, 4], random(4))], { transB: attr.int(1) })[0]])[0]);
    });
    // Without --out, the folder is named after the file: artifacts/model beside where it runs.
    const run = await runCli(['quantize', file, '--input-range', '0,1', '--no-calibration'], { cwd: path.dirname(file), timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/warning: the final Sigmoid/);
    const qmodel = JSON.parse(await fs.readFile(path.join(path.dirname(file), 'artifacts', 'model', 'qmodel.json'), 'utf8'));
    expect(qmodel.format).toBe('zkinfer-qmodel/1');
    expect(qmodel.ops.map((o: { kind: string }) => o.kind)).toEqual(['dense', 'table']);
  });

  it('several outputs: refused until --output-name picks one', async () => {
    const file = await buildOnnx(9, (g, random) => {
      const x = g.input('float_input', ['N', 4]);
      const probabilities = g.node('Softmax', [g.node('Gemm', [x, g.init('w', [3, 4], random(12))], { transB: attr.int(1) })[0]], { axis: attr.int(1) }, ['probabilities'])[0];
      g.output(g.node('ArgMax', [probabilities], { axis: attr.int(1) }, ['label'])[0], ['N', 1], 7);
      g.output(probabilities, ['N', 3]);
    });
    const refused = await zkinfer('inspect', file);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^error: .*has 2 outputs \(label, probabilities\).*--output-name/);
    const chosen = await zkinfer('inspect', file, '--output-name', 'probabilities');
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).toMatch(/ArgMax_0\s+ArgMax\s+\[1, 3\]\s+\?\s+unused/);
  });

  it('a file that is not ONNX, and dynamic dimensions without --input-shape', async () => {
    const garbage = await writeOnnx(new TextEncoder().encode('{"not": "onnx"}'));
    for (const verb of ['inspect', 'quantize']) {
      const run = await zkinfer(verb, garbage);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/^error: .*model\.onnx: is not an ONNX model/);
      expect(run.stderr).not.toMatch(STACK);
    }
    const dynamic = await buildOnnx(13, (g, random) => {
      const x = g.input('x', ['N', 1, 'H', 'W']);
      const y = g.node('GlobalAveragePool', [g.node('Conv', [x, g.init('w', [3, 1, 3, 3], random(27))])[0]])[0];
      g.output(g.node('Gemm', [g.node('Flatten', [y])[0], g.init('d', [2, 3], random(6))], { transB: attr.int(1) })[0]);
    });
    const refused = await zkinfer('quantize', dynamic, '--out', path.join(path.dirname(dynamic), 'a'));
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/dynamic axis 2 \('H'\): give the input shape .*--input-shape/);
    const given = await zkinfer('quantize', dynamic, '--input-shape', '1,8,8', '--out', path.join(path.dirname(dynamic), 'b'));
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toMatch(/input 1x8x8/);
  });
});
