/**
 * nn.LayerNorm as torch.onnx.export writes it below opset 17, where ONNX has no LayerNormalization:
 *
 *   m = ReduceMean(x, axes=[a], keepdims=1);  d = Sub(x, m);  v = ReduceMean(Pow(d, 2), axes=[a], keepdims=1)
 *   y = Div(d, Sqrt(Add(v, ε)))  [→ Mul(y, γ) → Add(·, β) with constants γ and β]
 *
 * fused into one LayerNormalization node (axis a, epsilon ε, Scale γ, B β) before the walk
 * (index.ts), whose handler (ops.ts) maps it to the norm layer and refuses what that cannot hold
 * (an axis other than the last, γ or β not one per index). Each intermediate tensor must have no
 * consumer outside the pattern (d: the Pow and the Div). A ReduceMean that starts no exact match
 * stays in the graph and is refused by the walk, with the reason recorded here.
 */
import onnxProto from 'onnx-proto';
import type { NodeProto } from './node.js';
import { consumersOf, near, scalars } from './patterns.js';
import { type TensorProto, int64 } from './tensors.js';

const { AttributeProto, NodeProto: Node } = onnxProto.onnx;

export interface LayerNormFusion {
  nodes: NodeProto[];
  /** Why a ReduceMean (by its output's name) starts no LayerNorm pattern. */
  misses: Map<string, string>;
}

/** The ints of attribute `name`, or undefined. */
function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? (a.ints ?? []).map((v) => int64(v) ?? NaN) : undefined;
}

export function fuseLayerNorms(nodes: readonly NodeProto[], initializers: readonly TensorProto[]): LayerNormFusion {
  const constants = scalars(nodes, initializers);
  const tensors = new Set([...initializers.map((t) => t.name ?? ''), ...nodes.filter((n) => n.opType === 'Constant').map((n) => n.output?.[0] ?? '')]);
  const consumers = consumersOf(nodes);
  const readers = (tensor: string) => consumers.get(tensor) ?? [];
  const out0 = (i: number) => nodes[i]!.output?.[0] ?? '';
  const misses = new Map<string, string>();
  const removed = new Set<number>();
  const replaced = new Map<number, NodeProto>();

  /** The ReduceMean's single axis, or why it has none (opset 18 gives axes as a constant input). */
  const reducedAxis = (i: number): number | string => {
    const node = nodes[i]!;
    const keep = node.attribute?.find((a) => a.name === 'keepdims');
    if (keep && int64(keep.i ?? 1) !== 1) return 'keepdims = 0';
    const axes = intsAttribute(node, 'axes') ?? (node.input?.[1] ? [constants.get(node.input[1]) ?? NaN] : undefined);
    if (!axes || axes.length !== 1 || !Number.isInteger(axes[0])) return `it reduces over ${axes ? `axes [${axes.join(', ')}]` : 'every axis'} (one axis, the last, is a LayerNorm zkinfer proves)`;
    return axes[0]!;
  };
  /** The one node reading `tensor`, when it has `opType`. */
  const sole = (tensor: string, opType: string): number | undefined => {
    const r = readers(tensor);
    return r.length === 1 && nodes[r[0]!]!.opType === opType ? r[0] : undefined;
  };

  const match = (r1: number): string | undefined => {
    const x = nodes[r1]!.input?.[0] ?? '';
    const axis = reducedAxis(r1);
    if (typeof axis === 'string') return axis;
    const sub = sole(out0(r1), 'Sub');
    if (sub === undefined || nodes[sub]!.input?.[0] !== x || nodes[sub]!.input?.[1] !== out0(r1)) return 'its mean is not read by one Sub(x, mean)';
    const d = out0(sub);
    const pow = readers(d).find((i) => nodes[i]!.opType === 'Pow');
    const div = readers(d).find((i) => nodes[i]!.opType === 'Div');
    if (pow === undefined || div === undefined || readers(d).length !== 2) return 'x - mean is not read by exactly a Pow and a Div';
    if (nodes[pow]!.input?.[0] !== d || !near(constants.get(nodes[pow]!.input?.[1] ?? ''), 2)) return 'the deviation is not squared by Pow(·, 2)';
    const r2 = sole(out0(pow), 'ReduceMean');
    if (r2 === undefined || reducedAxis(r2) !== axis) return `the squares are not averaged by one ReduceMean over the same axis ${axis}`;
    const add = sole(out0(r2), 'Add');
    const [a, b] = add === undefined ? [] : nodes[add]!.input ?? [];
    const epsilon = constants.get((a === out0(r2) ? b : a) ?? '');
    if (add === undefined || epsilon === undefined || !(epsilon >= 0)) return 'the variance is not followed by Add(·, ε) with a constant ε';
    const sqrt = sole(out0(add), 'Sqrt');
    if (sqrt === undefined || sole(out0(sqrt), 'Div') !== div || nodes[div]!.input?.[0] !== d || nodes[div]!.input?.[1] !== out0(sqrt)) return 'it is not Div(x - mean, Sqrt(variance + ε))';
    // γ and β: a Mul by a constant, then an Add of one (elementwise_affine), else neither.
    const parts = [r1, sub, pow, r2, add, sqrt, div];
    const affine: string[] = [];
    let last = div;
    for (const opType of ['Mul', 'Add']) {
      const next = sole(out0(last), opType);
      const [p, q] = next === undefined ? [] : nodes[next]!.input ?? [];
      const operand = p === out0(last) ? q : p;
      if (next === undefined || !operand || !tensors.has(operand)) break;
      affine.push(operand);
      parts.push(next);
      last = next;
    }
    const attribute = [AttributeProto.create({ name: 'axis', type: AttributeProto.AttributeType.INT, i: axis }), AttributeProto.create({ name: 'epsilon', type: AttributeProto.AttributeType.FLOAT, f: epsilon })];
    // Only a Mul by γ without the Add of β: B is absent (input 2 unset).
    const node = Node.create({ name: nodes[last]!.name || out0(last), opType: 'LayerNormalization', input: [x, ...affine], output: [out0(last)], attribute });
    parts.forEach((p) => removed.add(p));
    removed.delete(last);
    replaced.set(last, node);
    return undefined;
  };

  nodes.forEach((node, i) => {
    if (node.opType !== 'ReduceMean' || removed.has(i) || replaced.has(i)) return;
    const miss = match(i);
    if (miss) misses.set(out0(i), miss);
  });
  return { nodes: nodes.flatMap((n, i) => (removed.has(i) ? [] : [replaced.get(i) ?? n])), misses };
}
