/**
 * The soundness audit of one compiled circuit: the structural check (structure.ts), then, for
 * each honest witness, every attack (attacks.ts) turned into a consistent alternative witness
 * (propagate.ts) and checked against the R1CS. A tampered witness that satisfies every
 * constraint must leave every public output as it was (and an out-of-range input must never
 * pass); otherwise the audit names the template, the signal and the attack.
 */
import { ZkinferError } from '../../core/errors.js';
import type { OnProgress } from '../../core/progress.js';
import type { R1cs } from '../r1cs.js';
import { type Attack, type AttackFamily, type ComponentFacts, attacksOn } from './attacks.js';
import { type ConstraintIndex, indexConstraints, isSatisfied } from './constraints.js';
import { type Dataflow, analyzeDataflow, solveBits } from './dataflow.js';
import { mod, powersOfTwo } from './field.js';
import { Workspace } from './propagate.js';
import { type GroupCounts, type OutputStatus, analyzeStructure } from './structure.js';
import { type TemplateTable, type WireSymbol, readSignals, readSymbols, readTemplateTable, templateOf, wireName } from './symbols.js';

export type FindingKind =
  /** A tampered witness satisfies every constraint and changes a public output (or passes an out-of-range input). */
  | 'accepted'
  /** A non-input wire (or, where every public input must be used, a public input) that appears in no constraint. */
  | 'unconstrained'
  /** A public output that shares no constraint with any other wire. */
  | 'untied-output'
  /** A decomposition whose width is not the planned one, or a planned one that is missing. */
  | 'width'
  /** An honest witness that does not satisfy the R1CS. */
  | 'honest'
  /** A model circuit's op with fewer constraints than its plan: some value it should pin (a product, a bit) is free. */
  | 'missing-constraints';

export interface AuditFinding {
  kind: FindingKind;
  template: string;
  component: string;
  signal: string;
  attack?: string;
  /** Which honest witness the attack started from. */
  witness?: string;
  /** Public outputs the accepted witness changes: name, honest value, tampered value (field elements). */
  outputs?: { name: string; honest: string; tampered: string }[];
  message: string;
}

export interface AttackCounts {
  total: number;
  /** Some constraint refuses the tampered witness. */
  rejected: number;
  /** Accepted, with every public output unchanged: another witness for the same statement, which is harmless. */
  absorbed: number;
  /** The forced values were the honest ones as field elements (p - 0 is 0). */
  identical: number;
  /** Accepted with a changed output: findings. */
  accepted: number;
  /** Time spent on these attacks. */
  ms: number;
}

export interface TemplateAudit extends GroupCounts {
  attacks: AttackCounts;
}

export interface AuditReport {
  /** No findings. */
  ok: boolean;
  constraints: number;
  wires: number;
  witnesses: string[];
  outputs: OutputStatus[];
  templates: TemplateAudit[];
  attacks: Record<AttackFamily, AttackCounts>;
  /** Per kind of attack ('quotient - 1, remainder + 2^shift', 'negative zero', …): what became of it. */
  attackKinds: Record<string, AttackCounts>;
  findings: AuditFinding[];
  /** Findings beyond those listed (the same template, signal and attack on another witness is listed once). */
  moreFindings: number;
  ms: number;
}

export interface CircuitUnderAudit {
  r1cs: R1cs;
  /** The .sym file's text. */
  sym: string;
  /** Circom sources of the circuit and its includes: how component names map to templates. */
  sources: readonly string[];
}

export interface AuditOptions {
  /** Honest witnesses (each must satisfy the R1CS), named for the report. */
  witnesses: readonly { name: string; witness: readonly bigint[] }[];
  /** Facts per component path (Requantize shifts, signed decompositions), for precise attack names. */
  facts?: ReadonlyMap<string, ComponentFacts>;
  /** Input wires and the range each must stay in: leaving it must be refused. */
  inputRanges?: ReadonlyMap<number, { min: bigint; max: bigint }>;
  /** Planned decomposition widths per component path: each must be exactly so. */
  widths?: ReadonlyMap<string, number>;
  /**
   * Every public input must appear in a constraint (as in emitted model circuits: the input's
   * range checks, the recipient's product). Test harnesses of single templates may leave some out.
   */
  publicInputsConstrained?: boolean;
  onProgress?: OnProgress;
  /** Findings to list in full (default 50). */
  maxFindings?: number;
}

const emptyCounts = (): AttackCounts => ({ total: 0, rejected: 0, absorbed: 0, identical: 0, accepted: 0, ms: 0 });

interface Prepared {
  index: ConstraintIndex;
  flow: Dataflow;
  symbols: (WireSymbol | undefined)[];
  signals: Map<string, number>;
  table: TemplateTable;
}

function describeSignal(symbols: readonly (WireSymbol | undefined)[], table: TemplateTable, wire: number): { template: string; component: string; signal: string } {
  const s = symbols[wire];
  return { template: s?.template ?? table.main, component: s?.component ?? '', signal: wireName(symbols, wire) };
}

/** The wires an attack forces, its decomposition's other bits re-solved around them; undefined when no boolean bits make up the difference. */
function forcedValues(ws: Workspace, attack: Attack): ReadonlyMap<number, bigint> | undefined {
  if (!attack.refit) return attack.forced;
  const solved = solveBits(ws.index.r1cs, attack.refit, ws.witness, attack.forced);
  return solved && new Map([...attack.forced, ...attack.refit.wires.map((w, i) => [w, solved[i]!] as const)]);
}

/** Run one attack on the workspace (restored afterwards): the verdict and, when accepted, the outputs changed and their values. */
function runAttack(ws: Workspace, attack: Attack): { verdict: 'rejected' | 'identical' | 'absorbed' | 'accepted'; outputs: { wire: number; value: bigint }[] } {
  const r1cs = ws.index.r1cs;
  const forced = forcedValues(ws, attack);
  if (!forced) return { verdict: 'rejected', outputs: [] };
  try {
    const result = ws.tamper(forced);
    if (result.changed.length === 0) return { verdict: 'identical', outputs: [] };
    if (result.violated.length > 0) return { verdict: 'rejected', outputs: [] };
    const outputs = result.changed.filter((w) => w >= 1 && w <= r1cs.nPubOut).map((wire) => ({ wire, value: ws.witness[wire]! }));
    return { verdict: outputs.length > 0 || attack.mustReject ? 'accepted' : 'absorbed', outputs };
  } finally {
    ws.restore();
  }
}

/** The report when no honest witness is usable: nothing was attacked. */
function emptyReport(r1cs: R1cs): Omit<AuditReport, 'findings' | 'ms'> {
  const families = { wire: emptyCounts(), bits: emptyCounts(), argmax: emptyCounts(), division: emptyCounts(), input: emptyCounts() };
  return { ok: false, constraints: r1cs.constraints.length, wires: r1cs.nWires, witnesses: [], outputs: [], templates: [], attacks: families, attackKinds: {}, moreFindings: 0 };
}

function prepare(circuit: CircuitUnderAudit, honest: readonly bigint[]): Prepared {
  const index = indexConstraints(circuit.r1cs);
  const table = readTemplateTable(circuit.sources);
  const symbols = readSymbols(circuit.sym, circuit.r1cs.nWires, table);
  return { index, flow: analyzeDataflow(index, honest), symbols, signals: readSignals(circuit.sym), table };
}

export function auditCircuit(circuit: CircuitUnderAudit, options: AuditOptions): AuditReport {
  const started = performance.now();
  const { r1cs } = circuit;
  const p = r1cs.prime;
  const findings: AuditFinding[] = [];
  const seen = new Set<string>();
  let moreFindings = 0;
  const maxFindings = options.maxFindings ?? 50;
  const report = (finding: AuditFinding) => {
    // The same template, signal and attack on another witness is listed once; a broken witness each time.
    const key = `${finding.kind}|${finding.signal}|${finding.attack ?? ''}|${finding.kind === 'honest' ? finding.witness : ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (findings.length < maxFindings) findings.push(finding);
    else moreFindings++;
  };
  if (options.witnesses.length === 0) throw new ZkinferError('USAGE', 'the audit needs at least one honest witness');

  const honestOk = options.witnesses.filter(({ name, witness }) => {
    const problem =
      witness.length !== r1cs.nWires || mod(witness[0]!, p) !== 1n
        ? `has ${witness.length} values (the circuit has ${r1cs.nWires} wires) or does not start with 1`
        : ((bad) => (bad >= 0 ? `violates constraint ${bad}` : undefined))(r1cs.constraints.findIndex((_, c) => !isSatisfied(r1cs, c, witness)));
    if (problem) report({ kind: 'honest', template: '', component: '', signal: '', witness: name, message: `the honest witness '${name}' ${problem}: the circuit or the witness generator is broken` });
    return problem === undefined;
  });
  if (honestOk.length === 0) return { ...emptyReport(r1cs), findings, ms: performance.now() - started };
  const prepared = prepare(circuit, honestOk[0]!.witness);
  const { index, flow, symbols, signals, table } = prepared;

  // Structure: unconstrained wires, untied outputs, planned widths.
  const structure = analyzeStructure(index, flow, symbols, table);
  for (const w of structure.unconstrained) {
    report({ kind: 'unconstrained', ...describeSignal(symbols, table, w), message: `${wireName(symbols, w)} appears in no constraint: the prover can set it to anything` });
  }
  // A public input in no constraint (the recipient, without its product) is something the circuit
  // does not look at, held to the proof only by the setup's extra row per public input (snarkjs
  // adds one; not every proof system does). Unused private inputs are harmless.
  if (options.publicInputsConstrained) {
    for (const w of structure.unusedInputs) {
      if (w <= r1cs.nPubOut + r1cs.nPubIn) report({ kind: 'unconstrained', ...describeSignal(symbols, table, w), message: `the public input ${wireName(symbols, w)} appears in no constraint: no constraint binds the proof to its value` });
    }
  }
  for (const o of structure.outputs) {
    if (!o.tied) report({ kind: 'untied-output', ...describeSignal(symbols, table, o.wire), message: `the public output ${o.name} shares no constraint with any other wire: nothing ties it to the inputs` });
  }
  if (options.widths) {
    // zkinfer's decompositions name bits 1..n-1 `bits[k - 1]`, and bit 0 is folded into a constraint
    // or (Requantize) the signal `b0`: n bits are n - 1 `bits` signals plus one. A bit circom's
    // optimizer substituted by a linear expression (wire -1 in the symbols) keeps its booleanity
    // constraint, rewritten; every other bit must have one.
    const found = new Map<string, number>();
    for (const [name, wire] of signals) {
      const bit = /^(.*)\.(?:bits\[\d+\]|(b0))$/.exec(name);
      if (!bit) continue;
      if (bit[2] === undefined) found.set(bit[1]!, (found.get(bit[1]!) ?? 1) + 1);
      if (wire >= 0 && !flow.booleans.has(wire)) {
        report({ kind: 'width', template: templateOf(table, bit[1]!), component: bit[1]!, signal: name, message: `${name} is a bit with no booleanity constraint` });
      }
    }
    for (const [component, width] of options.widths) {
      const actual = found.get(component);
      if (actual !== width) {
        report({
          kind: 'width',
          template: templateOf(table, component),
          component,
          signal: `${component}.bits`,
          message: actual === undefined ? `${component}: no ${width}-bit decomposition found` : `${component} decomposes ${actual} bits, the plan says ${width}`,
        });
      }
    }
  }

  // Attacks on each honest witness.
  const families: Record<AttackFamily, AttackCounts> = { wire: emptyCounts(), bits: emptyCounts(), argmax: emptyCounts(), division: emptyCounts(), input: emptyCounts() };
  const byGroup = new Map<string, AttackCounts>();
  const byKind: Record<string, AttackCounts> = {};
  const powers = powersOfTwo(p);
  honestOk.forEach(({ name, witness }, k) => {
    options.onProgress?.({ step: 'audit', message: `attacking witness '${name}'`, done: k, total: honestOk.length });
    const ws = new Workspace(index, flow, witness);
    const ctx = { r1cs, flow, honest: witness, symbols, signals, facts: options.facts ?? new Map(), inputRanges: options.inputRanges ?? new Map(), powers };
    for (const attack of attacksOn(ctx)) {
      const t0 = performance.now();
      const { verdict, outputs } = runAttack(ws, attack);
      const spent = performance.now() - t0;
      const group = symbols[attack.target]?.group ?? '?';
      const counts = byGroup.get(group) ?? byGroup.set(group, emptyCounts()).get(group)!;
      for (const c of [counts, families[attack.family], (byKind[attack.kind] ??= emptyCounts())]) {
        c.total++;
        c[verdict]++;
        c.ms += spent;
      }
      if (verdict !== 'accepted') continue;
      report({
        kind: 'accepted',
        ...describeSignal(symbols, table, attack.target),
        attack: attack.name,
        witness: name,
        outputs: outputs.map(({ wire, value }) => ({ name: wireName(symbols, wire), honest: witness[wire]!.toString(), tampered: value.toString() })),
        message: outputs.length
          ? `a witness with ${wireName(symbols, attack.target)} tampered (${attack.name}) satisfies every constraint and changes ${outputs.map(({ wire }) => wireName(symbols, wire)).join(', ')}`
          : `a witness with ${wireName(symbols, attack.target)} tampered (${attack.name}) satisfies every constraint, though it must be refused`,
      });
    }
  });
  options.onProgress?.({ step: 'audit', message: 'done', done: honestOk.length, total: honestOk.length });

  const templates: TemplateAudit[] = structure.groups.map((g) => ({ ...g, attacks: byGroup.get(g.group) ?? emptyCounts() }));
  return {
    ok: findings.length === 0 && moreFindings === 0,
    constraints: r1cs.constraints.length,
    wires: r1cs.nWires,
    witnesses: honestOk.map((w) => w.name),
    outputs: structure.outputs,
    templates,
    attacks: families,
    attackKinds: byKind,
    findings,
    moreFindings,
    ms: performance.now() - started,
  };
}
