import type { OpPlan } from '../plan.js';
import type { QOp, QOpKind } from '../../model/ir.js';

/**
 * A value the main template holds: either a signal array, or the outputs of a dense or
 * convolution layer not yet turned into signals. Linear layers stay unmaterialized so that the
 * Requantize reading them gets their terms directly: no linear constraint is ever written for
 * them, which keeps circom's --O2 simplification small and fast.
 */
export type Value = { kind: 'signals'; name: string; size: number } | { kind: 'dot'; producer: DotProducer; size: number };

/** Terms of one output of a linear layer, as Circom expressions inside the producer's loops. */
export interface DotTerms {
  /** The flat output index. */
  j: string;
  /** Number of terms, weight row (a Circom array) and bias. */
  n: string;
  w: string;
  bias: string;
}

export interface DotProducer {
  /** Top-level Circom (constant functions) the loops need. */
  globals: string;
  /**
   * Circom loops over every output: `open` starts an output, `term` takes term t (the input
   * expression `src`, or none for padding), `close` ends the output.
   */
  render(open: (o: DotTerms) => string, term: (o: DotTerms & { t: string; src: string | null }) => string, close: (o: DotTerms) => string): string;
}

export interface EmitContext {
  /** The op's position: its signals and components are named op<index>_... */
  index: number;
  /** Its first input; `inputs` holds them all, in order (several for add, concat, mul). */
  input: Value;
  inputs: Value[];
  /** params hashed: weights and biases are the main template's private inputs op<index>_w and op<index>_b. */
  hashedParams: boolean;
}

export interface EmittedOp {
  /** Top-level Circom (functions holding constants), before the main template. */
  globals: string;
  /** Lines inside the main template. */
  body: string;
  output: Value;
}

/** An emitter is a pure function from an op and its plan to Circom text. */
export type Emitter<K extends QOpKind> = (op: Extract<QOp, { kind: K }>, plan: Extract<OpPlan, { kind: K }>, ctx: EmitContext) => EmittedOp;
