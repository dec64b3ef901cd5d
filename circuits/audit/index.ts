/** The soundness audit: see audit.ts. */
export { auditCircuit, type AuditFinding, type AuditOptions, type AuditReport, type AttackCounts, type CircuitUnderAudit, type FindingKind, type TemplateAudit } from './audit.js';
export type { ComponentFacts } from './attacks.js';
export { auditInputs, auditModelCircuit, modelAuditFacts, type ModelAuditOptions, type ModelCircuitFiles } from './model.js';
export { circuitSources } from './sources.js';
export { analyzeDataflow, type Dataflow, type Definition } from './dataflow.js';
export { indexConstraints, type ConstraintIndex } from './constraints.js';
export { readSymbols, readSignals, readTemplateTable, templateOf, type WireSymbol } from './symbols.js';
