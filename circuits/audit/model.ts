/**
 * What the audit knows about an emitted model circuit from its plan (circuits/plan.ts): the width
 * each decomposition must have, which are signed, the shift of every Requantize (so the remainder
 * attack is named as such), and the input range. Component names follow circuits/emit/:
 * op<k>_rq[j] (Requantize, its ClipMax .clip), op<k>_max[m] (MaxPair), op<k>_argmax (its
 * RangeChecks .gap[i]), input_commit (its RangeChecks .range[i]).
 */
import { type QModel, inputRange } from '../../model/ir.js';
import type { CircuitPlan } from '../plan.js';
import type { ComponentFacts } from './attacks.js';

export interface ModelAuditFacts {
  facts: Map<string, ComponentFacts>;
  widths: Map<string, number>;
  inputRanges: Map<number, { min: bigint; max: bigint }>;
}

/** A decomposition of one bit has no bit wires (its value is its own bit): nothing to find. */
const MIN_WIDTH = 2;

export function modelAuditFacts(model: QModel, plan: CircuitPlan, signals: ReadonlyMap<string, number>): ModelAuditFacts {
  const facts = new Map<string, ComponentFacts>();
  const widths = new Map<string, number>();
  const expect = (component: string, width: number) => width >= MIN_WIDTH && widths.set(component, width);
  plan.ops.forEach((op, k) => {
    if (op.kind === 'rescale') {
      op.elements.forEach((e, j) => {
        if (e.nq === 0) return;
        facts.set(`op${k}_rq[${j}]`, { shift: e.shift, signed: e.mode !== 0 });
        expect(`op${k}_rq[${j}]`, e.shift + e.nq);
        if (e.clipNq > 0) {
          facts.set(`op${k}_rq[${j}].clip`, { signed: true });
          expect(`op${k}_rq[${j}].clip`, e.clipNq);
        }
      });
    } else if (op.kind === 'maxPool') {
      op.pairs.flat().forEach((pair, m) => {
        if (pair.mode !== 2) return;
        facts.set(`op${k}_max[${m}]`, { signed: true });
        expect(`op${k}_max[${m}]`, pair.nq);
      });
    } else if (op.kind === 'argmax') {
      for (let i = 0; i < op.size; i++) expect(`op${k}_argmax.gap[${i}]`, op.diffBits);
    }
  });
  const { min, max } = inputRange(model.input);
  const inputRanges = new Map<number, { min: bigint; max: bigint }>();
  for (let i = 0; i < plan.input.size; i++) {
    expect(`input_commit.range[${i}]`, plan.input.bits);
    const wire = signals.get(`in[${i}]`) ?? -1;
    if (wire >= 0) inputRanges.set(wire, { min: BigInt(min), max: BigInt(max) });
  }
  return { facts, widths, inputRanges };
}
