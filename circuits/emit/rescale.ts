import { emitPerValue } from './per-value.js';
import type { Emitter } from './types.js';

/**
 * One Requantize per value, reading a dense or convolution layer's terms directly when it follows
 * one. A leaky slope per element (PReLU's per channel) is one more parameter array, leakNum.
 */
export const emitRescale: Emitter<'rescale'> = (op, plan, { index, input }) => {
  const column = (key: 'shift' | 'nq' | 'offset' | 'mode' | 'clipNq' | 'clipMax') => plan.elements.map((e) => e[key]);
  const { numerator, bits } = plan.leak;
  const perElement = typeof numerator !== 'number';
  const params: Record<string, readonly number[]> = { shift: column('shift'), nq: column('nq'), offset: column('offset'), mode: column('mode'), clipNq: column('clipNq'), clipMax: column('clipMax'), ...(perElement ? { leakNum: numerator } : {}) };
  return emitPerValue<string>({
    index,
    op,
    input,
    describe: op.activation.kind,
    component: 'rq',
    params,
    declarations: '',
    instantiate: (o, param) =>
      `Requantize(${o.n}, ${o.w}, ${o.bias}, ${param('shift')}, ${param('nq')}, ${param('offset')}, ${param('mode')}, ${perElement ? param('leakNum') : numerator}, ${bits}, ${param('clipNq')}, ${param('clipMax')})`,
  });
};
