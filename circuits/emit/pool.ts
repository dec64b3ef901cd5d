/** Pooling and padding: signal arrays built from windows of their input. */
import { averageMultipliers } from '../../model/geometry.js';
import type { Padding4, Shape3 } from '../../model/geometry.js';
import { arrayLiteral, opHeader } from './format.js';
import type { Emitter, Value } from './types.js';

function signalsOf(value: Value): string {
  if (value.kind !== 'signals') throw new Error('pooling reads signals: materialize its input first');
  return value.name;
}

/** Loops over every output (oy, ox, c) and its window's inputs, with `j` the flat output index. */
function windowLoops(spec: { inShape: Shape3; outShape: Shape3; pool: [number, number]; strides: [number, number]; padding: Padding4 }, open: string, each: (src: string) => string, close: string, src: string): string {
  const [h, w, c] = spec.inShape;
  const [oh, ow, oc] = spec.outShape;
  return `
    for (var oy = 0; oy < ${oh}; oy++) {
        for (var ox = 0; ox < ${ow}; ox++) {
            for (var c = 0; c < ${oc}; c++) {
                var j = (oy * ${ow} + ox) * ${oc} + c;
                ${open}
                for (var py = 0; py < ${spec.pool[0]}; py++) {
                    for (var px = 0; px < ${spec.pool[1]}; px++) {
                        var iy = oy * ${spec.strides[0]} + py - ${spec.padding[0]};
                        var ix = ox * ${spec.strides[1]} + px - ${spec.padding[1]};
                        if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w}) {
                            ${each(`${src}[(iy * ${w} + ix) * ${c} + c]`)}
                        }
                    }
                }
                ${close}
            }
        }
    }
`;
}

/** The window's sum times the position's multiplier: a linear combination, free. */
export const emitAvgPool: Emitter<'avgPool'> = (op, _plan, { index, input }) => {
  const p = `op${index}_`;
  const size = op.outShape[0] * op.outShape[1] * op.outShape[2];
  const { multipliers } = averageMultipliers(op);
  const body = `
    ${opHeader(index, op)}, [${op.inShape}] -> [${op.outShape}], pool ${op.pool.join('x')} (sum times multiplier; the division is in the scale)
    signal ${p}out[${size}];
    var ${p}mult[${multipliers.length}] = ${arrayLiteral(multipliers)};${windowLoops(op, 'var acc = 0;', (src) => `acc += ${src};`, `${p}out[j] <== acc * ${p}mult[oy * ${op.outShape[1]} + ox];`, signalsOf(input))}`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
};

/**
 * A chain of MaxPair over each window's valid inputs, in window order (as circuits/plan.ts plans it).
 * The pair counter lives at template level, so it carries the op's prefix like every other name there.
 */
export const emitMaxPool: Emitter<'maxPool'> = (op, plan, { index, input }) => {
  const p = `op${index}_`;
  const size = op.outShape[0] * op.outShape[1] * op.outShape[2];
  const pairs = plan.pairs.flat();
  const components = pairs.length > 0 ? `\n    component ${p}max[${pairs.length}];\n    var ${p}nq[${pairs.length}] = ${arrayLiteral(pairs.map((q) => q.nq))};\n    var ${p}mode[${pairs.length}] = ${arrayLiteral(pairs.map((q) => q.mode))};` : '';
  const each = (src: string) =>
    `if (first == 1) {
                                cur = ${src};
                                first = 0;
                            } else {
                                ${p}max[${p}k] = MaxPair(${p}nq[${p}k], ${p}mode[${p}k]);
                                ${p}max[${p}k].a <== ${src};
                                ${p}max[${p}k].b <== cur;
                                cur = ${p}max[${p}k].out;
                                ${p}k++;
                            }`;
  const body = `
    ${opHeader(index, op)}, [${op.inShape}] -> [${op.outShape}], pool ${op.pool.join('x')}
    signal ${p}out[${size}];${components}
    var ${p}k = 0;${windowLoops(op, 'var first = 1;\n                var cur = 0;', each, `${p}out[j] <== cur;`, signalsOf(input))}`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size } };
};

export const emitPad: Emitter<'pad'> = (op, _plan, { index, input }) => {
  const p = `op${index}_`;
  const [h, w, c] = op.inShape;
  const [oh, ow, oc] = op.outShape;
  const src = signalsOf(input);
  const body = `
    ${opHeader(index, op)}, [${op.inShape}] -> [${op.outShape}], padding [${op.padding}]
    signal ${p}out[${oh * ow * oc}];
    for (var oy = 0; oy < ${oh}; oy++) {
        for (var ox = 0; ox < ${ow}; ox++) {
            for (var c = 0; c < ${oc}; c++) {
                var iy = oy - ${op.padding[0]};
                var ix = ox - ${op.padding[1]};
                if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w}) {
                    ${p}out[(oy * ${ow} + ox) * ${oc} + c] <== ${src}[(iy * ${w} + ix) * ${c} + c];
                } else {
                    ${p}out[(oy * ${ow} + ox) * ${oc} + c] <== 0;
                }
            }
        }
    }
`;
  return { globals: '', body, output: { kind: 'signals', name: `${p}out`, size: oh * ow * oc } };
};
