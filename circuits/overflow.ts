/**
 * Static overflow analysis, before anything is compiled: from the exact bounds of every value
 * (model/bounds.ts), show that (a) no intermediate value can wrap around the field modulus, and
 * (b) every range check the circuit makes holds for every input in the declared range, checked
 * here independently of how circuits/plan.ts chose the widths. A failure names the layer and how
 * many bits it is short.
 */
import { ModelError } from '../core/errors.js';
import type { Interval } from '../model/bounds.js';
import { MAX_EXACT, rescaleValue, roundingOffset } from '../model/bounds.js';
import { poolWindow, windowPositions } from '../model/geometry.js';
import { type QModel, opInputs } from '../model/ir.js';
import { type CircuitPlan, bitLength, planCircuit } from './plan.js';
import { maxOf, minOf } from '../core/numbers.js';

/** Bits of the field modulus below which a decomposition is unique (BN254's r is just above 2^253). */
export const FIELD_SAFE_BITS = 250;

export interface OverflowLayer {
  index: number;
  name: string;
  kind: string;
  /** Bits of the largest |value| the op can output (sign not counted). */
  valueBits: number;
  /** The widest bit decomposition the op's range checks use (0: none). */
  checkBits: number;
}

export interface OverflowReport {
  layers: OverflowLayer[];
  /** Bits of the largest |value| anywhere: far below the field's ~253. */
  maxValueBits: number;
  maxCheckBits: number;
}

const magnitudeBits = (interval: Interval) => bitLength(Math.max(maxOf(interval.lo.map(Math.abs)), maxOf(interval.hi.map(Math.abs))));

/** A decomposition of `lo..hi + offset` into `bits` bits must hold every value of the range. */
function checkFits(lo: number, hi: number, offset: number, bits: number, where: { name: string; index: number }, what: string): void {
  const [low, high] = [lo + offset, hi + offset];
  if (bits > FIELD_SAFE_BITS) throw new ModelError('QUANTIZATION', `${what} needs ${bits} bits, ${bits - FIELD_SAFE_BITS} more than the ${FIELD_SAFE_BITS} a unique decomposition allows`, where);
  if (low < 0 || high >= 2 ** bits) {
    const needed = bitLength(Math.max(high, -low));
    throw new ModelError('QUANTIZATION', `${what} can reach ${low < 0 ? low : high}, outside its ${bits}-bit range check: ${Math.max(1, needed - bits)} bits short`, where);
  }
}

export function analyzeOverflow(model: QModel, plan: CircuitPlan = planCircuit(model)): OverflowReport {
  const layers = model.ops.map((op, index): OverflowLayer => {
    const where = { name: op.name, index };
    // Ops that decompose (rescale, max pool) have one input.
    const input = plan.bounds[opInputs(model, index)[0] + 1];
    const output = plan.bounds[index + 1];
    const valueBits = magnitudeBits(output);
    if (2 ** valueBits > MAX_EXACT) throw new ModelError('QUANTIZATION', `values need ${valueBits} bits, ${valueBits - 52} more than the 52 computed exactly`, where);
    const opPlan = plan.ops[index];
    let checkBits = 0;
    if (opPlan.kind === 'rescale') {
      opPlan.elements.forEach((p, j) => {
        if (p.nq === 0) return;
        const bits = p.shift + p.nq;
        checkBits = Math.max(checkBits, bits, p.clipNq);
        checkFits(input.lo[j], input.hi[j], roundingOffset(p.shift) + p.offset * 2 ** p.shift, bits, where, `value ${j}`);
        if (p.clipNq > 0) {
          // The clip decomposes relu(q) - max around 2^(clipNq - 1).
          const [qlo, qhi] = [rescaleValue(input.lo[j], p.shift), rescaleValue(input.hi[j], p.shift)];
          checkFits(Math.max(0, qlo) - p.clipMax, Math.max(0, qhi) - p.clipMax, 2 ** (p.clipNq - 1), p.clipNq, where, `value ${j}'s clip`);
        }
      });
    } else if (opPlan.kind === 'table') {
      // TableActivation decomposes value + rounding + 2^(nq-1) · 2^shift, as Requantize's relu mode.
      opPlan.elements.forEach((p, j) => {
        if (p.nq === 0) return;
        checkBits = Math.max(checkBits, p.shift + p.nq);
        checkFits(input.lo[j], input.hi[j], roundingOffset(p.shift) + 2 ** (p.nq - 1) * 2 ** p.shift, p.shift + p.nq, where, `value ${j}`);
      });
    } else if (opPlan.kind === 'maxPool' && op.kind === 'maxPool') {
      // Walk each window's chain of max(a, b) again: a - b is decomposed around 2^(nq - 1).
      const [oh, ow, channels] = op.outShape;
      let element = 0;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const window = windowPositions(poolWindow(op), oy, ox).filter((q) => q >= 0);
          for (let c = 0; c < channels; c++, element++) {
            let running = { lo: input.lo[window[0] + c], hi: input.hi[window[0] + c] };
            window.slice(1).forEach((position, k) => {
              const pair = opPlan.pairs[element][k];
              const next = { lo: input.lo[position + c], hi: input.hi[position + c] };
              if (pair.mode === 2) {
                checkBits = Math.max(checkBits, pair.nq);
                checkFits(next.lo - running.hi, next.hi - running.lo, 2 ** (pair.nq - 1), pair.nq, where, `a comparison in window ${element}`);
              } else if (pair.mode === 1 ? next.lo < running.hi : next.hi > running.lo) {
                throw new ModelError('QUANTIZATION', `a comparison in window ${element} was planned away but its outcome depends on the input`, where);
              }
              running = { lo: Math.max(running.lo, next.lo), hi: Math.max(running.hi, next.hi) };
            });
          }
        }
      }
    } else if (opPlan.kind === 'argmax') {
      checkBits = opPlan.diffBits;
      checkFits(0, maxOf(input.hi) - minOf(input.lo), 0, opPlan.diffBits, where, 'a difference from the maximum');
    }
    return { index, name: op.name, kind: op.kind, valueBits, checkBits };
  });
  return { layers, maxValueBits: maxOf(layers.map((l) => l.valueBits)), maxCheckBits: maxOf(layers.map((l) => l.checkBits)) };
}
