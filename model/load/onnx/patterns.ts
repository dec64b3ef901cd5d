/**
 * Activations that ONNX exporters write as several nodes, fused into one node before the chain
 * walk (index.ts), which refuses a tensor with several consumers:
 * - SiLU: Mul(x, Sigmoid(x)), either operand order → one node of op type SILU_OP;
 * - GELU (erf form, as PyTorch and Hugging Face export it): Erf(x / √2) or Erf(x * (1/√2)), then
 *   Add 1, then a product with x and 0.5 in any of the usual orders → one Gelu node.
 * The fused node takes the name and output of the pattern's last node. Intermediate tensors must
 * have no other consumer, and the constants must be what the pattern needs (within 1e-6).
 */
import onnxProto from 'onnx-proto';
import type { NodeProto } from './node.js';
import { type TensorProto, decodeTensor } from './tensors.js';

/** The op type of a fused SiLU node: not an ONNX op type, so no model can name it. */
export const SILU_OP = 'SiLU (Mul of x and Sigmoid(x))';

/** A scalar constant: a one-element initializer, or a Constant node's value. */
export function scalars(nodes: readonly NodeProto[], initializers: readonly TensorProto[]): Map<string, number> {
  const out = new Map<string, number>();
  const take = (name: string | null | undefined, tensor: TensorProto | null | undefined) => {
    if (!name || !tensor) return;
    const decoded = decodeTensor(tensor);
    if (typeof decoded !== 'string' && decoded.values.length === 1) out.set(name, Number(decoded.values[0]));
  };
  for (const t of initializers) take(t.name, t);
  for (const n of nodes) if (n.opType === 'Constant') take(n.output?.[0], n.attribute?.find((a) => a.name === 'value')?.t as TensorProto | undefined);
  return out;
}

/** The nodes (by index) that read each tensor. */
export function consumersOf(nodes: readonly NodeProto[]): Map<string, number[]> {
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => (n.input ?? []).forEach((name) => name && consumers.set(name, [...(consumers.get(name) ?? []), i])));
  return consumers;
}

export const near = (v: number | undefined, target: number) => v !== undefined && Math.abs(v - target) <= 1e-6 * Math.abs(target);

export function fuseActivationPatterns(nodes: readonly NodeProto[], initializers: readonly TensorProto[]): NodeProto[] {
  const constants = scalars(nodes, initializers);
  const consumers = consumersOf(nodes);
  const only = (tensor: string | undefined): number | undefined => {
    const c = tensor === undefined ? undefined : consumers.get(tensor);
    return c && c.length === 1 ? c[0] : undefined;
  };
  const out0 = (i: number) => nodes[i]!.output?.[0] ?? '';
  /** The operand of a two-input node other than `one`, or undefined when `one` is not an operand. */
  const other = (i: number, one: string) => {
    const [a, b] = nodes[i]!.input ?? [];
    return a === one ? b : b === one ? a : undefined;
  };
  const removed = new Set<number>();
  const replaced = new Map<number, NodeProto>();
  const fuse = (parts: number[], last: number, opType: string, x: string) => {
    parts.forEach((p) => removed.add(p));
    removed.delete(last);
    replaced.set(last, onnxProto.onnx.NodeProto.create({ name: nodes[last]!.name || out0(last), opType, input: [x], output: [out0(last)] }));
  };

  nodes.forEach((node, s) => {
    if (removed.has(s) || replaced.has(s)) return;
    if (node.opType === 'Sigmoid') {
      const x = node.input?.[0];
      const m = only(out0(s));
      if (x && m !== undefined && nodes[m]!.opType === 'Mul' && other(m, out0(s)) === x) fuse([s, m], m, SILU_OP, x);
    }
    if (node.opType === 'Erf') {
      const scaled = node.input?.[0];
      const scale = nodes.findIndex((n) => n.output?.[0] === scaled);
      if (scale < 0 || only(scaled) !== s) return;
      const sn = nodes[scale]!;
      const [x, k] = sn.input ?? [];
      if (!x || !((sn.opType === 'Div' && near(constants.get(k!), Math.SQRT2)) || (sn.opType === 'Mul' && near(constants.get(k!), Math.SQRT1_2)))) return;
      const add = only(out0(s));
      if (add === undefined || nodes[add]!.opType !== 'Add' || !near(constants.get(other(add, out0(s)) ?? ''), 1)) return;
      // x * 0.5 * (1 + erf): the Mul after the Add, then one more Mul with x or 0.5, or a Mul by (x * 0.5).
      const m1 = only(out0(add));
      if (m1 === undefined || nodes[m1]!.opType !== 'Mul') return;
      const partner = other(m1, out0(add)) ?? '';
      const half = nodes.findIndex((n) => n.output?.[0] === partner && n.opType === 'Mul');
      if (half >= 0 && only(partner) === m1 && near(constants.get(other(half, x) ?? ''), 0.5)) return fuse([scale, s, add, half, m1], m1, 'Gelu', x);
      const m2 = only(out0(m1));
      if (m2 === undefined || nodes[m2]!.opType !== 'Mul') return;
      const last = other(m2, out0(m1));
      if ((partner === x && near(constants.get(last ?? ''), 0.5)) || (near(constants.get(partner), 0.5) && last === x)) fuse([scale, s, add, m1, m2], m2, 'Gelu', x);
    }
  });
  return nodes.flatMap((n, i) => (removed.has(i) ? [] : [replaced.get(i) ?? n]));
}
