import type { OpPlan } from '../plan.js';
import type { QOp, QOpKind } from '../../model/ir.js';

/** Where an op reads its input and writes its output in the main template. */
export interface EmitContext {
  /** The op's position: its signals and components are named op<index>_... */
  index: number;
  /** The signal array holding the op's input. */
  input: string;
  inputSize: number;
}

export interface EmittedOp {
  /** Top-level Circom (functions holding constants), before the main template. */
  globals: string;
  /** Lines inside the main template. */
  body: string;
  /** The signal array holding the op's output. */
  output: string;
  outputSize: number;
}

/** An emitter is a pure function from an op and its plan to Circom text. */
export type Emitter<K extends QOpKind> = (
  op: Extract<QOp, { kind: K }>,
  plan: Extract<OpPlan, { kind: K }>,
  ctx: EmitContext,
) => EmittedOp;
