/**
 * Graph models through the command line, as users run them: a TF.js functional model with a
 * residual Add and one with an element-wise Multiply are quantized, compiled to exactly the
 * planned constraints (the products counted), inspected per op and per activation, and audited
 * sound with `zkinfer audit --random 1`.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tf, saveModel } from '../helpers/fixtures.js';
import { zkinfer } from '../helpers/node-script.js';

async function expectOk(...args: string[]): Promise<string> {
  const result = await zkinfer(...args);
  if (result.code !== 0) throw new Error(`zkinfer ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

const residual = (tf: Tf) => {
  const input = tf.input({ shape: [6, 6, 1] });
  const a = tf.layers.conv2d({ name: 'a', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as never;
  const b = tf.layers.conv2d({ name: 'b', filters: 2, kernelSize: 3, padding: 'same' }).apply(a) as never;
  const sum = tf.layers.add({ name: 'residual' }).apply([a, b]) as never;
  const relu = tf.layers.reLU({ name: 'residual_relu' }).apply(sum) as never;
  const pooled = tf.layers.averagePooling2d({ name: 'pool', poolSize: 2 }).apply(relu) as never;
  const out = tf.layers.dense({ name: 'logits', units: 3, activation: 'softmax' }).apply(tf.layers.flatten({ name: 'flat' }).apply(pooled) as never) as never;
  return tf.model({ inputs: input, outputs: out, name: 'residual' });
};

const product = (tf: Tf) => {
  const input = tf.input({ shape: [8] });
  const a = tf.layers.dense({ name: 'a', units: 5, activation: 'relu' }).apply(input) as never;
  const b = tf.layers.dense({ name: 'b', units: 5 }).apply(input) as never;
  const mul = tf.layers.multiply({ name: 'gate' }).apply([a, b]) as never;
  const out = tf.layers.dense({ name: 'logits', units: 3, activation: 'softmax' }).apply(mul) as never;
  return tf.model({ inputs: input, outputs: out, name: 'product' });
};

describe('graph models through the CLI', () => {
  for (const [name, build, kinds] of [
    ['residual', residual, ['conv2d', 'rescale', 'conv2d', 'rescale', 'add', 'rescale', 'avgPool', 'dense', 'argmax']],
    ['product', product, ['dense', 'rescale', 'dense', 'rescale', 'mul', 'rescale', 'dense', 'argmax']],
  ] as const) {
    it(`${name}: quantize, compile to the planned constraints, inspect per op and per activation, audit sound`, async () => {
      const model = await saveModel(build, 9, { 'metadata.json': { name } });
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `zkinfer-graph-${name}-`));
      await expectOk('quantize', model, '--out', dir);
      const compiled = JSON.parse(await expectOk('compile', dir, '--json'));
      expect(compiled.constraints).toBe(compiled.planned);
      const report = JSON.parse(await expectOk('inspect', dir, '--json'));
      expect(report.layers.map((l: any) => l.kind)).toEqual(kinds);
      for (const layer of report.layers) expect(layer.measured).toBe(layer.planned);
      const rescaled = report.layers.filter((l: any) => l.kind === 'rescale').reduce((n: number, l: any) => n + l.outputSize, 0);
      expect(report.activationCost.activations).toBe(rescaled);
      expect(report.activationCost.perActivation).toBeCloseTo(report.activationCost.constraints / rescaled, 9);
      if (name === 'product') {
        // One multiplication per element whose factors both vary.
        const mul = report.layers.find((l: any) => l.kind === 'mul');
        expect(mul.planned).toBe(5);
        expect(mul.detail).toMatch(/reads #1, #3; 5 products of two values/);
      }
      expect(await expectOk('inspect', dir)).toMatch(/constraints per activation: \d+\.\d \(the ops' \d+ constraints over \d+ requantized values\)/);
      const audit = await zkinfer('audit', dir, '--random', '1');
      expect(audit.code, audit.stderr + audit.stdout).toBe(0);
      expect(audit.stdout).toMatch(new RegExp(`^sound: ${name} `));
      expect(audit.stdout).toMatch(/0 accepted with a changed output/);
    });
  }
});
