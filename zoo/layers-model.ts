/** Build and save TF.js LayersModels the way the zoo stores them (also used for test fixtures). */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ZkinferError } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/files.js';
import type { LayerSpec } from './architectures.js';

/** Keras's default name stem for each layer kind (dense_1, conv2d_1, average_pooling2d_1, flatten_1). */
const NAME_STEM: Record<LayerSpec['kind'], string> = { dense: 'dense', conv2d: 'conv2d', avgpool2d: 'average_pooling2d', flatten: 'flatten', add: 'add', concat: 'concatenate' };

function buildLayer(layer: LayerSpec, name: string, seed: number, input: { inputShape: number[] } | {}): tf.layers.Layer {
  switch (layer.kind) {
    case 'dense':
      return tf.layers.dense({
        name,
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
        ...input,
      });
    case 'conv2d':
      return tf.layers.conv2d({
        name,
        filters: layer.filters,
        kernelSize: layer.kernelSize,
        strides: 1,
        padding: layer.padding ?? 'valid',
        activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
        ...input,
      });
    case 'avgpool2d':
      return tf.layers.averagePooling2d({ name, poolSize: layer.poolSize, strides: layer.poolSize, padding: 'valid', ...input });
    case 'flatten':
      return tf.layers.flatten({ name, ...input });
    case 'add':
      return tf.layers.add({ name });
    case 'concat':
      return tf.layers.concatenate({ name });
  }
}

/**
 * A Sequential model of the given layers (a functional one when some layer reads others than the
 * one before), every initializer seeded (layer i gets seed + i). Names are explicit, numbered per
 * kind: tfjs's generated ones depend on how many layers the process made before.
 */
export function buildModel(spec: { name: string; inputShape: number[]; layers: readonly LayerSpec[] }, seed: number): tf.LayersModel {
  const counts = new Map<LayerSpec['kind'], number>();
  const named = (layer: LayerSpec, index: number, input: { inputShape: number[] } | {}) => {
    const count = (counts.get(layer.kind) ?? 0) + 1;
    counts.set(layer.kind, count);
    return buildLayer(layer, `${NAME_STEM[layer.kind]}_${count}`, seed + index, input);
  };
  if (spec.layers.every((layer) => layer.from === undefined)) {
    const model = tf.sequential({ name: spec.name });
    spec.layers.forEach((layer, index) => model.add(named(layer, index, index === 0 ? { inputShape: spec.inputShape } : {})));
    return model;
  }
  const input = tf.input({ shape: spec.inputShape });
  const outputs: tf.SymbolicTensor[] = [];
  spec.layers.forEach((layer, index) => {
    const from = (layer.from ?? [index - 1]).map((i) => (i < 0 ? input : outputs[i]!));
    outputs.push(named(layer, index, {}).apply(from.length === 1 ? from[0]! : from) as tf.SymbolicTensor);
  });
  return tf.model({ name: spec.name, inputs: input, outputs: outputs[outputs.length - 1]! });
}

/** model.json + weights.bin in `dir`, in the standard TF.js LayersModel format. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightSpecs || !artifacts.weightData) throw new ZkinferError('INTERNAL', 'tfjs saved a model without weights');
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      await writeFileAtomic(path.join(dir, 'weights.bin'), weights);
      await writeJsonAtomic(path.join(dir, 'model.json'), {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

/** JSON with 2-space indentation but each array of numbers on one line, so input files stay small and readable. */
export function compactJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'number')) return JSON.stringify(value);
    const inner = indent + '  ';
    return `[\n${value.map((item) => inner + compactJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const inner = indent + '  ';
    const entries = Object.entries(value).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${compactJson(item, inner)}`);
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
