/**
 * What the audit knows about an emitted model circuit from its plan (circuits/plan.ts): the width
 * each decomposition must have, which are signed, the shift of every Requantize (so the remainder
 * attack is named as such), and the input range. Component names follow circuits/emit/:
 * op<k>_rq[j] (Requantize, its ClipMax .clip), op<k>_ta[j] (TableActivation), op<k>_max[m] (MaxPair), op<k>_argmax (its
 * RangeChecks .gap[i]), op<k>_sm[r] (Softmax: RangeChecks .below[i], .quotientRange[i], .remainderRange[i],
 * .remainderBelow[i], TableActivations .e[i]), op<k>_nm[r] (Norm: RangeChecks .rRange, .below, .above), input_commit.pack or input_range (the input's RangeChecks), params_w and
 * params_b<k> (the parameters' RangeChecks, params hashed).
 */
import * as fs from 'node:fs/promises';
import { ADDRESS_LIMIT } from '../../core/address.js';
import { seededRandom } from '../../core/random.js';
import { type QModel, hasArgmax, inputRange, inputSize, logitsOpIndex } from '../../model/ir.js';
import { attributeConstraints } from '../attribution.js';
import { type CircuitPlan, opCost, planCircuit } from '../plan.js';
import { type R1cs, readR1cs } from '../r1cs.js';
import { witnessInput } from '../signals.js';
import { bindsRecipient } from '../visibility.js';
import { loadWitnessCalculator } from '../witness.js';
import type { ComponentFacts } from './attacks.js';
import { type AuditFinding, type AuditOptions, type AuditReport, auditCircuit } from './audit.js';
import { circuitSources } from './sources.js';
import { readSignals } from './symbols.js';

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
    } else if (op.kind === 'table') {
      // TableActivation decomposes as Requantize's relu mode: remainder below the shift, a sign on top.
      op.elements.forEach((e, j) => {
        if (e.nq === 0) return;
        facts.set(`op${k}_ta[${j}]`, { shift: e.shift, signed: true });
        expect(`op${k}_ta[${j}]`, e.shift + e.nq);
      });
    } else if (op.kind === 'maxPool') {
      op.pairs.flat().forEach((pair, m) => {
        if (pair.mode !== 2) return;
        facts.set(`op${k}_max[${m}]`, { signed: true });
        expect(`op${k}_max[${m}]`, pair.nq);
      });
    } else if (op.kind === 'argmax') {
      for (let i = 0; i < op.size; i++) expect(`op${k}_argmax.gap[${i}]`, op.diffBits);
    } else if (op.kind === 'norm') {
      for (let r = 0; r < op.rows; r++) {
        expect(`op${k}_nm[${r}].rRange`, op.rsqrtBits + 1);
        expect(`op${k}_nm[${r}].below`, 2 * op.rsqrtBits + 1);
        expect(`op${k}_nm[${r}].above`, op.highBits);
      }
    } else if (op.kind === 'softmax') {
      for (let r = 0; r < op.rows; r++) {
        for (let i = 0; i < op.rowSize; i++) {
          const row = `op${k}_sm[${r}]`;
          expect(`${row}.below[${i}]`, op.diffBits);
          expect(`${row}.quotientRange[${i}]`, op.probabilityBits + 1);
          expect(`${row}.remainderRange[${i}]`, op.sumBits);
          expect(`${row}.remainderBelow[${i}]`, op.sumBits);
          if (op.exp.nq === 0) continue;
          facts.set(`${row}.e[${i}]`, { shift: op.exp.shift, signed: true });
          expect(`${row}.e[${i}]`, op.exp.shift + op.exp.nq);
        }
      }
    }
  });
  const { min, max } = inputRange(model.input);
  const inputRanges = new Map<number, { min: bigint; max: bigint }>();
  const inputRange_ = plan.visibility.input === 'hashed' ? (i: number) => `input_commit.pack.range[${i}]` : (i: number) => `input_range[${i}]`;
  if (plan.params) {
    for (let i = 0; i < plan.params.weights.count; i++) expect(`params_w.range[${i}]`, plan.params.weights.bits);
    for (const b of plan.params.biases) for (let i = 0; i < b.count; i++) expect(`params_b${b.op}.range[${i}]`, b.bits);
  }
  for (let i = 0; i < plan.input.size; i++) {
    expect(inputRange_(i), plan.input.bits);
    const wire = signals.get(`in[${i}]`) ?? -1;
    if (wire >= 0) inputRanges.set(wire, { min: BigInt(min), max: BigInt(max) });
  }
  return { facts, widths, inputRanges };
}

export interface ModelCircuitFiles {
  r1cs: string;
  /** The witness generator: circom's .wasm or the direct path's .witness.json (circuits/witness.ts). */
  witness: string;
  sym: string;
  /** The generated Circom source (names components and templates). */
  circom: string;
}

export interface ModelAuditOptions extends Pick<AuditOptions, 'onProgress' | 'maxFindings'> {
  /** Quantized inputs to build honest witnesses from; default: auditInputs(model). */
  inputs?: readonly { name: string; values: readonly number[] }[];
  /** The circuit's plan, with its visibility (default: the default visibility's). */
  plan?: CircuitPlan;
}

/**
 * Honest inputs for the audit: every input at its minimum, at its maximum, alternating, and
 * `random` seeded random ones (so the attacks meet both signs of every ReLU and both sides of
 * every comparison more than once).
 */
export function auditInputs(model: QModel, random = 2, seed = 1): { name: string; values: number[] }[] {
  const n = inputSize(model.input);
  const { min, max } = inputRange(model.input);
  const next = seededRandom(seed);
  return [
    { name: 'all minimum', values: new Array<number>(n).fill(min) },
    { name: 'all maximum', values: new Array<number>(n).fill(max) },
    { name: 'alternating', values: Array.from({ length: n }, (_, i) => (i % 2 ? max : min)) },
    ...Array.from({ length: random }, (_, k) => ({ name: `random ${k + 1} (seed ${seed})`, values: Array.from({ length: n }, () => min + Math.floor(next() * (max - min + 1))) })),
  ];
}

/** The audit of a model's compiled circuit, with the widths, facts and input ranges its plan gives. */
export async function auditModelCircuit(model: QModel, files: ModelCircuitFiles, options: ModelAuditOptions = {}): Promise<AuditReport> {
  const [r1cs, sym, source, calculator] = await Promise.all([readR1cs(files.r1cs), fs.readFile(files.sym, 'utf8'), fs.readFile(files.circom, 'utf8'), loadWitnessCalculator(files.witness)]);
  const plan = options.plan ?? planCircuit(model);
  const { facts, widths, inputRanges } = modelAuditFacts(model, plan, readSignals(sym));
  const witnesses = [];
  for (const [k, input] of (options.inputs ?? auditInputs(model)).entries()) {
    // recipient public: the largest address, then others below it (any address gives the same constraints).
    const recipient = bindsRecipient(plan.visibility) ? ADDRESS_LIMIT - 1n - BigInt(k) : undefined;
    witnesses.push({ name: input.name, witness: await calculator.calculate(witnessInput(model, plan, input.values, BigInt(k), recipient)) });
  }
  const report = await auditCircuit(
    { r1cs, sym, sources: await circuitSources(source) },
    { witnesses, facts, widths, inputRanges, publicInputsConstrained: true, ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.maxFindings !== undefined ? { maxFindings: options.maxFindings } : {}) },
  );
  const missing = missingConstraints(model, plan, r1cs, sym);
  return missing.length === 0 ? report : { ...report, ok: false, findings: [...report.findings, ...missing] };
}

/**
 * Each op's constraints against its plan's cost. An attack changes one value at a time and lets
 * the rest follow, so a value the circuit leaves free (a product written with <-- instead of <==)
 * can hide behind the checks downstream of it; counting finds it: the op has fewer constraints
 * than its plan says it must.
 */
export function missingConstraints(model: QModel, plan: CircuitPlan, r1cs: R1cs, sym: string): AuditFinding[] {
  const last = model.ops.length - 1;
  const parts = attributeConstraints(r1cs, sym, { opCount: model.ops.length, logitsOp: logitsOpIndex(model), ...(hasArgmax(model) ? { labelOp: last } : {}) });
  return plan.ops.flatMap((op, k): AuditFinding[] => {
    const planned = opCost(op);
    if (parts.ops[k]! >= planned) return [];
    const name = model.ops[k]!.name;
    return [{ kind: 'missing-constraints', template: 'Model', component: `op${k}`, signal: `op${k}_out`, message: `op ${k} (${model.ops[k]!.kind} '${name}') has ${parts.ops[k]} constraints where its plan has ${planned}: some value it must pin is free` }];
  });
}
