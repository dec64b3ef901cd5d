import { arrayLiteral, opHeader } from './format.js';
import { identityProducer } from './linear.js';
import type { Emitter } from './types.js';

/** One Requantize per value, reading a dense or convolution layer's terms directly when it follows one. */
export const emitRescale: Emitter<'rescale'> = (op, plan, { index, input }) => {
  const p = `op${index}_`;
  const n = input.size;
  const producer = input.kind === 'dot' ? input.producer : identityProducer(input);
  const keys = ['shift', 'nq', 'offset', 'mode', 'clipNq', 'clipMax'] as const;
  const tables = keys.map((key) => `    var ${p}${key}[${n}] = ${arrayLiteral(plan.elements.map((e) => e[key]))};`).join('\n');
  const param = (key: (typeof keys)[number], j: string) => `${p}${key}[${j}]`;
  const body = `
    ${opHeader(index, op)}, ${op.activation.kind}, ${n} values
    signal ${p}out[${n}];
${tables}
    component ${p}rq[${n}];${producer.render(
      (o) =>
        `${p}rq[${o.j}] = Requantize(${o.n}, ${o.w}, ${o.bias}, ${param('shift', o.j)}, ${param('nq', o.j)}, ${param('offset', o.j)}, ${param('mode', o.j)}, ${plan.leak.numerator}, ${plan.leak.bits}, ${param('clipNq', o.j)}, ${param('clipMax', o.j)});`,
      (o) => `${p}rq[${o.j}].x[${o.t}] <== ${o.src ?? 0};`,
      (o) => `${p}out[${o.j}] <== ${p}rq[${o.j}].out;`,
    )}`;
  return { globals: producer.globals, body, output: { kind: 'signals', name: `${p}out`, size: n } };
};
