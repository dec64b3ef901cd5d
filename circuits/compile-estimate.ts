/**
 * What compiling a plan will cost circom2, predicted before it starts: CPU time (for the progress
 * bar) and peak memory (to refuse, naming the layer, a model that would not fit in circom2's 4 GB
 * WebAssembly heap instead of failing after minutes).
 *
 * A linear model of three measures of each op: its constraints, the terms of the linear expressions
 * circom builds for it (one per nonzero weight and output position: they are symbolically summed
 * and kept in the constraints), and its distinct weights (each a constant in the witness program's
 * code). The coefficients are fitted to circom2 0.2.23 on the six zoo models (docs/ARCHITECTURE.md
 * has the measurements); outside their range it is an estimate, not a bound.
 */
import { getHeapStatistics } from 'node:v8';
import { ZkinferError } from '../core/errors.js';
import { opSizes, type QModel } from '../model/ir.js';
import type { PhaseCpuMs } from './compile-progress.js';
import { type CircuitPlan, opCost, totalCost } from './plan.js';

/** The measures of one op (or of the whole circuit) that circom's cost follows. */
export interface CompileMeasures {
  constraints: number;
  /** Terms of the linear expressions: a nonzero weight once per output position it is used at. */
  terms: number;
  /** Distinct nonzero weights. */
  weights: number;
}

export interface CompileEstimate {
  /** circom's CPU time in each of its phases (CIRCOM_PHASES), in ms. */
  phaseCpuMs: PhaseCpuMs;
  /** circom's peak resident memory, in bytes. */
  peakBytes: number;
  /** Per op, in order: its measures and its share of the peak memory above the fixed part. */
  ops: (CompileMeasures & { kind: string; name: string; bytes: number })[];
}

/** circom2 is WebAssembly with 32-bit addresses: its heap ends at 4 GiB. */
export const CIRCOM_HEAP_BYTES = 4 * 2 ** 30;

interface Coefficients {
  fixed: number;
  constraint: number;
  term: number;
  weight: number;
}

// Least-squares fits (non-negative) to circom2 0.2.23 on the six zoo models, CPU in ms and memory
// in bytes: a fixed part, then per constraint, per term, per weight. Each fits its measurements
// within 10% (the total CPU time from 6.4 s to 127 s, the peak from 351 MiB to 1.45 GiB).
const PHASE_CPU_MS: readonly [Coefficients, Coefficients, Coefficients] = [
  { fixed: 0, constraint: 0.0058, term: 0.259, weight: 0.0498 },
  { fixed: 1078, constraint: 0.0111, term: 0.1296, weight: 0.0182 },
  { fixed: 2555, constraint: 0.0278, term: 0, weight: 0.1437 },
];
const MEMORY_BYTES: Coefficients = { fixed: 319.6e6, constraint: 975, term: 2363, weight: 12_109 };

function linear(c: Coefficients, m: CompileMeasures): number {
  return c.constraint * m.constraints + c.term * m.terms + c.weight * m.weights;
}

/**
 * The measures of each op: a dense, convolution or add op's terms and weights, every op's constraints.
 * With the parameters hashed, weights are signals, not constants in the code.
 */
export function compileMeasures(model: QModel, plan: CircuitPlan): CompileMeasures[] {
  const sizes = opSizes(model);
  return model.ops.map((op, k) => {
    const constraints = opCost(plan.ops[k]!);
    // An add's weights are one per element and input, each used once.
    if (op.kind === 'add') {
      const terms = op.weights.flat().filter((w) => w !== 0).length;
      return { constraints, terms, weights: terms };
    }
    if (op.kind !== 'dense' && op.kind !== 'conv2d') return { constraints, terms: 0, weights: 0 };
    const perRow = op.weights.map((row) => row.filter((w) => w !== 0).length);
    const weights = perRow.reduce((a, b) => a + b, 0);
    // A dense row is used once; a convolution channel's kernel at every output position.
    const positions = op.kind === 'dense' ? 1 : sizes[k]! / op.weights.length;
    return { constraints, terms: weights * positions, weights: plan.params ? 0 : weights };
  });
}

export function estimateCompile(model: QModel, plan: CircuitPlan): CompileEstimate {
  const perOp = compileMeasures(model, plan);
  const opsConstraints = perOp.reduce((sum, m) => sum + m.constraints, 0);
  // Input, parameters and output commitments: constraints that belong to no op.
  const other: CompileMeasures = { constraints: totalCost(plan) - opsConstraints, terms: 0, weights: 0 };
  const all = [...perOp, other];
  const phaseCpu = (phase: 0 | 1 | 2) => PHASE_CPU_MS[phase].fixed + all.reduce((sum, m) => sum + linear(PHASE_CPU_MS[phase], m), 0);
  return {
    phaseCpuMs: [phaseCpu(0), phaseCpu(1), phaseCpu(2)],
    peakBytes: MEMORY_BYTES.fixed + all.reduce((sum, m) => sum + linear(MEMORY_BYTES, m), 0),
    ops: perOp.map((m, k) => ({ ...m, kind: model.ops[k]!.kind, name: model.ops[k]!.name, bytes: linear(MEMORY_BYTES, m) })),
  };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** The op that needs the most of the compiler's memory, for errors. */
function largestOp(estimate: CompileEstimate): string {
  let k = 0;
  estimate.ops.forEach((op, i) => {
    if (op.bytes > estimate.ops[k]!.bytes) k = i;
  });
  const op = estimate.ops[k]!;
  return `op ${k}: ${op.kind} '${op.name}' (about ${gib(op.bytes)}: ${op.constraints} constraints, ${op.terms} terms, ${op.weights} weights)`;
}

/** Refuse, before starting, a circuit predicted not to fit in circom2's heap. */
export function checkCompileMemory(estimate: CompileEstimate): void {
  if (estimate.peakBytes <= CIRCOM_HEAP_BYTES) return;
  throw new ZkinferError(
    'MODEL_UNSUPPORTED',
    `this circuit would need about ${gib(estimate.peakBytes)} in circom2, whose heap ends at 4 GiB; the largest part is ${largestOp(estimate)}. ` +
      'Make that layer smaller (fewer channels or units, a stride or a pooling before it), or pass --skip-memory-estimate to try anyway',
    { details: { estimate } },
  );
}

/** The words for a compile that died for memory: which op is likely the cause. */
export function outOfMemoryHint(estimate: CompileEstimate): string {
  return `circom2 ran out of its 4 GiB heap (predicted peak ${gib(estimate.peakBytes)}); the largest part is ${largestOp(estimate)}`;
}

/**
 * The direct path (circuits/direct) builds the R1CS in this process's JavaScript heap: its peak
 * resident memory follows the constraints, about 1.6 KB each above the loaded toolkit (measured on
 * LeNet and a random 1.1M-constraint CNN: docs/ARCHITECTURE.md). The live heap is under half of
 * that, so comparing it with the heap's limit refuses early rather than late.
 */
const DIRECT_BYTES = { fixed: 150e6, constraint: 1_600 };

/** The direct build's predicted peak memory: its heap and the process's. */
export function estimateDirectBytes(plan: CircuitPlan): number {
  return DIRECT_BYTES.fixed + DIRECT_BYTES.constraint * totalCost(plan);
}

/** Refuse, before starting, a direct build predicted not to fit in this process's JavaScript heap. */
export function checkDirectMemory(plan: CircuitPlan, estimate: CompileEstimate, heapLimit = getHeapStatistics().heap_size_limit): void {
  const bytes = estimateDirectBytes(plan);
  if (bytes <= heapLimit) return;
  let k = 0;
  estimate.ops.forEach((op, i) => {
    if (op.constraints > estimate.ops[k]!.constraints) k = i;
  });
  const op = estimate.ops[k]!;
  throw new ZkinferError(
    'MODEL_UNSUPPORTED',
    `this circuit would need about ${gib(bytes)} to build directly (${totalCost(plan)} constraints), beyond this process's ${gib(heapLimit)} heap; the largest part is op ${k}: ${op.kind} '${op.name}' (${op.constraints} constraints). ` +
      'Give Node a larger heap (NODE_OPTIONS=--max-old-space-size=MiB) or make that layer smaller, or pass --skip-memory-estimate to try anyway',
    { details: { bytes, heapLimit } },
  );
}

