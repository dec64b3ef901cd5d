import { arrayLiteral, opHeader } from './format.js';
import { identityProducer } from './linear.js';
import type { DotTerms, EmittedOp, Value } from './types.js';

/**
 * One component per value, reading a dense or convolution layer's terms directly when it follows
 * one (else its signals), with each per-value parameter a Circom array `op<index>_<key>[n]`:
 * what a rescale (Requantize) and a table op (TableActivation) both emit.
 */
export function emitPerValue<K extends string>(spec: {
  index: number;
  op: { kind: string; name: string };
  input: Value;
  /** What the header comment says after the op's name. */
  describe: string;
  /** The component array's name after op<index>_. */
  component: string;
  params: Record<K, readonly number[]>;
  /** More declarations after the parameter arrays ('' for none). */
  declarations: string;
  /** The component's template call for output o, given how to name a parameter of it. */
  instantiate: (o: DotTerms, param: (key: K) => string) => string;
}): EmittedOp {
  const p = `op${spec.index}_`;
  const n = spec.input.size;
  const producer = spec.input.kind === 'dot' ? spec.input.producer : identityProducer(spec.input);
  const keys = Object.keys(spec.params) as K[];
  const tables = keys.map((key) => `    var ${p}${key}[${n}] = ${arrayLiteral(spec.params[key])};`).join('\n');
  const c = `${p}${spec.component}`;
  const body = `
    ${opHeader(spec.index, spec.op)}, ${spec.describe}, ${n} values
    signal ${p}out[${n}];
${tables}${spec.declarations}
    component ${c}[${n}];${producer.render(
      (o) => `${c}[${o.j}] = ${spec.instantiate(o, (key) => `${p}${key}[${o.j}]`)};`,
      (o) => `${c}[${o.j}].x[${o.t}] <== ${o.src ?? 0};`,
      (o) => `${p}out[${o.j}] <== ${c}[${o.j}].out;`,
    )}`;
  return { globals: producer.globals, body, output: { kind: 'signals', name: `${p}out`, size: n } };
}
