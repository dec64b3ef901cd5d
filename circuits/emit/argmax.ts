import { opHeader } from './format.js';
import type { Emitter } from './types.js';

export const emitArgmax: Emitter<'argmax'> = (op, plan, { index, input }) => {
  if (input.kind !== 'signals') throw new Error('argmax reads signals: materialize its input first');
  const out = `op${index}_out`;
  return {
    globals: '',
    body: `
    ${opHeader(index, op)} over ${input.size} values
    signal ${out}[1];
    component op${index}_argmax = ArgMax(${input.size}, ${plan.diffBits});
    op${index}_argmax.in <== ${input.name};
    ${out}[0] <== op${index}_argmax.label;
`,
    output: { kind: 'signals', name: out, size: 1 },
  };
};
