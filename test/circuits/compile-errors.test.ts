/**
 * When circom refuses a generated circuit, the error names the op the failing line belongs to and
 * where the generated source was kept, and the folder's circuit files are left as they were.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCircom } from '../../circuits/compile.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../../circuits/emit/index.js';
import { opAtLine } from '../../circuits/emit/format.js';
import { ZkinferError } from '../../core/errors.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { randomImageModel, randomInputs, seededRng } from '../helpers/random.js';

function tinyCnn() {
  const float = randomImageModel(seededRng(301), [4, 4, 1], [
    { conv: { filters: 1, kernel: [3, 3], padding: 'same' } },
    { pool: { op: 'max', size: [2, 2] } },
    { flatten: true },
    { dense: { units: 2, activation: { kind: 'softmax' } } },
  ]);
  return quantizeModel(float, { calibration: randomInputs(seededRng(302), 8, 16) }).model;
}

describe('circom errors in generated circuits', () => {
  it('name the op of the failing line and keep the source as model.failed.circom, writing nothing else', async () => {
    const model = tinyCnn();
    expect(model.ops[2]).toMatchObject({ kind: 'maxPool', name: 'layer_1' });
    const { source } = emitCircuit(model);
    // A symbol declared twice inside the max pool's code (a line that names no op itself).
    const header = source.split('\n').findIndex((l) => l.includes("// op 2: maxPool 'layer_1'"));
    const lines = source.split('\n');
    lines.splice(header + 1, 0, '    var twice = 0;', '    var twice = 1;');
    const broken = lines.join('\n');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-compile-error-'));
    try {
      const failed = path.join(dir, 'model.failed.circom');
      const error = await compileCircom(broken, dir, { includes: CIRCUIT_INCLUDES }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ZkinferError);
      expect((error as ZkinferError).code).toBe('CIRCUIT');
      expect((error as ZkinferError).message).toMatch(/^circom failed: Symbol declared twice \(model\.circom:\d+:\d+, in op 2: maxPool 'layer_1'\)/);
      expect((error as ZkinferError).message).toContain(`the generated source is kept in ${failed}`);
      expect(await fs.readFile(failed, 'utf8')).toBe(broken);
      expect(await fs.readdir(dir)).toEqual(['model.failed.circom']);

      // A later successful compile removes the stale failed source.
      await compileCircom(source, dir, { includes: CIRCUIT_INCLUDES });
      expect((await fs.readdir(dir)).sort()).toEqual(['model.circom', 'model.r1cs', 'model.sym', 'model.wasm']);
      // A failure after it leaves the good circuit's files as they were.
      const before = await fs.readFile(path.join(dir, 'model.r1cs'));
      await expect(compileCircom(broken, dir, { includes: CIRCUIT_INCLUDES })).rejects.toThrow(/Symbol declared twice/);
      expect((await fs.readdir(dir)).sort()).toEqual(['model.circom', 'model.failed.circom', 'model.r1cs', 'model.sym', 'model.wasm']);
      expect(await fs.readFile(path.join(dir, 'model.r1cs'))).toEqual(before);
      expect(await fs.readFile(path.join(dir, 'model.circom'), 'utf8')).toBe(source);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('opAtLine: the op a line names, else the op whose code it is in, else none', () => {
    const { source } = emitCircuit(tinyCnn());
    const lines = source.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(opAtLine(source, lineOf('signal op2_out'))).toEqual({ index: 2, kind: 'maxPool', name: 'layer_1' });
    expect(opAtLine(source, lineOf("// op 3: dense 'layer_3'") + 1)).toMatchObject({ index: 3, kind: 'dense' });
    expect(opAtLine(source, lineOf('function op3_weights'))).toMatchObject({ index: 3, kind: 'dense' });
    expect(opAtLine(source, lineOf('signal input in['))).toBeUndefined();
    const model = tinyCnn();
    const quoted = emitCircuit({ ...model, ops: model.ops.map((o, k) => (k === 2 ? { ...o, name: "max 'pool'" } : o)) }).source;
    expect(opAtLine(quoted, quoted.split('\n').findIndex((l) => l.includes('signal op2_out')) + 1)?.name).toBe("max 'pool'");
  });
});
