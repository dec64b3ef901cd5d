import { commentText } from './format.js';
import type { Emitter } from './types.js';

export const emitArgmax: Emitter<'argmax'> = (op, plan, { index, input, inputSize }) => {
  const out = `op${index}_out`;
  return {
    globals: '',
    body: `
    // op ${index}: argmax '${commentText(op.name)}' over ${inputSize} values
    signal ${out}[1];
    component op${index}_argmax = ArgMax(${inputSize}, ${plan.diffBits});
    op${index}_argmax.in <== ${input};
    ${out}[0] <== op${index}_argmax.label;
`,
    output: out,
    outputSize: 1,
  };
};
