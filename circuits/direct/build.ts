/**
 * The direct path: a QModel's R1CS (and, given an input, its witness) built from the plan, without
 * circom. It follows circuits/emit op by op and gives the constraint system circom --O2 makes of
 * the emitted .circom, with the same wire names; the emitted .circom stays the reviewable
 * description. Not yet wired into `zkinfer compile` (see docs/ARCHITECTURE.md).
 *
 * Supported: --input public|private, --output public|private, --params fixed, with or without a
 * bound recipient. The hashed modes (Poseidon, RangePack, Dot) are refused.
 */
import { ZkinferError } from '../../core/errors.js';
import { averageMultipliers, convTermTable, poolWindowTable } from '../../model/geometry.js';
import { type QModel, type QOp, logitsOpIndex } from '../../model/ir.js';
import { checkQuantizedInput } from '../../model/reference.js';
import { publicSignalLayout } from '../layout.js';
import { type OpPlan, planCircuit } from '../plan.js';
import { type Visibility, bindsRecipient, describeVisibility } from '../visibility.js';
import { type Chooser, ConstraintSystem, type DirectR1cs, type Expr, combine, constant } from './system.js';
import { type Component, argmax, maxPair, rangeCheck, requantize } from './templates.js';

export interface DirectInput {
  /** The quantized input, for the witness. */
  input?: readonly number[];
  /** The recipient address, when the circuit binds one. */
  recipient?: bigint;
}

/** Ranks: the main template's signals first, then each component's, in creation order. */
const COMPONENT = 1e12;
const PER_COMPONENT = 1e6;
const MAIN_OP = 1e7;

export function buildDirectR1cs(model: QModel, visibility: Visibility, witness: DirectInput = {}, choose?: Chooser): DirectR1cs {
  if (visibility.input === 'hashed' || visibility.output === 'hashed' || visibility.params === 'hashed') {
    throw new ZkinferError('MODEL_UNSUPPORTED', `the direct R1CS path does not build hashed modes yet (${describeVisibility(visibility)}): use --input and --output public or private, --params fixed`);
  }
  const plan = planCircuit(model, visibility);
  const layout = publicSignalLayout(model, visibility);
  if (witness.input) checkQuantizedInput(model, witness.input);
  if (bindsRecipient(visibility) && witness.input && witness.recipient === undefined) throw new ZkinferError('USAGE', 'the direct witness needs the recipient this circuit binds');
  const sys = new ConstraintSystem();
  let components = 0;
  const component = (name: string): Component => {
    const base = COMPONENT + components++ * PER_COMPONENT;
    return { name, rank: (k) => base + k };
  };

  // The main template's inputs and outputs, in circom's order: outputs, then inputs.
  let mainRank = 0;
  const outputs = layout.names.filter((name) => !name.startsWith('in[') && name !== 'recipient');
  const outputWires = new Map(outputs.map((name) => [name, sys.wire(name, mainRank++, undefined, true)]));
  const input = Array.from({ length: plan.input.size }, (_, i) => sys.wire(`in[${i}]`, mainRank++, witness.input ? BigInt(witness.input[i]) : undefined, true));
  const recipient = bindsRecipient(visibility) ? sys.wire('recipient', mainRank++, witness.recipient, true) : undefined;

  const inputRange = Array.from({ length: plan.input.size }, (_, i) => component(`input_range[${i}]`));
  input.forEach((x, i) => rangeCheck(sys, inputRange[i], combine([[1, x], [-plan.input.min, constant(1)]]), plan.input.bits));

  let current: Expr[] = input;
  const values: Expr[][] = [];
  model.ops.forEach((op, index) => {
    const next = model.ops[index + 1];
    current = runOp(sys, op, plan.ops[index], index, current, component);
    // Signals the emitter declares (every op's output but a dense or convolution one a rescale reads) carry main's names.
    const declared = !((op.kind === 'dense' || op.kind === 'conv2d') && next?.kind === 'rescale');
    if (declared) current = current.map((e, j) => sys.define(`op${index}_out[${j}]`, MAIN_OP * (1 + index) + j, e));
    values.push(current);
  });
  const logitsIndex = logitsOpIndex(model);
  const logits = values[logitsIndex].map((e, j) => sys.define(`op${logitsIndex}_out[${j}]`, MAIN_OP * (1 + logitsIndex) + j, e));

  // Main outputs: each is a wire held equal to what computes it (circom keeps them, eliminating another wire).
  const setOutput = (name: string, e: Expr) => {
    const wire = outputWires.get(name)!;
    if (e.value !== undefined) sys.setValue(wire, e.value);
    sys.zero(combine([[1, wire], [-1, e]]));
  };
  if (layout.logits) logits.forEach((e, j) => setOutput(`logits[${j}]`, e));
  if (layout.label !== undefined) setOutput('label', current[0]);
  if (recipient) sys.product('recipientSquare', MAIN_OP * (1 + model.ops.length), recipient, recipient);

  const pub = layout.names.filter((name) => name.startsWith('in[') || name === 'recipient');
  const prv = layout.input ? [] : input.map((_, i) => `in[${i}]`);
  return sys.finish({ pubOut: outputs, pubIn: pub, prvIn: prv }, choose);
}

function runOp(sys: ConstraintSystem, op: QOp, plan: OpPlan, index: number, x: Expr[], component: (name: string) => Component): Expr[] {
  const p = `op${index}_`;
  switch (op.kind) {
    case 'dense':
      return op.weights.map((row, j) => combine([[op.bias[j], constant(1)], ...row.map((w, t): [number, Expr] => [w, x[t]])]));
    case 'conv2d': {
      const { table, rowLength } = convTermTable(op);
      const channels = op.outShape[2];
      return Array.from({ length: table.length / rowLength }, (_, j) => {
        const row = op.weights[j % channels];
        const terms: [number, Expr][] = [[op.bias[j % channels], constant(1)]];
        for (let t = 0; t < rowLength; t++) if (table[j * rowLength + t] >= 0) terms.push([row[t], x[table[j * rowLength + t]]]);
        return combine(terms);
      });
    }
    case 'avgPool': {
      const { multipliers } = averageMultipliers(op);
      const windows = poolWindowTable(op);
      return spatial(op.outShape, (position, c) => combine(windows[position].map((at): [number, Expr] => [multipliers[position], x[at + c]])));
    }
    case 'maxPool': {
      if (plan.kind !== 'maxPool') throw new ZkinferError('INTERNAL', `op ${index}: plan of kind ${plan.kind} for a max pool`);
      const windows = poolWindowTable(op);
      const pairs = plan.pairs.flat();
      let k = 0;
      return spatial(op.outShape, (position, c) => {
        const [first, ...others] = windows[position];
        let cur = x[first + c];
        for (const at of others) {
          cur = maxPair(sys, component(`${p}max[${k}]`), x[at + c], cur, pairs[k]);
          k++;
        }
        return cur;
      });
    }
    case 'pad': {
      const [h, w, channels] = op.inShape;
      return spatial(op.outShape, (position, c) => {
        const [iy, ix] = [Math.floor(position / op.outShape[1]) - op.padding[0], (position % op.outShape[1]) - op.padding[1]];
        return iy < 0 || iy >= h || ix < 0 || ix >= w ? constant(0) : x[(iy * w + ix) * channels + c];
      });
    }
    case 'rescale': {
      if (plan.kind !== 'rescale') throw new ZkinferError('INTERNAL', `op ${index}: plan of kind ${plan.kind} for a rescale`);
      return x.map((dot, j) => requantize(sys, component(`${p}rq[${j}]`), dot, plan.elements[j], plan.leak));
    }
    case 'table':
      // Table activations have only the circom templates (circuits/templates/table.circom) so far.
      throw new ZkinferError('MODEL_UNSUPPORTED', `op ${index}: table activation '${op.name}' (${op.fn.name}) is not supported by the direct R1CS builder; compile with circom`);
    case 'argmax': {
      if (plan.kind !== 'argmax') throw new ZkinferError('INTERNAL', `op ${index}: plan of kind ${plan.kind} for an argmax`);
      const at = component(`${p}argmax`);
      const gaps = Array.from({ length: x.length }, (_, i) => component(`${p}argmax.gap[${i}]`));
      return [argmax(sys, at, (i) => gaps[i], x, plan.diffBits)];
    }
  }
}

/** An [OH, OW, C] output in flat order, from (oy·OW + ox, c). */
function spatial(outShape: readonly number[], each: (position: number, c: number) => Expr): Expr[] {
  const [oh, ow, oc] = outShape;
  const out: Expr[] = [];
  for (let position = 0; position < oh * ow; position++) for (let c = 0; c < oc; c++) out.push(each(position, c));
  return out;
}
