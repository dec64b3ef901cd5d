/**
 * Single-wire tampering: change one witness value at a time and check the R1CS notices. zkinfer's
 * circuits determine every wire from the inputs, so an honest witness with any one non-input
 * wire changed must violate some constraint; one that does not is an unconstrained hint.
 */
import type { R1cs } from '../r1cs.js';
import { type ConstraintIndex, indexConstraints, inputWires, isSatisfied } from './constraints.js';
import { mod } from './field.js';

/** Wires (other than the constant and the inputs) whose change by some delta goes unnoticed. */
export function unconstrainedWires(r1cs: R1cs, witness: readonly bigint[], deltas: readonly bigint[] = [1n, -1n, 2n], index: ConstraintIndex = indexConstraints(r1cs)): number[] {
  const { first, end } = inputWires(r1cs);
  const loose: number[] = [];
  const tampered = [...witness];
  for (let wire = 1; wire < r1cs.nWires; wire++) {
    if (wire >= first && wire < end) continue;
    const constraints = index.byWire[wire] ?? [];
    for (const delta of deltas) {
      tampered[wire] = mod(witness[wire]! + delta, r1cs.prime);
      if (constraints.every((c) => isSatisfied(r1cs, c, tampered))) {
        loose.push(wire);
        break;
      }
    }
    tampered[wire] = witness[wire]!;
  }
  return loose;
}
