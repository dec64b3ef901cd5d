import { arrayLiteral, opHeader } from './format.js';
import { signalsOf } from './linear.js';
import type { Emitter } from './types.js';

/** One Softmax per row (circuits/templates/table.circom), its exp table's coefficients once per op. */
export const emitSoftmax: Emitter<'softmax'> = (op, plan, { index, input }) => {
  const p = `op${index}_`;
  const source = signalsOf(input, op.name);
  const { exp } = plan;
  const [lowEdge, highEdge] = plan.edges;
  const size = plan.rows * plan.rowSize;
  const body = `
    ${opHeader(index, op)}, ${plan.rows} row(s) of ${plan.rowSize}, probabilities in 2^-${plan.probabilityBits} units
    signal ${p}out[${size}];
    var ${p}coef[${2 ** op.bits}] = ${arrayLiteral(plan.coefficients[exp.group]!)};
    component ${p}sm[${plan.rows}];
    for (var r = 0; r < ${plan.rows}; r++) {
        ${p}sm[r] = Softmax(${plan.rowSize}, ${plan.diffBits}, ${exp.shift}, ${exp.nq}, ${exp.k}, ${exp.high}, ${exp.clamp}, ${p}coef, ${lowEdge}, ${highEdge}, ${plan.probabilityBits}, ${plan.sumBits});
        for (var i = 0; i < ${plan.rowSize}; i++) {
            ${p}sm[r].in[i] <== ${source}[r * ${plan.rowSize} + i];
        }
        for (var i = 0; i < ${plan.rowSize}; i++) {
            ${p}out[r * ${plan.rowSize} + i] <== ${p}sm[r].out[i];
        }
    }
`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
};
