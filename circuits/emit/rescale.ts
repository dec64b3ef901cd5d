import { arrayLiteral, commentText } from './format.js';
import type { Emitter } from './types.js';

/** One Requantize per value, its parameters from the plan as constant tables. */
export const emitRescale: Emitter<'rescale'> = (op, plan, { index, input, inputSize }) => {
  const out = `op${index}_out`;
  const p = `op${index}_`;
  const column = (key: 'shift' | 'nq' | 'offset' | 'relu') => arrayLiteral(plan.elements.map((e) => e[key]));
  return {
    globals: '',
    body: `
    // op ${index}: rescale '${commentText(op.name)}'${op.relu ? ' with relu' : ''}, ${inputSize} values
    signal ${out}[${inputSize}];
    var ${p}shift[${inputSize}] = ${column('shift')};
    var ${p}nq[${inputSize}] = ${column('nq')};
    var ${p}offset[${inputSize}] = ${column('offset')};
    var ${p}relu[${inputSize}] = ${column('relu')};
    component ${p}rq[${inputSize}];
    for (var j = 0; j < ${inputSize}; j++) {
        ${p}rq[j] = Requantize(${p}shift[j], ${p}nq[j], ${p}offset[j], ${p}relu[j]);
        ${p}rq[j].in <== ${input}[j];
        ${out}[j] <== ${p}rq[j].out;
    }
`,
    output: out,
    outputSize: inputSize,
  };
};
