/**
 * A small ONNX writer (onnx-proto's encoder): a graph builder for hand-made test graphs, and the
 * zoo's TF.js models exported the way the common exporters write them, so the ONNX importer is
 * tested on the patterns real files hold:
 * - torchscript (torch.onnx.export, opset 11): NCHW input with a dynamic batch, Conv weights OIHW,
 *   Flatten as Shape → Gather → Unsqueeze → Concat → Reshape with Constant nodes, Gemm transB = 1;
 * - dynamo (torch.onnx.export(dynamo=True), opset 18): a fixed batch of 1, Reshape to [1, -1],
 *   MatMul + Add;
 * - tf2onnx (opset 13): an NHWC input followed by Transpose [0, 3, 1, 2], a Transpose back before
 *   the Reshape, MatMul + Add, a final Softmax;
 * - skl2onnx (opset 9, chains of dense layers only): MatMul, Add, Relu and a final Softmax.
 * Graphs as PyTorch writes them in every style: a tensor read twice is one value with two
 * consumers, a residual connection an Add of two tensors, branches joined by a Concat on axis 1.
 */
import onnxProto from 'onnx-proto';
import { ZkinferError } from '../core/errors.js';
import { type Activation, type FloatModel, walkLayers } from '../model/float.js';
import { channelsLastOrder } from '../model/load/onnx/tensors.js';

const { onnx } = onnxProto;
const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

export type OnnxStyle = 'torchscript' | 'dynamo' | 'tf2onnx' | 'skl2onnx';
export const ONNX_STYLES: readonly OnnxStyle[] = ['torchscript', 'dynamo', 'tf2onnx', 'skl2onnx'];

type TensorInit = InstanceType<typeof onnx.TensorProto>;
type Attribute = InstanceType<typeof onnx.AttributeProto>;

export function floatTensor(name: string, shape: number[], values: ArrayLike<number>): TensorInit {
  const data = Float32Array.from(values as ArrayLike<number>);
  return onnx.TensorProto.create({ name, dims: shape, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
}

export function intTensor(name: string, shape: number[], values: readonly number[]): TensorInit {
  return onnx.TensorProto.create({ name, dims: shape, dataType: DataType.INT64, int64Data: [...values] });
}

/** Attribute values, typed as ONNX needs them (ONNX Runtime checks the types). */
export const attr = {
  int: (i: number) => ({ type: AttributeType.INT, i }),
  ints: (ints: number[]) => ({ type: AttributeType.INTS, ints }),
  float: (f: number) => ({ type: AttributeType.FLOAT, f }),
  string: (s: string) => ({ type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  tensor: (t: TensorInit) => ({ type: AttributeType.TENSOR, t }),
};
type AttrValue = ReturnType<(typeof attr)[keyof typeof attr]>;

/** Build one graph node by node; names are made unique per op type, as exporters do. */
export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: TensorInit[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly counts = new Map<string, number>();

  constructor(
    readonly opset: number,
    readonly producer = 'zkinfer zoo/onnx-writer.ts',
  ) {}

  private fresh(stem: string): string {
    const n = this.counts.get(stem) ?? 0;
    this.counts.set(stem, n + 1);
    return `${stem}_${n}`;
  }

  private valueInfo(name: string, dims: (number | string)[], elemType: number = DataType.FLOAT) {
    return onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
  }

  input(name: string, dims: (number | string)[]): string {
    this.inputs.push(this.valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: (number | string)[] = [], elemType: number = DataType.FLOAT): void {
    this.outputs.push(this.valueInfo(name, dims, elemType));
  }

  init(name: string, shape: number[], values: ArrayLike<number>, type: 'float' | 'int' = 'float'): string {
    this.initializers.push(type === 'float' ? floatTensor(name, shape, values) : intTensor(name, shape, Array.from(values)));
    return name;
  }

  /** Add a node; returns its outputs' names (`outputs` of them, or the names given). */
  node(opType: string, inputs: string[], attributes: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const name = this.fresh(opType);
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, k) => (k === 0 ? `${name}_output` : `${name}_output_${k}`)) : outputs;
    const attribute = Object.entries(attributes).map(([key, value]) => onnx.AttributeProto.create({ name: key, ...value } as Attribute));
    this.nodes.push(onnx.NodeProto.create({ name, opType, input: inputs, output: names, attribute }));
    return names;
  }

  /** A Constant node (TorchScript writes small constants this way, not as initializers). */
  constant(tensor: TensorInit): string {
    return this.node('Constant', [], { value: attr.tensor(tensor) })[0];
  }

  encode(irVersion = this.opset >= 21 ? 10 : this.opset >= 15 ? 8 : this.opset >= 13 ? 7 : this.opset >= 11 ? 6 : 4): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion,
      producerName: this.producer,
      opsetImport: [{ domain: '', version: this.opset }],
      graph: { name: 'main_graph', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

const OPSET: Record<OnnxStyle, number> = { torchscript: 11, dynamo: 18, tf2onnx: 13, skl2onnx: 9 };

/** One float layer's output as written: its ONNX tensor, the ONNX shape (batch excluded) and, after a Flatten of NCHW, each element's index in the float graph (which flattened channels last). */
interface Written {
  x: string;
  shape: number[];
  flattened?: Int32Array;
}

/**
 * Export a zoo model (the float graph of a TF.js model with Dense, Conv2D (valid or same), average
 * pooling, Flatten, Add and Concatenate layers: a chain or a graph) as ONNX in one exporter's
 * style. The weights are the TF.js model's: an importer that reads them back right gives the same
 * float graph. A tensor read by several layers is one ONNX value with several consumers; a
 * residual connection is an Add node of the two tensors (PyTorch's `out + identity`), a branch's
 * end a Concat on the channels (axis 1 of NCHW, `torch.cat(..., dim=1)`) or of rows.
 */
export function exportZooOnnx(model: FloatModel, style: OnnxStyle): Uint8Array {
  const g = new OnnxGraph(OPSET[style]);
  const image = model.inputShape.length === 3;
  if (style === 'skl2onnx' && (image || model.layers.some((layer) => layer.inputs))) throw new ZkinferError('USAGE', `${model.name}: skl2onnx exports scikit-learn models: chains of dense layers, no convolutions or branches`);
  const [h, w, c] = image ? model.inputShape : [0, 0, 0];
  const batch = style === 'dynamo' ? 1 : style === 'tf2onnx' ? 'unk__6' : 'batch_size';
  const input: Written = {
    x: image && style === 'tf2onnx'
      ? g.node('Transpose', [g.input('input_1', [batch, h, w, c])], { perm: attr.ints([0, 3, 1, 2]) })[0]
      : g.input(style === 'skl2onnx' ? 'float_input' : 'input', image ? [batch, c, h, w] : [batch, ...model.inputShape]),
    shape: image ? [c, h, w] : [...model.inputShape],
  };
  /** The layer's activation as the exporters write it: Relu, Sigmoid, Tanh, and GELU as PyTorch's erf subgraph. */
  const relu = (v: string, activation: Activation) => {
    if (activation.kind === 'relu') return g.node('Relu', [v])[0];
    if (activation.kind !== 'table') return v;
    switch (activation.fn.name) {
      case 'sigmoid':
        return g.node('Sigmoid', [v])[0];
      case 'tanh':
        return g.node('Tanh', [v])[0];
      case 'gelu': {
        const erf = g.node('Erf', [g.node('Div', [v, g.init(`${v}.sqrt2`, [], [Math.SQRT2])])[0]])[0];
        return g.node('Mul', [g.node('Mul', [v, g.node('Add', [erf, g.init(`${v}.one`, [], [1])])[0]])[0], g.init(`${v}.half`, [], [0.5])])[0];
      }
      default:
        throw new ZkinferError('USAGE', `the zoo writer does not export the ${activation.fn.name} activation`);
    }
  };
  const written = walkLayers<Written>(model, input, (layer, inputs): Written => {
    const [{ x, shape, flattened }] = inputs;
    switch (layer.kind) {
      case 'conv2d': {
        if (layer.groups !== 1) throw new ZkinferError('USAGE', `${layer.name}: the zoo writer exports ungrouped convolutions only`);
        const [oc, ic] = [layer.outShape[2], layer.inShape[2]];
        const [kh, kw] = layer.kernel;
        // The float graph's row oc is (ky, kx, ic); ONNX's OIHW is (ic, ky, kx).
        const oihw = new Float32Array(layer.weights.length);
        for (let o = 0; o < oc; o++) for (let i = 0; i < ic; i++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) oihw[((o * ic + i) * kh + y) * kw + z] = layer.weights[o * kh * kw * ic + (y * kw + z) * ic + i];
        const weights = g.init(`${layer.name}.weight`, [oc, ic, kh, kw], oihw);
        const bias = g.init(`${layer.name}.bias`, [oc], layer.bias);
        // The float graph's padding is [top, left, bottom, right], ONNX's pads' order too.
        const conv = g.node('Conv', [x, weights, bias], { dilations: attr.ints([1, 1]), group: attr.int(1), kernel_shape: attr.ints([kh, kw]), pads: attr.ints([...layer.padding]), strides: attr.ints(layer.strides) })[0];
        return { x: relu(conv, layer.activation), shape: [oc, layer.outShape[0], layer.outShape[1]] };
      }
      case 'pool': {
        if (layer.op !== 'avg' || layer.padding.some((p) => p !== 0)) throw new ZkinferError('USAGE', `${layer.name}: the zoo writer exports unpadded average pools only`);
        const pooled = g.node('AveragePool', [x], { kernel_shape: attr.ints(layer.pool), pads: attr.ints([0, 0, 0, 0]), strides: attr.ints(layer.strides) })[0];
        return { x: pooled, shape: [layer.outShape[2], layer.outShape[0], layer.outShape[1]] };
      }
      case 'reshape': {
        const size = shape.reduce((a, b) => a * b, 1);
        let reshaped: string;
        if (style === 'torchscript') {
          // x.view(x.size(0), -1), as TorchScript traces it.
          const dims = g.node('Shape', [x])[0];
          const first = g.node('Gather', [dims, g.constant(intTensor('', [], [0]))], { axis: attr.int(0) })[0];
          const batchDim = g.node('Unsqueeze', [first], { axes: attr.ints([0]) })[0];
          const target = g.node('Concat', [batchDim, g.constant(intTensor('', [1], [-1]))], { axis: attr.int(0) })[0];
          reshaped = g.node('Reshape', [x, target])[0];
        } else {
          const nhwc = style === 'tf2onnx' && shape.length === 3 ? g.node('Transpose', [x], { perm: attr.ints([0, 2, 3, 1]) })[0] : x;
          const target = g.init(`${layer.name}.shape`, [2], style === 'tf2onnx' ? [-1, size] : [1, -1], 'int');
          reshaped = g.node('Reshape', [nhwc, target])[0];
        }
        return { x: reshaped, shape: [size], ...(shape.length === 3 && style !== 'tf2onnx' ? { flattened: channelsLastOrder([1, ...shape]) } : {}) };
      }
      case 'dense': {
        const { units, inputSize } = layer;
        // ONNX input element t is the float graph's input flattened[t].
        const row = (t: number) => (flattened ? flattened[t] : t);
        let out: string;
        if (style === 'torchscript') {
          const weight = new Float32Array(units * inputSize);
          for (let j = 0; j < units; j++) for (let t = 0; t < inputSize; t++) weight[j * inputSize + t] = layer.kernel[row(t) * units + j];
          out = g.node('Gemm', [x, g.init(`${layer.name}.weight`, [units, inputSize], weight), g.init(`${layer.name}.bias`, [units], layer.bias)], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) })[0];
        } else {
          const weight = new Float32Array(units * inputSize);
          for (let t = 0; t < inputSize; t++) for (let j = 0; j < units; j++) weight[t * units + j] = layer.kernel[row(t) * units + j];
          const product = g.node('MatMul', [x, g.init(`${layer.name}.weight`, [inputSize, units], weight)])[0];
          out = g.node('Add', [product, g.init(`${layer.name}.bias`, [units], layer.bias)])[0];
        }
        out = relu(out, layer.activation);
        if (layer.activation.kind === 'softmax' && (style === 'tf2onnx' || style === 'skl2onnx')) out = g.node('Softmax', [out], style === 'skl2onnx' ? { axis: attr.int(1) } : {})[0];
        return { x: out, shape: [units] };
      }
      case 'add': {
        // An element-wise op needs both inputs in one layout: a flattened NCHW tensor is in ONNX's order, not the float graph's.
        if (inputs.some((v) => v.flattened) || !layer.coefficients.every((k) => k === 1)) throw new ZkinferError('USAGE', `${layer.name}: the zoo writer exports sums of tensors (all coefficients 1) of unflattened tensors only`);
        // PyTorch's `a + b + c` is a chain of binary Adds.
        const sum = inputs.slice(1).reduce((acc, v) => g.node('Add', [acc, v.x])[0], x);
        return { x: relu(sum, layer.activation), shape };
      }
      case 'concat': {
        if (inputs.some((v) => v.flattened)) throw new ZkinferError('USAGE', `${layer.name}: the zoo writer does not concatenate flattened images (their ONNX order is not the float graph's)`);
        const joined = g.node('Concat', inputs.map((v) => v.x), { axis: attr.int(1) })[0];
        // Images: channels are axis 1 of NCHW; rows: the one axis after the batch.
        return { x: joined, shape: [inputs.reduce((n, v) => n + v.shape[0], 0), ...shape.slice(1)] };
      }
      default:
        throw new ZkinferError('USAGE', `${layer.name}: the zoo writer does not export ${layer.kind} layers`);
    }
  });
  const last = written[written.length - 1];
  const output = style === 'torchscript' ? g.node('Identity', [last.x], {}, ['output'])[0] : last.x;
  g.output(output, [batch, ...last.shape]);
  return g.encode();
}
