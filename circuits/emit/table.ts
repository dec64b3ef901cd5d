import { arrayLiteral } from './format.js';
import { emitPerValue } from './per-value.js';
import type { Emitter } from './types.js';

/** One TableActivation per value (circuits/templates/table.circom); its coefficient rows once per op. */
export const emitTable: Emitter<'table'> = (op, plan, { index, input }) => {
  const column = (key: 'shift' | 'nq' | 'k' | 'high' | 'clamp' | 'group') => plan.elements.map((e) => e[key]);
  const coef = `op${index}_coef`;
  const [lowEdge, highEdge] = plan.edges;
  return emitPerValue({
    index,
    op,
    input,
    describe: `${op.fn.name} over ${op.bits}-bit codes`,
    component: 'ta',
    params: { shift: column('shift'), nq: column('nq'), k: column('k'), high: column('high'), clamp: column('clamp'), group: column('group') },
    declarations: `\n    var ${coef}[${plan.coefficients.length}][${2 ** op.bits}] = ${arrayLiteral(plan.coefficients)};`,
    instantiate: (o, param) =>
      `TableActivation(${o.n}, ${o.w}, ${o.bias}, ${param('shift')}, ${param('nq')}, ${param('k')}, ${param('high')}, ${param('clamp')}, ${coef}[${param('group')}], ${lowEdge}, ${highEdge})`,
  });
};
