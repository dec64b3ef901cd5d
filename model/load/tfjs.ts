/**
 * Load a TF.js LayersModel from disk (model.json + weight shards) into the float graph.
 * Files are validated here first, so a broken model gets an error naming the file and the field
 * rather than a TF.js stack trace; then TF.js itself parses the topology (so its semantics are the
 * reference for float predictions), and each layer is converted or refused by name and option.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ModelError, messageOf, quoted } from '../../core/errors.js';
import { parseJson, sha256 } from '../../core/files.js';
import { type FloatModel, sizeOf } from '../float.js';
import { convertLayers } from './layers.js';
import { loadTf } from './backend.js';

const MAX_WEIGHT_BYTES = 1 << 30;

export interface ModelMetadata {
  name?: string;
  labels?: string[];
  inputRange?: [number, number];
}

export interface LoadedModel {
  float: FloatModel;
  metadata: ModelMetadata;
  /**
   * The model file's path (model.json, or model.onnx; the name predates ONNX) and a hash over it
   * and its weights: what the model *is*, for staleness checks.
   */
  source: { modelJson: string; hash: string };
  /** What computes `predict`: TF.js's backend, or for ONNX models the float reference. */
  backend: string;
  /** What the user should know about how the model is proven. */
  warnings?: string[];
  /** The model's own predictions (after its final activation), one row per input: TF.js's, or for ONNX models model/float.ts's (held to ONNX Runtime by tests). */
  predict(inputs: readonly ArrayLike<number>[]): Promise<Float32Array[]>;
  dispose(): void;
}

function invalid(file: string, message: string, cause?: unknown): ModelError {
  return new ModelError('MODEL_INVALID', `${file}: ${message}`, undefined, cause === undefined ? {} : { cause });
}

async function readFile(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw invalid(file, `cannot read ${what}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : messageOf(error)}`, error);
  }
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** Check the weights manifest and read its shards: one buffer of exactly the declared size. */
async function readWeights(manifest: unknown, dir: string, file: string): Promise<{ specs: WeightSpec[]; data: ArrayBuffer; bytes: Buffer[] }> {
  if (!Array.isArray(manifest)) throw invalid(file, 'weightsManifest must be an array');
  const specs: WeightSpec[] = [];
  const buffers: Buffer[] = [];
  for (const [g, group] of manifest.entries()) {
    const where = `weightsManifest[${g}]`;
    if (typeof group !== 'object' || group === null) throw invalid(file, `${where} must be an object`);
    const { paths, weights } = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) throw invalid(file, `${where}.paths must be an array of file names`);
    if (!Array.isArray(weights)) throw invalid(file, `${where}.weights must be an array`);
    let expected = 0;
    for (const [w, spec] of weights.entries()) {
      const at = `${where}.weights[${w}]`;
      const s = spec as Record<string, unknown>;
      if (typeof s?.name !== 'string') throw invalid(file, `${at}.name must be a string`);
      if (!Array.isArray(s.shape) || s.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
        throw invalid(file, `${at}.shape must be an array of non-negative integers`);
      }
      if (s.quantization !== undefined) {
        throw new ModelError('MODEL_UNSUPPORTED', `${file}: ${at} (${quoted(s.name)}) is stored quantized by the TF.js converter; export float32 weights`);
      }
      // Keras's Normalization counts the samples adapt() saw in an integer weight that nothing reads.
      const sampleCount = s.dtype === 'int32' && /\/count(_\d+)?$/.test(s.name) && (s.shape as number[]).length === 0;
      if (s.dtype !== 'float32' && !sampleCount) throw new ModelError('MODEL_UNSUPPORTED', `${file}: ${at} (${quoted(s.name)}) has dtype ${quoted(s.dtype)}; only float32 weights are supported`);
      specs.push({ name: s.name, shape: s.shape as number[], dtype: sampleCount ? 'int32' : 'float32' });
      expected += sizeOf(s.shape as number[]) * 4;
    }
    let found = 0;
    for (const p of paths as string[]) {
      if (path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) throw invalid(file, `${where}.paths: '${p}' must be a file name next to model.json`);
      const shard = await readFile(path.join(dir, p), `weights shard '${p}'`);
      found += shard.length;
      if (found > MAX_WEIGHT_BYTES) throw invalid(file, `weights exceed ${MAX_WEIGHT_BYTES} bytes`);
      buffers.push(shard);
    }
    if (found !== expected) {
      throw invalid(file, `${where}: its shards hold ${found} bytes but its weights need ${expected} (a truncated or mismatched weights file?)`);
    }
  }
  const all = Buffer.concat(buffers);
  return { specs, data: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer, bytes: buffers };
}

/** metadata.json beside a model file, when there is one (name, labels, input range). */
export async function readMetadata(dir: string): Promise<ModelMetadata> {
  const file = path.join(dir, 'metadata.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return {};
  }
  const raw = parseJson(text, file, 'model metadata', (m, cause) => invalid(file, m, cause)) as Record<string, unknown>;
  const metadata: ModelMetadata = {};
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(raw.name)) throw invalid(file, 'name must be letters, digits, _ . or -');
    metadata.name = raw.name;
  }
  if (raw.labels !== undefined) {
    if (!Array.isArray(raw.labels) || raw.labels.some((l) => typeof l !== 'string')) throw invalid(file, 'labels must be an array of strings');
    metadata.labels = raw.labels as string[];
  }
  if (raw.inputRange !== undefined) {
    const r = raw.inputRange;
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || !(r[0] < r[1])) throw invalid(file, 'inputRange must be [low, high]');
    metadata.inputRange = [r[0], r[1]];
  }
  return metadata;
}

/**
 * The layer TF.js cannot build, to name it in the error: in a Sequential model, the first whose
 * prefix of the model fails to build (a bad option in its config); else the first whose weights,
 * built from its config, differ from the weights manifest's in name or shape.
 */
async function failingLayer(tf: Awaited<ReturnType<typeof loadTf>>['tf'], topology: object, specs: WeightSpec[]): Promise<{ name: string; index: number } | undefined> {
  const top = topology as { model_config?: unknown };
  const model = (top.model_config ?? topology) as { class_name?: unknown; config?: unknown };
  const layers = Array.isArray(model.config) ? model.config : (model.config as { layers?: unknown } | undefined)?.layers;
  if (!Array.isArray(layers) || layers.length > 100) return undefined;
  for (let k = 1; model.class_name === 'Sequential' && k <= layers.length; k++) {
    try {
      (await tf.models.modelFromJSON({ class_name: 'Sequential', config: { name: 'probe', layers: layers.slice(0, k) } })).dispose();
    } catch {
      const config = (layers[k - 1] as { config?: { name?: unknown } } | undefined)?.config;
      return { name: typeof config?.name === 'string' ? config.name.slice(0, 100) : '?', index: k - 1 };
    }
  }
  const built = await tf.models.modelFromJSON(model as never).catch(() => undefined);
  if (!built) return undefined;
  const shapes = new Map(specs.map((s) => [s.name, s.shape.join()]));
  const index = built.layers.findIndex((layer) => {
    const own = layer.weights.map((w) => w.originalName);
    return layer.weights.some((w) => shapes.get(w.originalName) !== w.shape.join()) || specs.some((s) => s.name.startsWith(`${layer.name}/`) && !own.includes(s.name));
  });
  const found = index < 0 ? undefined : { name: built.layers[index].name, index };
  built.dispose();
  return found;
}

/** Load `model.json` (or a folder holding one) and its weights. */
export async function loadTfjsModel(location: string): Promise<LoadedModel> {
  let file = path.resolve(location);
  if ((await fs.stat(file).catch(() => undefined))?.isDirectory()) file = path.join(file, 'model.json');
  const dir = path.dirname(file);
  const text = await readFile(file, 'model file');
  const json = parseJson(text.toString('utf8'), file, 'model file', (m, cause) => invalid(file, m, cause)) as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw invalid(file, 'not a TF.js LayersModel: no modelTopology object');
  }
  const { specs, data, bytes } = await readWeights(json.weightsManifest, dir, file);
  const metadata = await readMetadata(dir);
  const { tf, backend } = await loadTf();

  let model: import('@tensorflow/tfjs').LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: data }));
  } catch (error) {
    const message = messageOf(error);
    const unknown = /Unknown (layer|activation|initializer|regularizer|constraint)[^.]*/i.exec(message);
    // TF.js quotes names from the file: keep its message short (--verbose shows it whole).
    if (unknown) throw new ModelError('MODEL_UNSUPPORTED', `${file}: ${unknown[0].slice(0, 200)}`, undefined, { cause: error });
    const short = message.length > 300 ? `${message.slice(0, 300)}…` : message;
    const layer = await failingLayer(tf, json.modelTopology, specs);
    if (layer) throw new ModelError('MODEL_INVALID', `${file}: TF.js cannot build this layer: ${short}`, layer, { cause: error });
    throw invalid(file, `TF.js cannot build the model: ${short}`, error);
  }
  try {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new ModelError('MODEL_UNSUPPORTED', `${file}: models with ${model.inputs.length} inputs and ${model.outputs.length} outputs are not supported (one each)`);
    }
    // The functional API's graph: which layers each layer reads (-1: the input, which Sequential models leave out of their layers).
    const indexOf = new Map(model.layers.map((layer, index) => [layer, index]));
    const inbound = model.layers.map((layer, index) => {
      if (layer.inboundNodes.length > 1) throw new ModelError('MODEL_UNSUPPORTED', `a layer applied ${layer.inboundNodes.length} times (shared weights) is not supported: give each use a layer of its own`, { name: layer.name, index });
      const from = layer.inboundNodes.flatMap((n) => n.inboundLayers).map((l) => indexOf.get(l) ?? -1);
      if (from.some((i) => i >= index)) throw new ModelError('MODEL_UNSUPPORTED', 'the layers are not in the order they compute (each must come after the layers it reads)', { name: layer.name, index });
      return from;
    });
    const outputLayer = model.outputs[0].sourceLayer;
    if (outputLayer !== model.layers[model.layers.length - 1]) throw new ModelError('MODEL_UNSUPPORTED', `${file}: the output layer '${outputLayer.name}' is not the last layer`);
    const inputShape = model.inputs[0].shape.slice(1) as number[];
    if (inputShape.some((d) => !Number.isSafeInteger(d) || d <= 0)) throw invalid(file, `input shape [${inputShape}] must be fully defined`);
    const { layers, outputShape } = convertLayers(model.layers, inputShape, inbound);
    const outputs = sizeOf(outputShape);
    if (metadata.labels && metadata.labels.length !== outputs) {
      throw invalid(path.join(dir, 'metadata.json'), `has ${metadata.labels.length} labels but the model has ${outputs} outputs`);
    }
    const name = metadata.name ?? path.basename(dir);
    return {
      float: { name, inputShape, layers, ...(metadata.labels ? { labels: metadata.labels } : {}) },
      metadata,
      source: { modelJson: file, hash: sha256(Buffer.concat([text, ...bytes])) },
      backend,
      async predict(inputs) {
        const n = sizeOf(inputShape);
        const flat = new Float32Array(inputs.length * n);
        inputs.forEach((x, k) => flat.set(Array.from(x), k * n));
        const output = tf.tidy(() => model.predict(tf.tensor(flat, [inputs.length, ...inputShape])) as import('@tensorflow/tfjs').Tensor);
        const values = await output.data();
        output.dispose();
        const width = values.length / inputs.length;
        return inputs.map((_, k) => Float32Array.from(values.subarray(k * width, (k + 1) * width)));
      },
      dispose: () => model.dispose(),
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
