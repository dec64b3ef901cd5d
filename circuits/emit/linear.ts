/** Dense and convolution layers: dot products with constant weights, left unmaterialized. */
import { groupInputChannels } from '../../model/geometry.js';
import { constantFunction, opHeader } from './format.js';
import type { DotProducer, Emitter, Value } from './types.js';

export function signalsOf(value: Value, op: string): string {
  if (value.kind !== 'signals') throw new Error(`${op}: input must be materialized first`);
  return value.name;
}

/**
 * The weights and biases as Circom arrays named <p>w and <p>b: constant functions bound to vars
 * (params fixed), or nothing to declare when they are the main template's private inputs of
 * those names (params hashed).
 */
export function parameters(op: { weights: number[][]; bias: number[] }, p: string, hashedParams: boolean): { globals: string; declarations: string } {
  if (hashedParams) return { globals: '', declarations: '' };
  const [rows, row] = [op.weights.length, op.weights[0]?.length ?? 0];
  return {
    globals: constantFunction(`${p}weights`, op.weights) + constantFunction(`${p}bias`, op.bias),
    declarations: `
    var ${p}w[${rows}][${row}] = ${p}weights();
    var ${p}b[${rows}] = ${p}bias();`,
  };
}

export const emitDense: Emitter<'dense'> = (op, _plan, { index, input, hashedParams }) => {
  const src = signalsOf(input, op.name);
  const p = `op${index}_`;
  const params = parameters(op, p, hashedParams);
  const producer: DotProducer = {
    globals: params.globals,
    render: (open, term, close) => {
      const o = { j: 'j', n: `${op.inputSize}`, w: `${p}w[j]`, bias: `${p}b[j]` };
      return `
    ${opHeader(index, op)}, ${op.inputSize} -> ${op.outputSize}${params.declarations}
    for (var j = 0; j < ${op.outputSize}; j++) {
        ${open(o)}
        for (var t = 0; t < ${op.inputSize}; t++) {
            ${term({ ...o, t: 't', src: `${src}[t]` })}
        }
        ${close(o)}
    }
`;
    },
  };
  return { globals: '', body: '', output: { kind: 'dot', producer, size: op.outputSize } };
};

export const emitConv2d: Emitter<'conv2d'> = (op, _plan, { index, input, hashedParams }) => {
  const src = signalsOf(input, op.name);
  const p = `op${index}_`;
  const [h, w, c] = op.inShape;
  const [oh, ow, oc] = op.outShape;
  const { perGroup, outPerGroup } = groupInputChannels(op);
  const rowLength = op.kernel[0] * op.kernel[1] * perGroup;
  const params = parameters(op, p, hashedParams);
  const producer: DotProducer = {
    globals: params.globals,
    render: (open, term, close) => {
      const o = { j: 'j', n: `${rowLength}`, w: `${p}w[oc]`, bias: `${p}b[oc]` };
      const inside = term({ ...o, t: 't', src: `${src}[(iy * ${w} + ix) * ${c} + ic]` });
      const outside = term({ ...o, t: 't', src: null });
      return `
    ${opHeader(index, op)}, [${op.inShape}] -> [${op.outShape}], kernel ${op.kernel.join('x')}, strides ${op.strides.join('x')}, padding [${op.padding}], groups ${op.groups}${params.declarations}
    for (var oy = 0; oy < ${oh}; oy++) {
        for (var ox = 0; ox < ${ow}; ox++) {
            for (var oc = 0; oc < ${oc}; oc++) {
                var j = (oy * ${ow} + ox) * ${oc} + oc;
                ${open(o)}
                var t = 0;
                for (var ky = 0; ky < ${op.kernel[0]}; ky++) {
                    for (var kx = 0; kx < ${op.kernel[1]}; kx++) {
                        for (var g = 0; g < ${perGroup}; g++) {
                            var iy = oy * ${op.strides[0]} + ky - ${op.padding[0]};
                            var ix = ox * ${op.strides[1]} + kx - ${op.padding[1]};
                            var ic = (oc \\ ${outPerGroup}) * ${perGroup} + g;
                            if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w}) {
                                ${inside}
                            } else {
                                ${outside || '// padding: contributes nothing'}
                            }
                            t++;
                        }
                    }
                }
                ${close(o)}
            }
        }
    }
`;
    },
  };
  return { globals: '', body: '', output: { kind: 'dot', producer, size: oh * ow * oc } };
};

/**
 * Turn a dot value into signals (one linear constraint each; circom's --O2 substitutes them away).
 * The terms are summed as a tree (pairwiseSum in zkinfer.circom): circom's compile time grows
 * with the square of a left-to-right sum's length.
 */
export function materialize(value: Value, name: string): { globals: string; body: string; output: Value } {
  if (value.kind === 'signals') return { globals: '', body: '', output: value };
  const body = `
    signal ${name}[${value.size}];${value.producer.render(
      (o) => `var terms[${o.n}];`,
      (o) => `terms[${o.t}] = ${o.src === null ? '0' : `${o.w}[${o.t}] * ${o.src}`};`,
      (o) => `${name}[${o.j}] <== ${o.bias} + pairwiseSum(${o.n}, terms);`,
    )}`;
  return { globals: value.producer.globals, body, output: { kind: 'signals', name, size: value.size } };
}

/**
 * Turn a dot value whose weights and biases are signals (params hashed) into signals: one Dot
 * component per output, one constraint per product of a weight and an input (padding: none).
 */
export function multiply(value: Value, name: string): { globals: string; body: string; output: Value } {
  if (value.kind === 'signals') return { globals: '', body: '', output: value };
  const dot = `${name}_dot`;
  const body = `
    signal ${name}[${value.size}];
    component ${dot}[${value.size}];${value.producer.render(
      (o) => `${dot}[${o.j}] = Dot(${o.n});
        ${dot}[${o.j}].bias <== ${o.bias};`,
      (o) => `${dot}[${o.j}].w[${o.t}] <== ${o.w}[${o.t}];
        ${dot}[${o.j}].x[${o.t}] <== ${o.src ?? 0};`,
      (o) => `${name}[${o.j}] <== ${dot}[${o.j}].out;`,
    )}`;
  return { globals: value.producer.globals, body, output: { kind: 'signals', name, size: value.size } };
}

/** A signal array seen as a dot producer with one term per output (weight 1), for a Requantize to read. */
export function identityProducer(value: Extract<Value, { kind: 'signals' }>): DotProducer {
  return {
    globals: '',
    render: (open, term, close) => {
      const o = { j: 'j', n: '1', w: '[1]', bias: '0' };
      return `
    for (var j = 0; j < ${value.size}; j++) {
        ${open(o)}
        var t = 0;
        ${term({ ...o, t: 't', src: `${value.name}[j]` })}
        ${close(o)}
    }
`;
    },
  };
}
