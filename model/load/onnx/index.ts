/**
 * Load an ONNX model (as PyTorch, tf2onnx and skl2onnx export them) into the float graph.
 * onnx-proto decodes the file; the graph is walked in its (topological) order, constants are
 * folded for the fixed input shape, and each node on the model's activation becomes float layers
 * through ops.ts's tables or is refused by node, op type and opset. `inspectOnnxModel` walks the
 * same way but reports every node instead of stopping at the first refusal.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import onnxProto from 'onnx-proto';
import { ModelError, ZkinferError, messageOf } from '../../../core/errors.js';
import { sha256 } from '../../../core/files.js';
import { type FloatLayer, runFloat, sizeOf } from '../../float.js';
import { requireSoftmaxLast, withoutUnread } from '../fold.js';
import { type LoadedModel, readMetadata } from '../tfjs.js';
import { NodeContext, type NodeProto } from './node.js';
import { fuseActivationPatterns } from './patterns.js';
import { fuseLayerNorms } from './layernorm.js';
import { FOLD } from './constants.js';
import { DATA, NONLINEAR, nonlinearRefusal } from './ops.js';
import { MAX_ELEMENTS, type DataValue, type TensorProto, type Value, decodeTensor, int64, isIdentity, sizeOfShape } from './tensors.js';
import { maxOf } from '../../../core/numbers.js';

const { onnx } = onnxProto;
type ModelProto = InstanceType<typeof onnx.ModelProto>;

const MAX_MODEL_BYTES = 1 << 30;
export const OPSETS: [number, number] = [9, 21];

export interface OnnxLoadOptions {
  /** The input's shape without the batch axis, for models exported with dynamic dimensions. */
  inputShape?: number[];
  /** Which graph output to prove, for models with several (skl2onnx's label and probabilities). */
  output?: string;
}

export interface OnnxNodeReport {
  index: number;
  name: string;
  opType: string;
  /** Shapes of its inputs and outputs, where known ([] for a scalar); constants are marked. */
  inputs: { name: string; shape?: number[]; constant: boolean }[];
  outputs: { name: string; shape?: number[]; constant: boolean }[];
  /** 'folded': computed from constants when loading; 'layer': part of the proven model. */
  status: 'folded' | 'layer' | 'unsupported' | 'not reached' | 'unused';
  problem?: string;
}

export interface OnnxInspection {
  file: string;
  producer: string;
  irVersion: number;
  opset: number;
  input: { name: string; shape: number[] };
  output: string;
  nodes: OnnxNodeReport[];
  /** Whether zkinfer can load it; else the first problem. */
  supported: boolean;
  problem?: string;
}

const invalid = (file: string, message: string, cause?: unknown) => new ModelError('MODEL_INVALID', `${file}: ${message}`, undefined, cause === undefined ? {} : { cause });
const unsupported = (file: string, message: string) => new ModelError('MODEL_UNSUPPORTED', `${file}: ${message}`);

async function readOnnx(file: string): Promise<{ bytes: Buffer; model: ModelProto; opset: number }> {
  let bytes: Buffer;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_MODEL_BYTES) throw invalid(file, `is ${stat.size} bytes; zkinfer reads ONNX files up to ${MAX_MODEL_BYTES}`);
    bytes = await fs.readFile(file);
  } catch (error) {
    if (error instanceof ZkinferError) throw error;
    throw invalid(file, `cannot read the model file: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : messageOf(error)}`, error);
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw invalid(file, `is not an ONNX model (the protobuf does not decode: ${messageOf(error)})`, error);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) throw invalid(file, 'is not an ONNX model: it has no graph of nodes');
  const imports = (model.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = imports.length === 1 ? int64(imports[0].version ?? 0) : undefined;
  if (opset === undefined) throw invalid(file, 'does not import the ONNX operator set (opset_import has no default domain)');
  if (opset < OPSETS[0] || opset > OPSETS[1]) throw unsupported(file, `uses opset ${opset}; zkinfer reads opsets ${OPSETS[0]} to ${OPSETS[1]} (convert it with onnx.version_converter)`);
  return { bytes, model, opset };
}

/** The single input's shape with the batch axis as 1, from the file or the caller. */
function inputShapeOf(file: string, model: ModelProto, initialized: Set<string>, given: number[] | undefined): { name: string; shape: number[] } {
  const inputs = (model.graph!.input ?? []).filter((i) => !initialized.has(i.name ?? ''));
  if (inputs.length !== 1) throw unsupported(file, `has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); zkinfer proves models with one input`);
  const input = inputs[0];
  const tensor = input.type?.tensorType;
  if (!tensor) throw unsupported(file, `input '${input.name}' is not a tensor`);
  if (tensor.elemType !== onnx.TensorProto.DataType.FLOAT && tensor.elemType !== onnx.TensorProto.DataType.DOUBLE) {
    throw unsupported(file, `input '${input.name}' has element type ${tensor.elemType}; zkinfer takes float inputs`);
  }
  const dims = (tensor.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && int64(d.dimValue)! > 0 ? int64(d.dimValue)! : (d.dimParam || '?')));
  const name = input.name ?? '';
  if (given) {
    if (given.length !== dims.length - 1 || given.some((d, k) => typeof dims[k + 1] === 'number' && dims[k + 1] !== d)) {
      throw new ZkinferError('USAGE', `${file}: the input shape [${given.join(', ')}] does not fit input '${name}' of shape [${dims.join(', ')}] (give it without the batch axis)`);
    }
    return checkedInput(file, name, given);
  }
  if (dims.length < 2) throw unsupported(file, `input '${name}' has shape [${dims.join(', ')}]; zkinfer expects a batch axis first`);
  if (typeof dims[0] === 'number' && dims[0] !== 1) throw unsupported(file, `input '${name}' has a batch of ${dims[0]}; zkinfer proves one input at a time (batch 1 or a dynamic batch)`);
  const dynamic = dims.slice(1).findIndex((d) => typeof d !== 'number');
  if (dynamic >= 0) {
    throw unsupported(file, `input '${name}' has shape [${dims.join(', ')}] with a dynamic axis ${dynamic + 1} ('${dims[dynamic + 1]}'): give the input shape without the batch axis (--input-shape, e.g. ${dims.slice(1).map((d) => (typeof d === 'number' ? d : 28)).join(',')})`);
  }
  return checkedInput(file, name, dims.slice(1) as number[]);
}

function checkedInput(file: string, name: string, shape: number[]): { name: string; shape: number[] } {
  if (sizeOfShape(shape) > MAX_ELEMENTS) throw unsupported(file, `input '${name}' of shape [${shape.join(', ')}] has more than ${MAX_ELEMENTS} values`);
  return { name, shape: [1, ...shape] };
}

interface Walk {
  layers: FloatLayer[];
  input: { name: string; shape: number[] };
  output: string;
  nodes: OnnxNodeReport[];
  /** The first problem (in survey mode; otherwise it is thrown). */
  problem?: ZkinferError;
}

/** The graph output to prove: the only one, or the one asked for. */
function chooseOutput(file: string, outputs: readonly string[], wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (!outputs.includes(wanted)) throw new ZkinferError('USAGE', `${file}: has no output '${wanted}' (its outputs: ${outputs.join(', ')})`);
    return wanted;
  }
  if (outputs.length !== 1) {
    throw unsupported(file, `has ${outputs.length} outputs (${outputs.join(', ')}); zkinfer proves one: choose the logits or class scores with --output-name (skl2onnx's probabilities, for one)`);
  }
  return outputs[0];
}

/**
 * ONNX assigns each tensor once. A name written twice (or over an initializer or the input) would
 * let the output be traced to one node and computed by another: refused, naming the node.
 */
function checkSingleAssignment(file: string, nodes: readonly NodeProto[], opset: number, defined: Set<string>): void {
  nodes.forEach((node, index) => {
    const outputs = node.output ?? [];
    const fail = (message: string) => new NodeContext(file, node, index, opset, [], [], false).invalid(message);
    if (!outputs[0]) throw fail('has no output');
    for (const name of outputs.filter(Boolean)) {
      if (defined.has(name)) throw fail(`its output '${name}' is already defined (ONNX graphs assign each tensor once)`);
      defined.add(name);
    }
  });
}

/** The nodes the output depends on: the others (another output's branch, a ZipMap) are left out. */
function neededNodes(nodes: readonly NodeProto[], output: string): Set<number> {
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => (node.output ?? []).forEach((name) => producer.set(name, index)));
  const needed = new Set<number>();
  const pending = [output];
  while (pending.length > 0) {
    const at = producer.get(pending.pop()!);
    if (at === undefined || needed.has(at)) continue;
    needed.add(at);
    pending.push(...(nodes[at].input ?? []).filter(Boolean));
  }
  return needed;
}

/** Data-consuming uses of each tensor: needed nodes' inputs (Shape reads only the shape) and the output. */
function countUses(nodes: readonly NodeProto[], needed: Set<number>, output: string): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const use = (name: string, by: string) => uses.set(name, [...(uses.get(name) ?? []), by]);
  nodes.forEach((node, index) => {
    if (node.opType === 'Shape' || !needed.has(index)) return;
    for (const name of node.input ?? []) if (name) use(name, `node ${index} '${node.name || node.output?.[0]}' (${node.opType})`);
  });
  use(output, 'the graph output');
  return uses;
}

function walkGraph(file: string, model: ModelProto, opset: number, options: OnnxLoadOptions, survey: boolean): Walk {
  const graph = model.graph!;
  const values = new Map<string, Value>();
  for (const tensor of graph.initializer ?? []) {
    const decoded = decodeTensor(tensor as TensorProto);
    if (typeof decoded === 'string') throw unsupported(file, `initializer '${tensor.name}' ${decoded}`);
    values.set(tensor.name ?? '', decoded);
  }
  const input = inputShapeOf(file, model, new Set(values.keys()), options.inputShape);
  values.set(input.name, { kind: 'data', shape: input.shape, layer: -1 });
  const output = chooseOutput(file, (graph.output ?? []).map((o) => o.name ?? ''), options.output);
  const initializers = (graph.initializer ?? []) as TensorProto[];
  const { nodes, misses } = fuseLayerNorms(fuseActivationPatterns(graph.node as NodeProto[], initializers), initializers);
  checkSingleAssignment(file, nodes, opset, new Set(values.keys()));
  const needed = neededNodes(nodes, output);
  const uses = countUses(nodes, needed, output);
  const layers: FloatLayer[] = [];
  const reports: OnnxNodeReport[] = [];
  let problem: ZkinferError | undefined;
  const unreached = new Set<string>();
  const describe = (name: string) => {
    const v = values.get(name);
    return { name, ...(v ? { shape: v.shape } : {}), constant: v?.kind === 'const' };
  };

  nodes.forEach((node, index) => {
    const inputs = (node.input ?? []).map((name) => (name ? values.get(name) : undefined));
    const dataNames = (node.input ?? []).filter((name) => name && values.get(name)?.kind === 'data');
    const data = dataNames.map((name) => values.get(name) as DataValue);
    // A fold changes its target's value for every reader: only when this node is the one reader.
    const lone = data.length === 1 && data[0].layer === layers.length - 1 && data[0].layer >= 0 && !data[0].shared && uses.get(dataNames[0])?.length === 1;
    const ctx = new NodeContext(file, node, index, opset, inputs, layers, (node.output ?? []).includes(output), lone ? layers[layers.length - 1] : undefined);
    const report: OnnxNodeReport = { index, name: ctx.name, opType: ctx.opType, inputs: [], outputs: [], status: 'layer' };
    try {
      if (!needed.has(index)) {
        report.status = 'unused';
        return;
      }
      if (node.domain && node.domain !== 'ai.onnx') throw ctx.unsupported(`op domain '${node.domain}' is not supported (the default ONNX domain only)`);
      const missing = (node.input ?? []).find((name) => name && !values.has(name));
      if (missing !== undefined) {
        if (unreached.has(missing)) {
          report.status = 'not reached';
          report.problem = `follows a node zkinfer cannot load (op type ${ctx.opType} is ${DATA[ctx.opType] || FOLD[ctx.opType] ? 'supported' : 'not supported'})`;
          for (const name of node.output ?? []) unreached.add(name);
          return;
        }
        throw ctx.invalid(`input '${missing}' is not an initializer, the graph input or an earlier node's output (a missing initializer, or nodes out of order?)`);
      }
      const outputs = node.output ?? [];
      const before = layers.length;
      let value: Value;
      if (ctx.opType === 'Shape') {
        value = FOLD.Shape(ctx);
      } else if (data.length === 0) {
        const fold = FOLD[ctx.opType];
        if (!fold) throw ctx.unsupported(`op type ${ctx.opType} on constants is not supported (nodes folded when loading: ${Object.keys(FOLD).join(', ')})`);
        value = fold(ctx);
      } else {
        if (NONLINEAR.has(ctx.opType)) throw nonlinearRefusal(ctx);
        if (ctx.opType === 'ReduceMean') {
          const why = misses.get(node.output?.[0] ?? '') ?? 'it starts no LayerNorm pattern';
          throw ctx.unsupported(`ReduceMean is supported only as the start of a LayerNorm over the last axis written out as ReduceMean, Sub, Pow(2), ReduceMean, Add(ε), Sqrt, Div (then Mul(γ), Add(β)), as torch exports nn.LayerNorm below opset 17; this one does not match: ${why}`);
        }
        const handler = DATA[ctx.opType];
        if (!handler) throw ctx.unsupported(`op type ${ctx.opType} is not supported (supported: ${Object.keys(DATA).join(', ')})`);
        if (data.length > 1 && !MULTI_INPUT.has(ctx.opType)) throw ctx.unsupported(`${ctx.opType} with ${data.length} inputs computed from the model input is not supported (only Add, Sub, Mul, Sum, Mean, Concat and MatMul take several)`);
        value = handler(ctx);
        // The first new layer reads the node's data inputs (the others follow it); a node adding none (a relabel, a fold) passes its input's layer on.
        const from = data.map((d) => d.layer!);
        if (value.kind === 'data' && layers.length > before) {
          if ((from.length !== 1 || from[0] !== before - 1) && !layers[before].inputs) layers[before].inputs = from;
          value = { ...value, layer: layers.length - 1, shared: false };
        } else if (value.kind === 'data') {
          value = { ...value, layer: from[0], shared: data[0].shared || (uses.get(dataNames[0])?.length ?? 0) > 1 };
        }
      }
      if (value.kind === 'const') report.status = 'folded';
      const [first, ...rest] = outputs;
      values.set(first, value);
      const used = rest.find((name) => name && uses.has(name));
      if (used) throw ctx.unsupported(`its output '${used}' is used: zkinfer uses only a node's first output`);
    } catch (thrown) {
      // A handler's own failure (a bug, or a file shaped in a way no check foresaw) still names the node.
      const error = thrown instanceof ZkinferError ? thrown : new ZkinferError('INTERNAL', `${file}: ${ctx.where}: zkinfer failed to read this node: ${messageOf(thrown)}`, { cause: thrown });
      if (!survey) throw error;
      problem ??= error;
      report.status = 'unsupported';
      report.problem = error.message.replace(`${file}: ${ctx.where}: `, '');
      for (const name of node.output ?? []) unreached.add(name);
    } finally {
      report.inputs = (node.input ?? []).filter(Boolean).map(describe);
      report.outputs = (node.output ?? []).filter(Boolean).map(describe);
      reports.push(report);
    }
  });
  if (!problem) {
    try {
      const result = values.get(output);
      if (!result) throw invalid(file, `the graph output '${output}' is not produced by any node`);
      if (result.kind !== 'data') throw unsupported(file, `the graph output '${output}' does not depend on the input`);
      if (result.layer !== layers.length - 1) throw unsupported(file, `the graph output '${output}' is an earlier value than the last layer computes; zkinfer proves the last layer's output`);
      if (!isIdentity(result.order)) throw unsupported(file, `the graph output '${output}' [${result.shape.join(', ')}] is not in the order the float graph computes it (a channels-first image output); end the model with a Flatten after a channels-last Transpose, or with a Gemm`);
      requireSoftmaxLast(layers);
      // A projection whose Slices each took a part of it (sliceProjection) is read by none.
      const used = withoutUnread(layers);
      layers.splice(0, layers.length, ...used);
    } catch (error) {
      if (!survey || !(error instanceof ZkinferError)) throw error;
      problem = error;
    }
  }
  return { layers, input, output, nodes: reports, ...(problem ? { problem } : {}) };
}

/** Data ops that take several tensors computed from the input. */
const MULTI_INPUT = new Set(['Add', 'Sub', 'Mul', 'Sum', 'Mean', 'Concat', 'MatMul']);

const softmax = (logits: Float64Array) => {
  const max = maxOf(logits);
  const e = logits.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

/** Load `model.onnx` into the float graph (metadata.json beside it gives labels and the input range, as for TF.js models). */
export async function loadOnnxModel(location: string, options: OnnxLoadOptions = {}): Promise<LoadedModel> {
  const file = path.resolve(location);
  const { bytes, model, opset } = await readOnnx(file);
  const walk = walkGraph(file, model, opset, options, false);
  const dir = path.dirname(file);
  const metadata = await readMetadata(dir);
  const inputShape = walk.input.shape.slice(1);
  const last = walk.layers[walk.layers.length - 1];
  const ending = last !== undefined && 'activation' in last && typeof last.activation === 'object' ? last.activation.kind : 'linear';
  const float = { name: metadata.name ?? path.basename(file, path.extname(file)), inputShape, layers: walk.layers, ...(metadata.labels ? { labels: metadata.labels } : {}) };
  const outputs = walk.layers.length > 0 ? runFloat(float, new Float64Array(sizeOf(inputShape))).logits.length : 0;
  if (metadata.labels && metadata.labels.length !== outputs) throw invalid(path.join(dir, 'metadata.json'), `has ${metadata.labels.length} labels but the model has ${outputs} outputs`);
  return {
    float,
    metadata,
    source: { modelJson: file, hash: sha256(bytes) },
    backend: 'float64 reference (model/float.ts)',
    // The float graph's outputs; after a final Softmax, LogSoftmax or ArgMax (all proven as the
    // argmax), the softmax of the logits: the same class as ONNX Runtime's, as probabilities.
    async predict(inputs) {
      return inputs.map((x) => {
        const { logits } = runFloat(float, x);
        return Float32Array.from(ending === 'softmax' ? softmax(logits) : logits);
      });
    },
    dispose: () => undefined,
  };
}

/** Every node of an ONNX model with its op type, shapes and whether zkinfer supports it, without loading weights into layers' use. */
export async function inspectOnnxModel(location: string, options: OnnxLoadOptions = {}): Promise<OnnxInspection> {
  const file = path.resolve(location);
  const { model, opset } = await readOnnx(file);
  const walk = walkGraph(file, model, opset, options, true);
  return {
    file,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown',
    irVersion: int64(model.irVersion ?? 0) ?? 0,
    opset,
    input: { name: walk.input.name, shape: walk.input.shape },
    output: walk.output,
    nodes: walk.nodes,
    supported: !walk.problem,
    ...(walk.problem ? { problem: walk.problem.message } : {}),
  };
}

