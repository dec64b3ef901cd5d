import { commentText, constantFunction } from './format.js';
import type { Emitter } from './types.js';

/** Weights and biases are constants, so a dense layer is linear combinations: no constraints after --O2. */
export const emitDense: Emitter<'dense'> = (op, _plan, { index, input, inputSize }) => {
  const out = `op${index}_out`;
  const weights = `op${index}_weights`;
  const bias = `op${index}_bias`;
  return {
    globals: constantFunction(weights, op.weights) + constantFunction(bias, op.bias),
    body: `
    // op ${index}: dense '${commentText(op.name)}', ${inputSize} -> ${op.outputSize}
    signal ${out}[${op.outputSize}];
    var ${weights}_v[${op.outputSize}][${inputSize}] = ${weights}();
    var ${bias}_v[${op.outputSize}] = ${bias}();
    for (var j = 0; j < ${op.outputSize}; j++) {
        var acc = ${bias}_v[j];
        for (var i = 0; i < ${inputSize}; i++) {
            acc += ${weights}_v[j][i] * ${input}[i];
        }
        ${out}[j] <== acc;
    }
`,
    output: out,
    outputSize: op.outputSize,
  };
};
