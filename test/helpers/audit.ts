/** Audit small test circuits: compile (cached), compute honest witnesses, run the library's audit. */
import * as fs from 'node:fs/promises';
import { auditCircuit, type AuditOptions, type AuditReport } from '../../circuits/audit/index.js';
import { circuitSources } from '../../circuits/audit/sources.js';
import { CIRCUIT_INCLUDES } from '../../circuits/emit/index.js';
import { readR1cs } from '../../circuits/r1cs.js';
import { type CircuitInput, loadWitnessCalculator } from '../../circuits/witness.js';
import { compileSource } from './circuits.js';

export interface AuditSourceOptions extends Omit<AuditOptions, 'witnesses'> {
  includes?: readonly string[];
}

export async function auditSource(source: string, inputs: readonly CircuitInput[], options: AuditSourceOptions = {}): Promise<AuditReport> {
  const { includes = CIRCUIT_INCLUDES, ...rest } = options;
  const { files } = await compileSource(source, includes);
  const r1cs = await readR1cs(files.r1cs);
  const calculator = await loadWitnessCalculator(files.wasm);
  const witnesses = [];
  for (const [k, input] of inputs.entries()) witnesses.push({ name: `input ${k}`, witness: await calculator.calculate(input) });
  return auditCircuit({ r1cs, sym: await fs.readFile(files.sym, 'utf8'), sources: await circuitSources(source, includes) }, { ...rest, witnesses });
}

/** One line per finding, for assertion messages. */
export function describeFindings(report: AuditReport): string {
  return report.findings.map((f) => `${f.kind}: ${f.template} ${f.signal}${f.attack ? ` [${f.attack}]` : ''}: ${f.message}`).join('\n') || 'no findings';
}
