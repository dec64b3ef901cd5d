/**
 * Single-wire tampering: change one witness value at a time and check the R1CS notices.
 * zkinfer's circuits determine every wire from the inputs, so an honest witness with any one
 * non-input wire changed must violate some constraint; one that does not is an unconstrained hint.
 */
import type { R1cs } from '../../circuits/r1cs.js';

function wireIndex(r1cs: R1cs): Map<number, number[]> {
  const index = new Map<number, number[]>();
  r1cs.constraints.forEach((constraint, c) => {
    for (const lc of constraint) for (const wire of lc.keys()) (index.get(wire) ?? index.set(wire, []).get(wire)!).push(c);
  });
  return index;
}

function satisfied(r1cs: R1cs, c: number, witness: readonly bigint[]): boolean {
  const p = r1cs.prime;
  const [a, b, cc] = r1cs.constraints[c].map((lc) => {
    let sum = 0n;
    for (const [wire, coef] of lc) sum += coef * witness[wire];
    return sum % p;
  });
  return (a * b - cc) % p === 0n;
}

/** Wires (other than the constant and the inputs) whose change by each delta goes unnoticed. */
export function unconstrainedWires(r1cs: R1cs, witness: readonly bigint[], deltas: readonly bigint[] = [1n, -1n, 2n]): number[] {
  const byWire = wireIndex(r1cs);
  const firstInput = 1 + r1cs.nPubOut;
  const inputs = new Set(Array.from({ length: r1cs.nPubIn + r1cs.nPrvIn }, (_, i) => firstInput + i));
  const loose: number[] = [];
  const tampered = [...witness];
  for (let wire = 1; wire < r1cs.nWires; wire++) {
    if (inputs.has(wire)) continue;
    const constraints = byWire.get(wire) ?? [];
    for (const delta of deltas) {
      tampered[wire] = (((witness[wire] + delta) % r1cs.prime) + r1cs.prime) % r1cs.prime;
      if (constraints.every((c) => satisfied(r1cs, c, tampered))) {
        loose.push(wire);
        break;
      }
    }
    tampered[wire] = witness[wire];
  }
  return loose;
}
