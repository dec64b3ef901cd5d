import { arrayLiteral, opHeader } from './format.js';
import { identityProducer } from './linear.js';
import type { Emitter } from './types.js';

/** One TableActivation per value (circuits/templates/table.circom), reading a dense or convolution layer's terms directly when it follows one. */
export const emitTable: Emitter<'table'> = (op, plan, { index, input }) => {
  const p = `op${index}_`;
  const n = input.size;
  const producer = input.kind === 'dot' ? input.producer : identityProducer(input);
  const keys = ['shift', 'nq', 'k', 'high', 'clamp', 'group'] as const;
  const tables = keys.map((key) => `    var ${p}${key}[${n}] = ${arrayLiteral(plan.elements.map((e) => e[key]))};`).join('\n');
  const param = (key: (typeof keys)[number], j: string) => `${p}${key}[${j}]`;
  const [lowEdge, highEdge] = plan.edges;
  const body = `
    ${opHeader(index, op)}, ${op.fn.name} over ${op.bits}-bit codes, ${n} values
    signal ${p}out[${n}];
${tables}
    var ${p}coef[${plan.coefficients.length}][${2 ** op.bits}] = ${arrayLiteral(plan.coefficients)};
    component ${p}ta[${n}];${producer.render(
      (o) =>
        `${p}ta[${o.j}] = TableActivation(${o.n}, ${o.w}, ${o.bias}, ${param('shift', o.j)}, ${param('nq', o.j)}, ${param('k', o.j)}, ${param('high', o.j)}, ${param('clamp', o.j)}, ${p}coef[${param('group', o.j)}], ${lowEdge}, ${highEdge});`,
      (o) => `${p}ta[${o.j}].x[${o.t}] <== ${o.src ?? 0};`,
      (o) => `${p}out[${o.j}] <== ${p}ta[${o.j}].out;`,
    )}`;
  return { globals: producer.globals, body, output: { kind: 'signals', name: `${p}out`, size: n } };
};
