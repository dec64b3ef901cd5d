/** The ops that join a graph's branches: add (a linear combination), concat (renaming), mul (products). */
import { opHeader } from './format.js';
import { parameters, signalsOf } from './linear.js';
import type { DotProducer, Emitter } from './types.js';

/** Element j's terms are input i's element j times weights[i][j]: left unmaterialized, like a dense layer's, so a rescale after it reads them for free. */
export const emitAdd: Emitter<'add'> = (op, _plan, { index, inputs }) => {
  const sources = inputs.map((value) => signalsOf(value, op.name));
  const p = `op${index}_`;
  const n = op.bias.length;
  // One row of weights per output element, as a dense layer has, for Requantize to take whole.
  const params = parameters({ weights: op.bias.map((_, j) => op.weights.map((row) => row[j])), bias: op.bias }, p, false);
  const producer: DotProducer = {
    globals: params.globals,
    render: (open, term, close) => {
      const o = { j: 'j', n: `${sources.length}`, w: `${p}w[j]`, bias: `${p}b[j]` };
      return `
    ${opHeader(index, op)}, ${sources.length} input(s) of ${n} values${params.declarations}
    for (var j = 0; j < ${n}; j++) {
        ${open(o)}
${sources.map((src, t) => `        ${term({ ...o, t: `${t}`, src: `${src}[j]` })}`).join('\n')}
        ${close(o)}
    }
`;
    },
  };
  return { globals: '', body: '', output: { kind: 'dot', producer, size: n } };
};

/** Each input's channels copied into their place: equalities, which circom --O2 substitutes away. */
export const emitConcat: Emitter<'concat'> = (op, _plan, { index, inputs }) => {
  const p = `op${index}_`;
  const [h, w, channels] = op.outShape;
  let offset = 0;
  const copies = op.inShapes.map((shape, i) => {
    const text = `
    for (var pos = 0; pos < ${h * w}; pos++) {
        for (var c = 0; c < ${shape[2]}; c++) {
            ${p}out[pos * ${channels} + ${offset} + c] <== ${signalsOf(inputs[i], op.name)}[pos * ${shape[2]} + c];
        }
    }`;
    offset += shape[2];
    return text;
  });
  const size = h * w * channels;
  const body = `
    ${opHeader(index, op)}, [${op.inShapes.map((s) => `[${s}]`).join(', ')}] -> [${op.outShape}]
    signal ${p}out[${size}];${copies.join('')}
`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
};

/** One multiplication constraint per element: the only op of a model that multiplies two values. */
export const emitMul: Emitter<'mul'> = (op, _plan, { index, inputs }) => {
  const p = `op${index}_`;
  const [a, b] = inputs.map((value) => signalsOf(value, op.name));
  const size = inputs[0].size;
  const body = `
    ${opHeader(index, op)}, ${size} products
    signal ${p}out[${size}];
    for (var j = 0; j < ${size}; j++) {
        ${p}out[j] <== ${a}[j] * ${b}[j];
    }
`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
};
