/**
 * The audit's tampered witnesses are cheap because Workspace.tamper recomputes only what the forced
 * values reach, checks only the constraints their changes touch, and refuses an attack as soon as
 * a constraint that no recomputation can change is broken. Its verdict must be the one a whole
 * recomputation gives: every definition solved again in the dataflow's order, then every
 * constraint checked by circuits/r1cs.ts's own checker. Held here on every attack (refused or
 * not; of the refused, every eighth) on a residual graph model and a convolutional one.
 */
import * as fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { attacksOn } from '../../circuits/audit/attacks.js';
import { indexConstraints } from '../../circuits/audit/constraints.js';
import { type Dataflow, analyzeDataflow, solveBits, solveLinear, solveSystem } from '../../circuits/audit/dataflow.js';
import { mod, powersOfTwo } from '../../circuits/audit/field.js';
import { auditInputs, modelAuditFacts } from '../../circuits/audit/model.js';
import { Workspace } from '../../circuits/audit/propagate.js';
import { readSignals, readSymbols, readTemplateTable } from '../../circuits/audit/symbols.js';
import { type R1cs, firstViolatedConstraint } from '../../circuits/r1cs.js';
import { witnessInput } from '../../circuits/signals.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { compileModel } from '../helpers/circuits.js';
import { CONV_CASES, GRAPH_CASES } from '../helpers/model-cases.js';

/** Force the values, re-solve every definition from the earliest one a forced wire has on, check every constraint: does the witness stand? */
function standsWhole(r1cs: R1cs, flow: Dataflow, honest: readonly bigint[], forced: ReadonlyMap<number, bigint>): boolean {
  const p = r1cs.prime;
  const witness = [...honest];
  for (const [w, v] of forced) witness[w] = mod(v, p);
  // A definition before every forced wire's reads only wires determined before it: it keeps its honest value.
  const from = Math.min(...[...forced.keys()].map((w) => flow.definitionOf[w]!));
  for (let d = Math.max(from, 0); d < flow.definitions.length; d++) {
    const def = flow.definitions[d]!;
    if (def.kind === 'hint' || def.wires.some((w) => forced.has(w))) continue;
    const values = def.kind === 'linear' ? [solveLinear(r1cs, def.constraint, def.wires[0], witness)] : def.kind === 'bits' ? solveBits(r1cs, def, witness) : solveSystem(r1cs, def, witness);
    if (!values || values.some((v) => v === undefined)) return false;
    def.wires.forEach((w, i) => (witness[w] = values[i]!));
  }
  return firstViolatedConstraint(r1cs, witness) === -1;
}

const REFUSED_STRIDE = 8;

const cases = [GRAPH_CASES.find((c) => c.name.startsWith('residual'))!, CONV_CASES[0]!];

describe('tampered witnesses: the incremental verdict is the whole recomputation', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { model } = quantizeModel(c.float(), c.options);
      const circuit = await compileModel(model);
      const { r1cs } = circuit;
      const sym = await fs.readFile(circuit.files.sym, 'utf8');
      const signals = readSignals(sym);
      const symbols = readSymbols(sym, r1cs.nWires, readTemplateTable([circuit.source]));
      const [input] = auditInputs(model, 1, 3).slice(-1);
      const honest = await circuit.witness.calculate(witnessInput(model, circuit.plan, input!.values, 0n));
      const index = indexConstraints(r1cs);
      const flow = analyzeDataflow(index, honest);
      const { facts, inputRanges } = modelAuditFacts(model, circuit.plan, signals);
      const ws = new Workspace(index, flow, honest);
      const verdicts = { stood: 0, refused: 0 };
      for (const attack of attacksOn({ r1cs, flow, honest, symbols, signals, facts, inputRanges, powers: powersOfTwo(r1cs.prime) })) {
        const refit = attack.refit && solveBits(r1cs, attack.refit, honest, attack.forced);
        if (attack.refit && !refit) continue; // no bits hold the difference: refused before any witness is built
        const forced = refit ? new Map([...attack.forced, ...attack.refit!.wires.map((w, i) => [w, refit[i]!] as const)]) : attack.forced;
        const stands = ws.tamper(forced).violated.length === 0;
        ws.restore();
        // Every witness that stands is recomputed whole; of the refused ones (most, and each whole
        // recomputation costs the circuit) every REFUSED_STRIDE-th, to keep the suite's time.
        if (stands || verdicts.refused % REFUSED_STRIDE === 0) {
          expect(stands, `${attack.name} on wire ${attack.target}`).toBe(standsWhole(r1cs, flow, honest, forced));
        }
        verdicts[stands ? 'stood' : 'refused']++;
      }
      expect(verdicts.stood).toBeGreaterThan(0);
      expect(verdicts.refused).toBeGreaterThan(0);
    });
  }
});
