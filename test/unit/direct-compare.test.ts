/**
 * The canonical R1CS comparison of circuits/direct/compare.ts: equal up to wire order, scaling
 * and the order of A and B; any other change is a difference it names.
 */
import { describe, expect, it } from 'vitest';
import { compareR1cs, symbolNames } from '../../circuits/direct/compare.js';
import type { LinearCombination } from '../../circuits/r1cs.js';
import { FIELD_MODULUS } from '../../core/field.js';

const lc = (terms: [number, bigint][]): LinearCombination => new Map(terms.map(([w, c]) => [w, ((c % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS]));
type Row = [LinearCombination, LinearCombination, LinearCombination];

// wires: 0 one, 1 x, 2 y, 3 z.  (x - 1)·x = 0 and x·y = z + 3
const names = ['one', 'x', 'y', 'z'];
const rows: Row[] = [
  [lc([[1, 1n], [0, -1n]]), lc([[1, 1n]]), lc([])],
  [lc([[1, 1n]]), lc([[2, 1n]]), lc([[3, 1n], [0, 3n]])],
];

describe('compareR1cs', () => {
  it('finds the same system in another wire order, scaled, with A and B swapped', () => {
    // wires renumbered: 0 one, 1 z, 2 y, 3 x; row 2 scaled by 5 in A and 7 in B, row 1 with A and B swapped
    const otherNames = ['one', 'z', 'y', 'x'];
    const other: Row[] = [
      [lc([[3, 5n]]), lc([[2, 7n]]), lc([[1, 35n], [0, 105n]])],
      [lc([[3, 1n]]), lc([[3, 1n], [0, -1n]]), lc([])],
    ];
    expect(compareR1cs({ names, constraints: rows }, { names: otherNames, constraints: other })).toBeUndefined();
  });

  it('names a changed coefficient, a missing constraint and a duplicated one', () => {
    const changed: Row[] = [rows[0], [lc([[1, 1n]]), lc([[2, 1n]]), lc([[3, 1n], [0, 4n]])]];
    expect(compareR1cs({ names, constraints: changed }, { names, constraints: rows })).toMatch(/circom has a constraint direct lacks: \(1·x\) \* \(1·y\) = 3·one \+ 1·z/);
    expect(compareR1cs({ names, constraints: rows.slice(0, 1) }, { names, constraints: rows })).toMatch(/direct lacks/);
    expect(compareR1cs({ names, constraints: [...rows, rows[1]] }, { names, constraints: rows })).toMatch(/direct has a constraint circom lacks/);
    // the same constraints over differently named wires are different
    expect(compareR1cs({ names: ['one', 'x', 'z', 'y'], constraints: rows }, { names, constraints: rows })).toMatch(/lacks/);
  });

  it('reads wire names from a .sym, the first name per wire, eliminated signals left out', () => {
    expect(symbolNames('1,1,0,main.label\n2,-1,0,main.a\n3,2,1,main.b.bits[0]\n4,2,1,main.c\n')).toEqual(['one', 'label', 'b.bits[0]']);
  });
});
