/**
 * The direct path: a QModel's R1CS (and, given an input, its witness) built from the plan, without
 * circom. It follows circuits/emit op by op and gives the constraint system circom --O2 makes of
 * the emitted .circom, with the same wire names; the emitted .circom stays the reviewable
 * description.
 *
 * Every visibility: --input hashed|public|private, --output public|private|hashed, --params
 * fixed|hashed, with or without a bound recipient. Table activations, softmax, norms and graphs (add, concat,
 * mul, an op reading anything but the op before it) are refused: it builds chains only.
 */
import { ArtifactError, ZkinferError, quoted } from '../../core/errors.js';
import { averageMultipliers, convTermTable, poolWindowTable } from '../../model/geometry.js';
import { type QModel, type QOp, firstGraphOp, leakNumerator, logitsOpIndex, parseQModel, transposeSources } from '../../model/ir.js';
import { inputRange } from '../../model/ir.js';
import { publicSignalLayout } from '../layout.js';
import { type CircuitPlan, type OpPlan, planCircuit } from '../plan.js';
import { type Visibility, bindsRecipient, parseVisibility, takesSalt } from '../visibility.js';
import { type Block, inputCommitment, poseidonChain, rangePack } from './poseidon.js';
import { INPUT, type WitnessProgram } from './program.js';
import { DIRECT_WITNESS_FORMAT_V1, type DirectWitnessGenerator, checkDirectInput, paramShapes } from './witness.js';
import { Recorder, type Value } from './record.js';
import { type Chooser, ConstraintSystem, type DirectR1cs, type Expr, combine, constant } from './system.js';
import { type Component, argmax, maxPair, rangeCheck, requantize } from './templates.js';

export interface DirectInput {
  /** The quantized input, for the witness. */
  input?: readonly number[];
  /** The salt of the commitments, when the circuit takes one. */
  salt?: bigint;
  /** The recipient address, when the circuit binds one. */
  recipient?: bigint;
  /** params hashed: each dense or convolution op's weights and biases (default: the model's own), by op index. */
  params?: ReadonlyMap<number, { weights: readonly (readonly bigint[])[]; bias: readonly bigint[] }>;
}

/**
 * Ranks: the main template's signals first, then each component's block. circom numbers the main
 * template's components by name (arrays by index within), each with its subcomponents inside its block.
 */
const COMPONENT = 1e12;
const PER_COMPONENT = 1e8;
const MAIN_OP = 1e7;

/** The main template's components, by name: array name → element count (0: a single component). */
function mainComponents(model: QModel, plan: CircuitPlan): Map<string, number> {
  const arrays = new Map<string, number>();
  if (plan.visibility.input === 'hashed') arrays.set('input_commit', 0);
  else arrays.set('input_range', plan.input.size);
  if (plan.params) {
    arrays.set('params_w', 0).set('params_hash', 0);
    for (const b of plan.params.biases) arrays.set(`params_b${b.op}`, 0);
  }
  if (plan.outputHashed) arrays.set('output_hash', 0);
  model.ops.forEach((op, k) => {
    const p = plan.ops[k];
    if ((op.kind === 'dense' || op.kind === 'conv2d') && plan.params) arrays.set(`op${k}_out_dot`, op.kind === 'dense' ? op.outputSize : op.outShape[0] * op.outShape[1] * op.outShape[2]);
    if (p.kind === 'maxPool') arrays.set(`op${k}_max`, p.pairs.flat().length);
    if (p.kind === 'rescale') arrays.set(`op${k}_rq`, p.elements.length);
    if (p.kind === 'argmax') arrays.set(`op${k}_argmax`, 0);
  });
  return arrays;
}

/** `array` or `array[index]`, ranked where circom numbers it among the main template's components. */
type ComponentOf = (array: string, index?: number) => Component;

function componentRanks(arrays: Map<string, number>): ComponentOf {
  const first = new Map<string, number>();
  let next = 0;
  for (const name of [...arrays.keys()].sort()) {
    first.set(name, next);
    next += Math.max(1, arrays.get(name)!);
  }
  return (array, index) => {
    const at = first.get(array);
    if (at === undefined) throw new ZkinferError('INTERNAL', `the direct R1CS has no component ${array}`);
    const base = COMPONENT + (at + (index ?? 0)) * PER_COMPONENT;
    return { name: index === undefined ? array : `${array}[${index}]`, rank: (k) => base + k };
  };
}

const blockOf = (c: Component): Block => ({ name: c.name, base: c.rank(0) });

export interface DirectOptions {
  /** Which wire each linear constraint eliminates (default: circom's choice). */
  choose?: Chooser;
  /** Called before each op is built, and once more (done = total) before the elimination. */
  onOp?: (done: number, total: number) => void;
}

/**
 * What `--backend auto` compiles with: the direct path for every model it builds, circom for the
 * rest (directPathRefusal). Measured (docs/ARCHITECTURE.md, bench/RESULTS.md): the direct compile
 * takes 13–24 times less CPU than circom's, and its witness program is faster than circom's.
 */
export function chooseBackend(model: QModel): 'circom' | 'direct' {
  return directPathRefusal(model) === undefined ? 'direct' : 'circom';
}

/** Why the direct path cannot build this model, or undefined when it can. */
export function directPathRefusal(model: QModel): string | undefined {
  // Table activations, softmax and norms have only the circom templates (circuits/templates/table.circom) so far.
  const tableOp = model.ops.findIndex((op) => op.kind === 'table' || op.kind === 'softmax' || op.kind === 'norm');
  if (tableOp >= 0) {
    const op = model.ops[tableOp]!;
    return `op ${tableOp}: ${op.kind === 'table' ? `table activation '${op.name}' (${op.fn.name})` : `${op.kind} '${op.name}'`} is not supported by the direct R1CS builder`;
  }
  const graphOp = firstGraphOp(model);
  if (graphOp >= 0) {
    const op = model.ops[graphOp]!;
    return `op ${graphOp} ('${op.name}', ${op.kind}): the direct R1CS path builds chains of layers only, not graphs (add, concat, mul, or an op reading other than the op before it)`;
  }
  return undefined;
}

/** The main template's input values: of one input (a witness), recorded (a program), or none (the R1CS alone). */
interface InputValues {
  in(i: number): Value | undefined;
  salt(): Value | undefined;
  recipient(): Value | undefined;
  /** Weight t of row j of op k, whose value in the model is w. */
  weight(k: number, j: number, t: number, w: number): Value;
  bias(k: number, j: number, b: number): Value;
}

export function buildDirectR1cs(model: QModel, visibility: Visibility, witness: DirectInput = {}, options: DirectOptions = {}): DirectR1cs {
  const given = witness.input;
  if (given) checkDirectInput(model, visibility, { ...witness, input: given });
  return build(model, visibility, {
    in: (i) => (given ? BigInt(given[i]!) : undefined),
    salt: () => (given ? witness.salt : undefined),
    recipient: () => witness.recipient,
    weight: (k, j, t, w) => witness.params?.get(k)?.weights[j]![t] ?? BigInt(w),
    bias: (k, j, b) => witness.params?.get(k)?.bias[j] ?? BigInt(b),
  }, options);
}

/**
 * The R1CS and the witness program that computes its witness for any input, from one build: the
 * inputs are the program's registers, bounded by the model's input range and (params hashed)
 * the planned widths of the weights and biases; the salt and recipient are any field elements.
 */
export function recordDirectCircuit(model: QModel, visibility: Visibility, options: DirectOptions = {}): { r1cs: DirectR1cs; program: WitnessProgram } {
  const recorder = new Recorder();
  const { min, max } = inputRange(model.input);
  const params = directPathRefusal(model) ? undefined : planCircuit(model, visibility).params;
  const half = (bits: number) => 2 ** (bits - 1);
  const r1cs = build(model, visibility, {
    in: (i) => recorder.input({ kind: INPUT.in, row: i }, Math.max(-min, max)),
    salt: () => recorder.input({ kind: INPUT.salt }, Infinity),
    recipient: () => recorder.input({ kind: INPUT.recipient }, Infinity),
    weight: (k, j, t) => recorder.input({ kind: INPUT.weight, op: k, row: j, column: t }, half(params!.weights.bits)),
    bias: (k, j) => recorder.input({ kind: INPUT.bias, op: k, row: j }, half(params!.biases.find((b) => b.op === k)!.bits)),
  }, options);
  const program = recorder.finish(r1cs.values!);
  delete r1cs.values;
  return { r1cs, program };
}

/** A direct witness generator of the first format (model.witness.json: the model and visibility), its program recorded now; ARTIFACT_INVALID, naming the file and field, when it is not one. */
export function legacyDirectGenerator(json: unknown, file: string): DirectWitnessGenerator {
  const g = json as { format?: unknown; visibility?: unknown; wires?: unknown; constraints?: unknown; model?: unknown } | null;
  const fail = (what: string): never => {
    throw new ArtifactError('ARTIFACT_INVALID', `${file}: ${what}`, file);
  };
  if (typeof g !== 'object' || g === null || Array.isArray(g)) return fail('not a witness generator: neither circom\'s WebAssembly, a zkinfer witness program nor a JSON object');
  if (g.format !== DIRECT_WITNESS_FORMAT_V1) fail(`format must be '${DIRECT_WITNESS_FORMAT_V1}', found ${quoted(g.format)}`);
  for (const key of ['wires', 'constraints'] as const) if (!Number.isSafeInteger(g[key]) || (g[key] as number) < 1) fail(`${key} must be a positive integer, found ${quoted(g[key])}`);
  let visibility: Visibility;
  try {
    visibility = parseVisibility((g.visibility ?? {}) as Record<string, unknown>, `${file}: visibility`);
  } catch (error) {
    throw new ArtifactError('ARTIFACT_INVALID', (error as Error).message, file, { cause: error });
  }
  const model = parseQModel(g.model, `${file}: model`);
  const { r1cs, program } = recordDirectCircuit(model, visibility);
  if (r1cs.names.length !== g.wires || r1cs.constraints.length !== g.constraints) {
    throw new ZkinferError('ARTIFACT_INVALID', `the direct witness generator makes ${r1cs.names.length} wires and ${r1cs.constraints.length} constraints, its file says ${g.wires as number} and ${g.constraints as number}: compile again`);
  }
  return { visibility, wires: r1cs.names.length, constraints: r1cs.constraints.length, input: model.input, params: paramShapes(model), program };
}

function build(model: QModel, visibility: Visibility, given: InputValues, options: DirectOptions): DirectR1cs {
  const unsupported = directPathRefusal(model);
  if (unsupported) throw new ZkinferError('MODEL_UNSUPPORTED', `${unsupported}; compile this model with circom`);
  const plan = planCircuit(model, visibility);
  const layout = publicSignalLayout(model, visibility);
  const sys = new ConstraintSystem();
  const component = componentRanks(mainComponents(model, plan));

  // The main template's signals in circom's order: outputs, then inputs as declared (in, salt, weights, recipient).
  let mainRank = 0;
  const outputs = layout.names.filter((name) => !name.startsWith('in[') && name !== 'recipient');
  const outputWires = new Map(outputs.map((name) => [name, sys.wire(name, mainRank++, undefined, true)]));
  const input = Array.from({ length: plan.input.size }, (_, i) => sys.wire(`in[${i}]`, mainRank++, given.in(i), true));
  const salt = takesSalt(visibility) ? sys.wire('salt', mainRank++, given.salt(), true) : undefined;
  const params = new Map<number, { weights: Expr[][]; bias: Expr[] }>();
  const privateParams: string[] = [];
  if (plan.params) {
    model.ops.forEach((op, k) => {
      if (op.kind !== 'dense' && op.kind !== 'conv2d') return;
      const named = (name: string, v: Value) => {
        privateParams.push(name);
        return sys.wire(name, mainRank++, v, true);
      };
      const weights = op.weights.map((row, j) => row.map((w, t) => named(`op${k}_w[${j}][${t}]`, given.weight(k, j, t, w))));
      params.set(k, { weights, bias: op.bias.map((b, j) => named(`op${k}_b[${j}]`, given.bias(k, j, b))) });
    });
  }
  const recipient = bindsRecipient(visibility) ? sys.wire('recipient', mainRank++, given.recipient(), true) : undefined;

  const setOutput = (name: string, e: Expr) => {
    const wire = outputWires.get(name)!;
    if (e.value !== undefined) sys.setValue(wire, e.value);
    sys.zero(combine([[1, wire], [-1, e]]));
  };
  if (salt && visibility.input === 'hashed') {
    setOutput('inputCommitment', inputCommitment(sys, blockOf(component('input_commit')), input, salt, plan.input));
  } else {
    input.forEach((x, i) => rangeCheck(sys, component('input_range', i), combine([[1, x], [-plan.input.min, constant(1)]]), plan.input.bits));
  }
  if (plan.params) {
    const { weights, biases } = plan.params;
    const all = [...params.values()];
    const packedWeights = rangePack(sys, blockOf(component('params_w')), all.flatMap((p) => p.weights.flat()), weights.bits, -(2 ** (weights.bits - 1)), weights.perElement);
    const packedBiases = biases.flatMap((b) => rangePack(sys, blockOf(component(`params_b${b.op}`)), params.get(b.op)!.bias, b.bits, -(2 ** (b.bits - 1)), b.perElement));
    setOutput('paramsCommitment', poseidonChain(sys, blockOf(component('params_hash')), [...packedWeights, ...packedBiases]));
  }

  let current: Expr[] = input;
  const logitsIndex = logitsOpIndex(model);
  // Only the logits' op is read again: keeping every op's expressions would hold each layer's fan-in to the end.
  let logitsValues: Expr[] = [];
  // A dense or convolution op a rescale reads: its outputs are built one at a time as the rescale
  // takes them, so that a layer's whole fan-in is never held at once.
  let dots: Outputs | undefined;
  model.ops.forEach((op, index) => {
    options.onOp?.(index, model.ops.length);
    const next = model.ops[index + 1];
    if ((op.kind === 'dense' || op.kind === 'conv2d') && next?.kind === 'rescale' && !plan.params && index !== logitsIndex) {
      dots = linearOutputs(op, current);
      return;
    }
    current = runOp(sys, op, plan.ops[index], index, current, component, params.get(index), dots);
    dots = undefined;
    // Signals the emitter declares (every op's output but a dense or convolution one a rescale reads, with constant weights) carry main's names.
    const declared = !((op.kind === 'dense' || op.kind === 'conv2d') && next?.kind === 'rescale' && !plan.params);
    if (declared) current = current.map((e, j) => sys.define(`op${index}_out[${j}]`, MAIN_OP * (1 + index) + j, e));
    if (index === logitsIndex) logitsValues = current;
  });
  const logits = logitsValues.map((e, j) => sys.define(`op${logitsIndex}_out[${j}]`, MAIN_OP * (1 + logitsIndex) + j, e));
  const label = layout.label !== undefined || plan.outputHashed ? current[0] : undefined;

  // Main outputs: each is a wire held equal to what computes it (circom keeps them, eliminating another wire).
  if (layout.logits) logits.forEach((e, j) => setOutput(`logits[${j}]`, e));
  if (layout.label !== undefined) setOutput('label', label!);
  if (plan.outputHashed) {
    const hashed = [salt!, ...(model.ops.some((op) => op.kind === 'argmax') ? [label!] : []), ...logits];
    setOutput('outputCommitment', poseidonChain(sys, blockOf(component('output_hash')), hashed));
  }
  if (recipient) sys.product('recipientSquare', MAIN_OP * (1 + model.ops.length), recipient, recipient);

  const pub = layout.names.filter((name) => name.startsWith('in[') || name === 'recipient');
  const prv = [...(layout.input ? [] : input.map((_, i) => `in[${i}]`)), ...(salt ? ['salt'] : []), ...privateParams];
  options.onOp?.(model.ops.length, model.ops.length);
  return sys.finish({ pubOut: outputs, pubIn: pub, prvIn: prv }, options.choose);
}

function runOp(sys: ConstraintSystem, op: QOp, plan: OpPlan, index: number, x: Expr[], component: ComponentOf, params?: { weights: Expr[][]; bias: Expr[] }, dots?: Outputs): Expr[] {
  const p = `op${index}_`;
  switch (op.kind) {
    case 'dense':
      if (params) return op.weights.map((_, j) => dot(sys, component(`${p}out_dot`, j), params.weights[j], x, params.bias[j]));
      return materialize(linearOutputs(op, x));
    case 'conv2d': {
      if (!params) return materialize(linearOutputs(op, x));
      const { table, rowLength } = convTermTable(op);
      const channels = op.outShape[2];
      return Array.from({ length: table.length / rowLength }, (_, j) => {
        const inputs = Array.from({ length: rowLength }, (_, t) => (table[j * rowLength + t] >= 0 ? x[table[j * rowLength + t]] : constant(0)));
        return dot(sys, component(`${p}out_dot`, j), params.weights[j % channels], inputs, params.bias[j % channels]);
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
          cur = maxPair(sys, component(`${p}max`, k), x[at + c], cur, pairs[k]);
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
      const values = dots ?? { length: x.length, at: (j: number) => x[j] };
      return Array.from({ length: values.length }, (_, j) => requantize(sys, component(`${p}rq`, j), values.at(j), plan.elements[j], { numerator: leakNumerator(plan.leak, j), bits: plan.leak.bits }));
    }
    case 'transpose':
      // It only names values (an NCHW image input reordered channels last): no constraint.
      return transposeSources(op).map((i) => x[i]!);
    case 'argmax': {
      if (plan.kind !== 'argmax') throw new ZkinferError('INTERNAL', `op ${index}: plan of kind ${plan.kind} for an argmax`);
      return [argmax(sys, component(`${p}argmax`), x, plan.diffBits)];
    }
    default:
      throw new ZkinferError('INTERNAL', `op ${index}: the direct path has no ${op.kind} (graphs and tables are refused before building)`);
  }
}

/** A layer's outputs, each built when it is read. */
interface Outputs {
  length: number;
  at(j: number): Expr;
}

const materialize = (outputs: Outputs): Expr[] => Array.from({ length: outputs.length }, (_, j) => outputs.at(j));

/** A dense or convolution op's outputs with constant weights (params fixed): bias + Σ w·x, linear. */
function linearOutputs(op: Extract<QOp, { kind: 'dense' | 'conv2d' }>, x: readonly Expr[]): Outputs {
  if (op.kind === 'dense') return { length: op.outputSize, at: (j) => combine([[op.bias[j], constant(1)], ...op.weights[j].map((w, t): [number, Expr] => [w, x[t]])]) };
  const { table, rowLength } = convTermTable(op);
  const channels = op.outShape[2];
  return {
    length: table.length / rowLength,
    at: (j) => {
      const row = op.weights[j % channels];
      const terms: [number, Expr][] = [[op.bias[j % channels], constant(1)]];
      for (let t = 0; t < rowLength; t++) if (table[j * rowLength + t] >= 0) terms.push([row[t], x[table[j * rowLength + t]]]);
      return combine(terms);
    },
  };
}

/** Dot(n) (params hashed): bias + Σ w[i]·x[i], one product wire each (none where x is the padding's 0). */
function dot(sys: ConstraintSystem, at: Component, w: readonly Expr[], x: readonly Expr[], bias: Expr): Expr {
  const n = w.length;
  const products = w.map((wi, i) => sys.product(`${at.name}.product[${i}]`, at.rank(2 * n + 2 + i), wi, x[i]));
  return combine([[1, bias], ...products.map((e): [number, Expr] => [1, e])]);
}

/** An [OH, OW, C] output in flat order, from (oy·OW + ox, c). */
function spatial(outShape: readonly number[], each: (position: number, c: number) => Expr): Expr[] {
  const [oh, ow, oc] = outShape;
  const out: Expr[] = [];
  for (let position = 0; position < oh * ow; position++) for (let c = 0; c < oc; c++) out.push(each(position, c));
  return out;
}
