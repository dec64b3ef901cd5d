/**
 * QModel → the Circom source of its circuit. The main template checks and commits to the input,
 * then runs one emitter per op; the registry below is keyed by op kind, so a new kind does not
 * type-check until it has an emitter. Dense and convolution outputs stay unmaterialized terms
 * (see types.ts) until an op needs signals: a rescale reads the terms directly.
 */
import { type QModel, type QOpKind, hasArgmax, logitsOpIndex, opInputs, probabilitiesOpIndex } from '../../model/ir.js';
import { publicSignalLayout, type PublicSignalLayout } from '../layout.js';
import { type CircuitPlan, type OpPlan, type ParamsPlan, planCircuit } from '../plan.js';
import { DEFAULT_VISIBILITY, type Visibility, bindsRecipient, describeVisibility, takesSalt } from '../visibility.js';
import { emitArgmax } from './argmax.js';
import { emitAdd, emitConcat, emitMatMul, emitMul, emitTranspose } from './graph.js';
import { commentText } from './format.js';
import { emitConv2d, emitDense, materialize, multiply } from './linear.js';
import { emitAvgPool, emitMaxPool, emitPad } from './pool.js';
import { emitRescale } from './rescale.js';
import { emitNorm, emitSoftmax } from './rows.js';
import { emitTable } from './table.js';
import type { Emitter, Value } from './types.js';

const emitters: { [K in QOpKind]: Emitter<K> } = {
  dense: emitDense,
  conv2d: emitConv2d,
  avgPool: emitAvgPool,
  maxPool: emitMaxPool,
  pad: emitPad,
  rescale: emitRescale,
  table: emitTable,
  softmax: emitSoftmax,
  norm: emitNorm,
  argmax: emitArgmax,
  add: emitAdd,
  concat: emitConcat,
  mul: emitMul,
  matmul: emitMatMul,
  transpose: emitTranspose,
};

/** Ops that can read unmaterialized terms; every other op gets signals. */
const READS_TERMS: ReadonlySet<QOpKind> = new Set(['rescale', 'table']);

export interface EmittedCircuit {
  source: string;
  plan: CircuitPlan;
  layout: PublicSignalLayout;
}

/** Files the generated source may include; the compiler copies them next to it. */
export const CIRCUIT_INCLUDES = ['zkinfer.circom', 'table.circom', 'poseidon.circom', 'poseidon_constants.circom'] as const;

type Signals = Extract<Value, { kind: 'signals' }>;

/** The input's range checks, and its commitment when it is hashed. */
function emitInput(plan: CircuitPlan): string {
  const { size, bits, min, perElement } = plan.input;
  const range = `each value in [${min}, ${min + 2 ** bits - 1}]`;
  if (plan.visibility.input === 'hashed') {
    return `
    // input: ${range}, committed with Poseidon (${perElement} per field element)
    component input_commit = InputCommitment(${size}, ${bits}, ${min}, ${perElement});
    input_commit.in <== in;
    input_commit.salt <== salt;
    inputCommitment <== input_commit.commitment;
`;
  }
  return `
    // input (${plan.visibility.input}): ${range}
    component input_range[${size}];
    for (var i = 0; i < ${size}; i++) {
        input_range[i] = RangeCheck(${bits});
        input_range[i].in <== in[i] - ${min};
    }
`;
}

/** params hashed: range-check and pack every weight and bias, and commit to them. */
function emitParams(model: QModel, params: ParamsPlan): string {
  const lines: string[] = [];
  const { weights } = params;
  lines.push(`
    // parameters (private): ${weights.count} weights of ${weights.bits} bits and each layer's biases, committed with Poseidon
    component params_w = RangePack(${weights.count}, ${weights.bits}, ${-(2 ** (weights.bits - 1))}, ${weights.perElement});`);
  let offset = 0;
  model.ops.forEach((op, k) => {
    if (op.kind !== 'dense' && op.kind !== 'conv2d') return;
    const [rows, row] = [op.weights.length, op.weights[0]?.length ?? 0];
    lines.push(`
    for (var j = 0; j < ${rows}; j++) {
        for (var t = 0; t < ${row}; t++) {
            params_w.in[${offset} + j * ${row} + t] <== op${k}_w[j][t];
        }
    }`);
    offset += rows * row;
  });
  let used = Math.ceil(weights.count / weights.perElement);
  lines.push(`
    component params_hash = PoseidonChain(${params.hashed});
    for (var p = 0; p < ${used}; p++) {
        params_hash.in[p] <== params_w.packed[p];
    }`);
  for (const b of params.biases) {
    const n = Math.ceil(b.count / b.perElement);
    lines.push(`
    component params_b${b.op} = RangePack(${b.count}, ${b.bits}, ${-(2 ** (b.bits - 1))}, ${b.perElement});
    params_b${b.op}.in <== op${b.op}_b;
    for (var p = 0; p < ${n}; p++) {
        params_hash.in[${used} + p] <== params_b${b.op}.packed[p];
    }`);
    used += n;
  }
  lines.push(`
    paramsCommitment <== params_hash.out;
`);
  return lines.join('');
}

/** output hashed: commit to the salt, the label and the logits. */
function emitOutputCommitment(plan: CircuitPlan, label: Signals | undefined, logits: Signals): string {
  const parts = ['salt', ...(label ? [`${label.name}[0]`] : [])];
  return `
    // output (hashed): Poseidon of the salt, ${label ? 'the label and ' : ''}the logits
    component output_hash = PoseidonChain(${plan.outputHashed});
${parts.map((part, i) => `    output_hash.in[${i}] <== ${part};`).join('\n')}
    for (var i = 0; i < ${logits.size}; i++) {
        output_hash.in[${parts.length} + i] <== ${logits.name}[i];
    }
    outputCommitment <== output_hash.out;
`;
}

/**
 * recipient public: the address the proof is bound to. A public input in no constraint is held
 * only by the extra row per public input that snarkjs's setup adds (not every proof system does),
 * and the audit reports it; one product ties it in, and being non-linear, circom's --O2 keeps it.
 */
const RECIPIENT_BINDING = `
    // recipient (public): the address this proof is bound to, tied into the constraints
    signal recipientSquare;
    recipientSquare <== recipient * recipient;
`;

export function emitCircuit(model: QModel, visibility: Visibility = DEFAULT_VISIBILITY): EmittedCircuit {
  const plan = planCircuit(model, visibility);
  const layout = publicSignalLayout(model, visibility);
  const hashedParams = plan.params !== undefined;
  const globals: string[] = [];
  const body: string[] = [];
  const outputs: Value[] = [];
  const made = (emitted: { globals: string; body: string; output: Value }) => {
    globals.push(emitted.globals);
    body.push(emitted.body);
    return emitted.output;
  };
  const inputValue: Value = { kind: 'signals', name: 'in', size: plan.input.size };
  const readers = new Map<number, number>();
  model.ops.forEach((_op, k) => opInputs(model, k).forEach((i) => readers.set(i, (readers.get(i) ?? 0) + 1)));
  // Terms are rendered where they are read: a value read by several ops, or by one that needs signals, is materialized once.
  const valueOf = (i: number, readsTerms: boolean): Value => {
    if (i < 0) return inputValue;
    if (outputs[i].kind === 'dot' && (!readsTerms || readers.get(i)! > 1)) outputs[i] = made(materialize(outputs[i], `op${i}_out`));
    return outputs[i];
  };
  model.ops.forEach((op, index) => {
    const inputs = opInputs(model, index).map((i) => valueOf(i, READS_TERMS.has(op.kind)));
    let output = made((emitters[op.kind] as Emitter<QOpKind>)(op, plan.ops[index] as OpPlan, { index, input: inputs[0], inputs, hashedParams }));
    // Private weights make every term a product: turn them into signals at once.
    if (hashedParams && output.kind === 'dot') output = made(multiply(output, `op${index}_out`));
    outputs.push(output);
  });
  const logitsIndex = logitsOpIndex(model);
  const logits = made(materialize(outputs[logitsIndex], `op${logitsIndex}_out`)) as Signals;
  const label = hasArgmax(model) ? (outputs[outputs.length - 1] as Signals) : undefined;

  const inputs = [`    signal input in[${plan.input.size}];`];
  if (takesSalt(visibility)) inputs.push('    signal input salt;');
  if (hashedParams) {
    model.ops.forEach((op, k) => {
      if (op.kind === 'dense' || op.kind === 'conv2d') inputs.push(`    signal input op${k}_w[${op.weights.length}][${op.weights[0]?.length ?? 0}];`, `    signal input op${k}_b[${op.bias.length}];`);
    });
  }
  // Public inputs are declared last: snarkjs lists them after the outputs, in declaration order.
  const publicInputs = [...(layout.input ? ['in'] : []), ...(bindsRecipient(visibility) ? ['recipient'] : [])];
  if (bindsRecipient(visibility)) inputs.push('    signal input recipient;');
  const declarations = layout.names.filter((name) => !name.startsWith('in[') && name !== 'recipient').map((name) => name.replace(/\[\d+\]$/, ''));
  const arrays: Record<string, number> = { logits: logits.size, ...(layout.probabilities ? { probabilities: layout.probabilities.count } : {}) };
  const outputLines = [...new Set(declarations)].map((name) => (arrays[name] !== undefined ? `    signal output ${name}[${arrays[name]}];` : `    signal output ${name};`));
  const assignments: string[] = [];
  if (layout.logits) assignments.push(`    logits <== ${logits.name};`);
  if (layout.probabilities) assignments.push(`    probabilities <== ${(outputs[probabilitiesOpIndex(model)] as Signals).name};`);
  if (layout.label !== undefined) assignments.push(`    label <== ${label!.name}[0];`);
  const source = `pragma circom 2.1.0;

// Generated by zkinfer from the quantized model '${commentText(model.name)}' (${describeVisibility(visibility)}).
// Do not edit: regenerate with \`zkinfer compile\`. The integer semantics are model/reference.ts's.

include "zkinfer.circom";
${model.ops.some((op) => op.kind === 'table' || op.kind === 'softmax' || op.kind === 'norm') ? 'include "table.circom";\n' : ''}
${globals.join('')}
template Model() {
${inputs.join('\n')}
${outputLines.join('\n')}
${emitInput(plan)}${plan.params ? emitParams(model, plan.params) : ''}${body.join('')}
${assignments.join('\n')}
${layout.outputCommitment !== undefined ? emitOutputCommitment(plan, label, logits) : ''}${bindsRecipient(visibility) ? RECIPIENT_BINDING : ''}}

component main${publicInputs.length > 0 ? ` {public [${publicInputs.join(', ')}]}` : ''} = Model();
`;
  return { source, plan, layout };
}
