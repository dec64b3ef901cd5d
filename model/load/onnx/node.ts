/**
 * One ONNX node as its handler sees it: its inputs (constants or the data), its attributes, the
 * float layers built so far, and errors that name the file, the node, its op type and the opset.
 */
import onnxProto from 'onnx-proto';
import { ModelError } from '../../../core/errors.js';
import type { FloatLayer } from '../../float.js';
import { type ConstValue, type DataValue, type TensorProto, type Value, decodeTensor, int64 } from './tensors.js';

const { onnx } = onnxProto;
const { AttributeType } = onnx.AttributeProto;
export type NodeProto = InstanceType<typeof onnx.NodeProto>;
type AttributeProto = InstanceType<typeof onnx.AttributeProto>;

export class NodeContext {
  readonly name: string;
  private readonly attributes = new Map<string, AttributeProto>();

  constructor(
    readonly file: string,
    readonly node: NodeProto,
    readonly index: number,
    readonly opset: number,
    readonly inputs: readonly (Value | undefined)[],
    /** The float layers so far; handlers append theirs (the first reads the node's data inputs, the walk says so). */
    readonly layers: FloatLayer[],
    /** Whether this node's output is the graph's output. */
    readonly isLast: boolean,
    /** The layer a per-channel affine or an activation may fold into: its data input's, when nothing else reads that value. */
    readonly foldInto?: FloatLayer,
  ) {
    this.name = node.name || node.output?.[0] || `#${index}`;
    for (const a of node.attribute ?? []) this.attributes.set(a.name ?? '', a as AttributeProto);
  }

  get opType(): string {
    return this.node.opType ?? '';
  }

  /** Where, for messages: node 3 'Conv_0' (Conv, opset 13). */
  get where(): string {
    return `node ${this.index} '${this.name}' (${this.opType}, opset ${this.opset})`;
  }

  private error(code: 'MODEL_INVALID' | 'MODEL_UNSUPPORTED', message: string): ModelError {
    return new ModelError(code, `${this.file}: ${this.where}: ${message}`, undefined, { details: { node: this.name, nodeIndex: this.index, opType: this.opType, opset: this.opset } });
  }

  /** Something zkinfer cannot prove (yet): say what would work instead. */
  unsupported(message: string): ModelError {
    return this.error('MODEL_UNSUPPORTED', message);
  }

  /** Something the ONNX specification does not allow. */
  invalid(message: string): ModelError {
    return this.error('MODEL_INVALID', message);
  }

  input(k: number): Value | undefined {
    return this.inputs[k];
  }

  /** Input k, constant or data, which the op requires. */
  required(k: number): Value {
    const value = this.inputs[k];
    if (!value) throw this.invalid(`input ${k} is missing`);
    return value;
  }

  constInput(k: number, what: string): ConstValue {
    const value = this.inputs[k];
    if (!value) throw this.invalid(`input ${k} (${what}) is missing`);
    if (value.kind !== 'const') throw this.unsupported(`input ${k} (${what}) must be a constant (an initializer or a Constant node), not computed from the model input`);
    return value;
  }

  optionalConst(k: number, what: string): ConstValue | undefined {
    return this.inputs[k] ? this.constInput(k, what) : undefined;
  }

  dataInput(k: number): DataValue {
    const value = this.inputs[k];
    if (!value) throw this.invalid(`input ${k} is missing`);
    if (value.kind !== 'data') throw this.invalid(`input ${k} must be computed from the model input`);
    return value;
  }

  has(name: string): boolean {
    return this.attributes.has(name);
  }

  /**
   * An attribute of the type the op defines, or undefined when absent. A mistyped one is refused:
   * protobuf reads a field that is not there as 0, so `alpha` written as an integer would
   * otherwise read as 0.0. Files that leave the type unset are read by the field that is present.
   */
  private typed(name: string, type: number, field: 'i' | 'f' | 's' | 't' | 'ints' | 'floats'): AttributeProto | undefined {
    const a = this.attributes.get(name);
    if (!a) return undefined;
    const present = a.type ? a.type === type : Object.prototype.hasOwnProperty.call(a, field);
    if (!present) throw this.invalid(`attribute ${name} has type ${AttributeType[a.type ?? 0] ?? a.type}, the op defines ${AttributeType[type]}`);
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.typed(name, AttributeType.INT, 'i');
    if (!a) return fallback;
    const n = a.i === undefined || a.i === null ? undefined : int64(a.i);
    if (n === undefined) throw this.invalid(`attribute ${name} must be an integer`);
    return n;
  }

  ints(name: string, fallback?: number[]): number[] | undefined {
    const a = this.typed(name, AttributeType.INTS, 'ints');
    if (!a) return fallback;
    const values = (a.ints ?? []).map(int64);
    if (values.some((v) => v === undefined)) throw this.invalid(`attribute ${name} must be integers`);
    return values as number[];
  }

  float(name: string, fallback: number): number {
    const a = this.typed(name, AttributeType.FLOAT, 'f');
    if (!a) return fallback;
    if (typeof a.f !== 'number' || !Number.isFinite(a.f)) throw this.invalid(`attribute ${name} must be a finite number`);
    return a.f;
  }

  string(name: string, fallback: string): string {
    const a = this.typed(name, AttributeType.STRING, 's');
    return a?.s ? new TextDecoder().decode(a.s) : fallback;
  }

  /** A Constant node's value, in whichever attribute holds it. */
  constantValue(): ConstValue {
    const a = this.node.attribute?.[0];
    if (!a || (this.node.attribute?.length ?? 0) !== 1) throw this.invalid('must have exactly one value attribute');
    switch (a.name) {
      case 'value': {
        const tensor = this.typed('value', AttributeType.TENSOR, 't')!.t;
        if (!tensor) throw this.invalid('attribute value holds no tensor');
        const decoded = decodeTensor(tensor as TensorProto);
        if (typeof decoded === 'string') throw this.unsupported(`its value ${decoded}`);
        return decoded;
      }
      case 'value_float':
        return { kind: 'const', dtype: 'float', shape: [], values: Float64Array.of(this.float('value_float', 0)) };
      case 'value_floats': {
        const floats = this.typed('value_floats', AttributeType.FLOATS, 'floats')!.floats ?? [];
        return { kind: 'const', dtype: 'float', shape: [floats.length], values: Float64Array.from(floats) };
      }
      case 'value_int':
        return { kind: 'const', dtype: 'int', shape: [], values: Float64Array.of(this.int('value_int', 0)) };
      case 'value_ints': {
        const ints = this.ints('value_ints') ?? [];
        return { kind: 'const', dtype: 'int', shape: [ints.length], values: Float64Array.from(ints) };
      }
      default:
        throw this.unsupported(`a Constant given by '${a.name}' is not supported (value, value_float(s), value_int(s))`);
    }
  }
}
