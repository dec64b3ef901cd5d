import { emitPerValue } from './per-value.js';
import type { Emitter } from './types.js';

/** One Requantize per value, reading a dense or convolution layer's terms directly when it follows one. */
export const emitRescale: Emitter<'rescale'> = (op, plan, { index, input }) => {
  const column = (key: 'shift' | 'nq' | 'offset' | 'mode' | 'clipNq' | 'clipMax') => plan.elements.map((e) => e[key]);
  return emitPerValue({
    index,
    op,
    input,
    describe: op.activation.kind,
    component: 'rq',
    params: { shift: column('shift'), nq: column('nq'), offset: column('offset'), mode: column('mode'), clipNq: column('clipNq'), clipMax: column('clipMax') },
    declarations: '',
    instantiate: (o, param) =>
      `Requantize(${o.n}, ${o.w}, ${o.bias}, ${param('shift')}, ${param('nq')}, ${param('offset')}, ${param('mode')}, ${plan.leak.numerator}, ${plan.leak.bits}, ${param('clipNq')}, ${param('clipMax')})`,
  });
};
