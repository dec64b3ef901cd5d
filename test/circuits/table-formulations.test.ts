/**
 * The measurement behind TableActivation's lookup (docs/ARCHITECTURE.md, "Table activations"): two
 * formulations of one 8-bit table lookup from the same decomposition, compiled, held to the same
 * (random) table on all 256 codes, and their constraints counted.
 * - mux tree (what circuits/templates/table.circom does): monomials of the low bits, one leaf per
 *   value of the high bits, a multiplexer tree over the high bits: 2^low - low - 1 + 2^high - 1;
 * - one-hot selector: the same monomials, the high bits' one-hot indicators (from their own
 *   monomials), one product per high value: 2^low - low - 1 + 2^high - high - 1 + 2^high.
 */
import { describe, expect, it } from 'vitest';
import { bestSplit, lookupCost, tableCoefficients } from '../../circuits/table-plan.js';
import { seededRandom } from '../../core/random.js';
import { compileModelSource } from '../helpers/table-circuits.js';

const K = 8;
/** A table of random 8-bit codes: no two leaves differ by a constant, so no product is free (a saturated stretch of a real table makes some free: treeProducts). */
const random = seededRandom(5);
const table = Array.from({ length: 2 ** K }, () => Math.floor(random() * 256) - 128);

/** One lookup per input code x in [0, 256) (shift 0, nq = k = 8: the index is x's own bits, no saturation). */
function harness(template: string, call: (coef: string) => string, high: number): string {
  const coef = tableCoefficients({ table, bits: K }, K, high);
  return `pragma circom 2.1.0;
include "zkinfer.circom";
include "table.circom";
${template}
template T() {
    signal input in[4];
    signal output out[4];
    var coef[${coef.length}] = [${coef.join(',')}];
    component t[4];
    for (var j = 0; j < 4; j++) {
        t[j] = ${call('coef')};
        t[j].x[0] <== in[j];
        out[j] <== t[j].out;
    }
}
component main = T();
`;
}

/** The one-hot formulation, with TableActivation's decomposition (relu mode, shift 0, no saturation). */
const ONE_HOT = `
template OneHotTable(k, high, coef) {
    signal input x[1];
    signal output out;
    var value = x[0] + 2 ** (k - 1);
    signal b0 <-- value & 1;
    b0 * b0 === b0;
    signal bits[k - 1];
    var rest = 0;
    var power = 2;
    for (var i = 1; i < k; i++) {
        bits[i - 1] <-- (value >> i) & 1;
        bits[i - 1] * bits[i - 1] === bits[i - 1];
        rest += bits[i - 1] * power;
        power += power;
    }
    b0 * b0 === value - rest;
    var index[k];
    for (var i = 0; i < k; i++) {
        index[i] = bitOf(i, b0, bits);
    }
    var low = k - high;
    var monomial[2 ** low];
    monomial[0] = 1;
    signal lowProduct[2 ** low - low - 1];
    var used = 0;
    for (var set = 1; set < 2 ** low; set++) {
        var top = 0;
        while (2 ** (top + 1) <= set) { top++; }
        if (set == 2 ** top) { monomial[set] = index[top]; } else {
            lowProduct[used] <== monomial[set - 2 ** top] * index[top];
            monomial[set] = lowProduct[used];
            used++;
        }
    }
    var highMonomial[2 ** high];
    highMonomial[0] = 1;
    signal highProduct[2 ** high - high - 1];
    used = 0;
    for (var set = 1; set < 2 ** high; set++) {
        var top = 0;
        while (2 ** (top + 1) <= set) { top++; }
        if (set == 2 ** top) { highMonomial[set] = index[low + top]; } else {
            highProduct[used] <== highMonomial[set - 2 ** top] * index[low + top];
            highMonomial[set] = highProduct[used];
            used++;
        }
    }
    // indicator(h) = sum over supersets S of h of (-1)^|S \\ h| monomial(S); one product per high value.
    signal chosen[2 ** high];
    var sum = 0;
    for (var h = 0; h < 2 ** high; h++) {
        var indicator = 0;
        for (var set = 0; set < 2 ** high; set++) {
            if ((set & h) == h) {
                var sign = 1;
                for (var b = 0; b < high; b++) { if (((set >> b) & 1) == 1 && ((h >> b) & 1) == 0) { sign = -sign; } }
                indicator += sign * highMonomial[set];
            }
        }
        var leaf = 0;
        for (var set = 0; set < 2 ** low; set++) { leaf += coef[h * 2 ** low + set] * monomial[set]; }
        chosen[h] <== indicator * leaf;
        sum += chosen[h];
    }
    out <== sum;
}
`;

describe('table lookup formulations, measured on an 8-bit table', () => {
  const inputs = Array.from({ length: 64 }, (_, w) => [0, 1, 2, 3].map((c) => w * 4 + c - 128));
  /** Four lookups per circuit: each costs its decomposition (k + 1) and its lookup. */
  const measured = async (source: string): Promise<number> => {
    const circuit = await compileModelSource(source);
    for (const input of inputs) {
      const witness = await circuit.witness.calculate({ in: input });
      expect(witness.slice(1, 5)).toEqual(input.map((q) => BigInt(table[q + 128]!)).map((v) => (v < 0n ? v + circuit.r1cs.prime : v)));
    }
    return circuit.r1cs.constraints.length / 4 - (K + 1);
  };
  const oneHotCosts = new Map<number, number>();

  for (const high of [2, 3, 4, 5]) {
    it(`${high} high bits: both equal the table on every code; the mux tree costs its formula and less than the one-hot selector`, async () => {
      const tree = await measured(harness('', (coef) => `TableActivation(1, [1], 0, 0, ${K}, ${K}, ${high}, 0, ${coef}, 0, 0)`, high));
      const oneHot = await measured(harness(ONE_HOT, (coef) => `OneHotTable(${K}, ${high}, ${coef})`, high));
      expect(tree).toBe(lookupCost(K, high));
      expect(tree).toBeLessThan(oneHot);
      oneHotCosts.set(high, oneHot);
    });
  }

  it('the plan picks the cheapest split, 4 / 4, which beats every one-hot split', () => {
    expect(bestSplit(K)).toBe(4);
    expect(oneHotCosts.size).toBe(4);
    // What docs/ARCHITECTURE.md's table reports.
    console.log(`one-hot selector lookups (high bits → constraints): ${[...oneHotCosts].map(([h, c]) => `${h} → ${c}`).join(', ')}`);
    for (const cost of oneHotCosts.values()) expect(lookupCost(K, 4)).toBeLessThan(cost);
  });
});
