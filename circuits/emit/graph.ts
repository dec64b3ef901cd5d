/** The ops that join a graph's branches: add (a linear combination), concat and transpose (renaming), mul and matmul (products). */
import { transposeSources } from '../../model/ir.js';
import { arrayLiteral, opHeader } from './format.js';
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

/**
 * A product of two activations, batched: one multiplication constraint per term (a factor that is
 * a constant makes it linear, and circom --O2 removes it). The sums are left unmaterialized, terms
 * of weight 1, so the rescale after it reads them as it reads a dense layer's.
 */
export const emitMatMul: Emitter<'matmul'> = (op, plan, { index, inputs }) => {
  const p = `op${index}_`;
  const [a, b] = inputs.map((value) => signalsOf(value, op.name));
  const { batch, rows, inner, cols } = op;
  const size = batch * rows * cols;
  const body = `
    ${opHeader(index, op)}, [${batch}, ${rows}, ${inner}] x [${batch}, ${inner}, ${cols}], ${plan.products} products of two values
    signal ${p}prod[${size}][${inner}];
    for (var h = 0; h < ${batch}; h++) {
        for (var i = 0; i < ${rows}; i++) {
            for (var j = 0; j < ${cols}; j++) {
                for (var t = 0; t < ${inner}; t++) {
                    ${p}prod[(h * ${rows} + i) * ${cols} + j][t] <== ${a}[(h * ${rows} + i) * ${inner} + t] * ${b}[(h * ${inner} + t) * ${cols} + j];
                }
            }
        }
    }
`;
  const producer: DotProducer = {
    globals: '',
    render: (open, term, close) => {
      const o = { j: 'j', n: `${inner}`, w: `${p}w`, bias: '0' };
      return `
    var ${p}w[${inner}] = ${arrayLiteral(new Array<number>(inner).fill(1))};
    for (var j = 0; j < ${size}; j++) {
        ${open(o)}
        for (var t = 0; t < ${inner}; t++) {
            ${term({ ...o, t: 't', src: `${p}prod[j][t]` })}
        }
        ${close(o)}
    }
`;
    },
  };
  return { globals: '', body, output: { kind: 'dot', producer, size } };
};

/** Each output names an input value: equalities, which circom --O2 substitutes away. */
export const emitTranspose: Emitter<'transpose'> = (op, _plan, { index, input }) => {
  const p = `op${index}_`;
  const src = signalsOf(input, op.name);
  const size = input.size;
  const body = `
    ${opHeader(index, op)}, [${op.inShape}] axes [${op.perm}]
    signal ${p}out[${size}];
    var ${p}from[${size}] = ${arrayLiteral(transposeSources(op))};
    for (var k = 0; k < ${size}; k++) {
        ${p}out[k] <== ${src}[${p}from[k]];
    }
`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
};
