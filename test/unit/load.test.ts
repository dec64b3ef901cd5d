/**
 * Loading TF.js models: a good one converts; every malformed or unsupported one is refused with
 * an error that names the file, the layer and the option.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { writeTinyModel } from '../helpers/fixtures.js';

async function tinyWith(edit: (modelJson: Record<string, any>, dir: string) => Promise<void> | void): Promise<string> {
  const dir = await writeTinyModel();
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(await fs.readFile(file, 'utf8'));
  await edit(json, dir);
  await fs.writeFile(file, JSON.stringify(json));
  return dir;
}

const layers = (json: Record<string, any>) => json.modelTopology.config.layers as Record<string, any>[];

async function expectRefusal(dir: string, code: string, message: RegExp): Promise<void> {
  const error = await loadTfjsModel(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ZkinferError);
  expect((error as ZkinferError).code).toBe(code);
  expect((error as ZkinferError).message).toMatch(message);
}

describe('loadTfjsModel', () => {
  it('converts a dense model, with its labels and input range from metadata.json', async () => {
    const loaded = await loadTfjsModel(await writeTinyModel());
    expect(loaded.float.inputShape).toEqual([16]);
    expect(loaded.float.layers.map((l) => (l.kind === 'dense' ? `${l.inputSize}x${l.units}:${l.activation.kind}` : l.kind))).toEqual(['16x8:relu', '8x4:softmax']);
    expect(loaded.metadata).toMatchObject({ labels: ['north', 'east', 'south', 'west'], inputRange: [0, 1] });
    expect(loaded.source.hash).toMatch(/^[0-9a-f]{64}$/);
    loaded.dispose();
  });

  it('accepts model.json itself as the path', async () => {
    const dir = await writeTinyModel();
    const loaded = await loadTfjsModel(path.join(dir, 'model.json'));
    expect(loaded.float.name).toBe('tiny_mlp');
    loaded.dispose();
  });

  it('refuses a missing model file', async () => {
    await expectRefusal('/nonexistent/zkinfer/model', 'MODEL_INVALID', /model file: not found|cannot read model file/);
  });

  it('refuses model.json that is not JSON', async () => {
    const dir = await writeTinyModel();
    await fs.writeFile(path.join(dir, 'model.json'), '{"modelTopology": ');
    await expectRefusal(dir, 'MODEL_INVALID', /model\.json.*not valid JSON/);
  });

  it('refuses a truncated weights file, saying how many bytes were expected', async () => {
    const dir = await writeTinyModel();
    const weights = await fs.readFile(path.join(dir, 'weights.bin'));
    await fs.writeFile(path.join(dir, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expectRefusal(dir, 'MODEL_INVALID', /hold \d+ bytes but its weights need \d+/);
  });

  it('refuses a missing weights shard by name', async () => {
    const dir = await writeTinyModel();
    await fs.rm(path.join(dir, 'weights.bin'));
    await expectRefusal(dir, 'MODEL_INVALID', /weights shard 'weights\.bin'.*not found/);
  });

  it('refuses weight paths outside the model folder', async () => {
    const dir = await tinyWith((json) => {
      json.weightsManifest[0].paths = ['../../etc/passwd'];
    });
    await expectRefusal(dir, 'MODEL_INVALID', /must be a file name next to model\.json/);
  });

  it('refuses weights whose shapes do not fit the layers', async () => {
    const dir = await tinyWith((json) => {
      const specs = json.weightsManifest[0].weights;
      specs[0].shape = [8, 16]; // the same number of floats, transposed
    });
    await expectRefusal(dir, 'MODEL_INVALID', /shape|TF\.js cannot build/);
  });

  it('refuses an activation it cannot prove, naming the layer and the activation', async () => {
    const dir = await tinyWith((json) => {
      layers(json)[0].config.activation = 'mish';
    });
    await expectRefusal(dir, 'MODEL_UNSUPPORTED', /layer 0 'dense_1': activation 'mish' is not supported/);
  });

  it('refuses a layer kind it does not support yet, by name', async () => {
    const dir = await tinyWith((json) => {
      layers(json).splice(1, 0, { class_name: 'ThresholdedReLU', config: { name: 'thresholded', theta: 1 } });
    });
    await expectRefusal(dir, 'MODEL_UNSUPPORTED', /layer 1 'thresholded': layer type ThresholdedReLU is not supported yet/);
  });

  it('refuses a layer class TF.js does not know', async () => {
    const dir = await tinyWith((json) => {
      layers(json)[1].class_name = 'MyCustomLayer';
    });
    await expectRefusal(dir, 'MODEL_UNSUPPORTED', /Unknown layer: MyCustomLayer/);
  });

  it('refuses labels that do not match the outputs', async () => {
    const dir = await writeTinyModel();
    await fs.writeFile(path.join(dir, 'metadata.json'), JSON.stringify({ labels: ['a', 'b'] }));
    await expectRefusal(dir, 'MODEL_INVALID', /has 2 labels but the model has 4 outputs/);
  });

  it('refuses weights stored quantized by the converter', async () => {
    const dir = await tinyWith((json) => {
      json.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: 0, scale: 1 };
    });
    await expectRefusal(dir, 'MODEL_UNSUPPORTED', /stored quantized/);
  });
});
