/** Ops along rows of a tensor's last axis: one component per row (circuits/templates/table.circom Softmax, Norm). */
import { arrayLiteral, opHeader } from './format.js';
import { signalsOf } from './linear.js';
import type { EmittedOp, Emitter, Value } from './types.js';

/** Rows of rowSize input signals into one `template` component each (`call`), its outputs in order. */
function emitRows(index: number, op: { kind: string; name: string }, input: Value, shape: { rows: number; rowSize: number }, describe: string, component: string, declarations: string, call: string): EmittedOp {
  const p = `op${index}_`;
  const source = signalsOf(input, op.name);
  const { rows, rowSize } = shape;
  const size = rows * rowSize;
  const body = `
    ${opHeader(index, op)}, ${rows} row(s) of ${rowSize}, ${describe}
    signal ${p}out[${size}];${declarations}
    component ${p}${component}[${rows}];
    for (var r = 0; r < ${rows}; r++) {
        ${p}${component}[r] = ${call};
        for (var i = 0; i < ${rowSize}; i++) {
            ${p}${component}[r].in[i] <== ${source}[r * ${rowSize} + i];
        }
        for (var i = 0; i < ${rowSize}; i++) {
            ${p}out[r * ${rowSize} + i] <== ${p}${component}[r].out[i];
        }
    }
`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
}

/** One Softmax per row, its exp table's coefficients once per op. */
export const emitSoftmax: Emitter<'softmax'> = (op, plan, { index, input }) => {
  const { exp } = plan;
  const [lowEdge, highEdge] = plan.edges;
  const coef = `op${index}_coef`;
  return emitRows(
    index,
    op,
    input,
    plan,
    `probabilities in 2^-${plan.probabilityBits} units`,
    'sm',
    `\n    var ${coef}[${2 ** op.bits}] = ${arrayLiteral(plan.coefficients[exp.group]!)};`,
    `Softmax(${plan.rowSize}, ${plan.diffBits}, ${exp.shift}, ${exp.nq}, ${exp.k}, ${exp.high}, ${exp.clamp}, ${coef}, ${lowEdge}, ${highEdge}, ${plan.probabilityBits}, ${plan.sumBits})`,
  );
};

/** One Norm per row. */
export const emitNorm: Emitter<'norm'> = (op, plan, { index, input }) =>
  emitRows(index, op, input, plan, `${op.mode === 'layer' ? 'LayerNorm' : 'RMSNorm'}, rsqrt to 2^${plan.rsqrtBits}`, 'nm', '', `Norm(${plan.rowSize}, ${plan.layer}, ${plan.epsilon}, ${plan.rsqrtBits}, ${plan.highBits})`);
