/**
 * The direct path: a QModel's R1CS (and, given an input, its witness) built from the plan, without
 * circom. It follows circuits/emit op by op and gives the constraint system circom --O2 makes of
 * the emitted .circom, with the same wire names; the emitted .circom stays the reviewable
 * description.
 *
 * Every op kind (circuits/direct/ops.ts) and every visibility: --input hashed|public|private,
 * --output public|private|hashed|probabilities, --params fixed|hashed, with or without a bound
 * recipient. Chains and graphs: an op reads any earlier op's output, and a value read by several
 * ops is held until its last reader has run.
 */
import { ArtifactError, ZkinferError, quoted } from '../../core/errors.js';
import { type QModel, hasArgmax, inputRange, logitsOpIndex, opInputs, opSizes, parseQModel, probabilitiesOpIndex } from '../../model/ir.js';
import { publicSignalLayout } from '../layout.js';
import { type CircuitPlan, planCircuit } from '../plan.js';
import { type Visibility, bindsRecipient, parseVisibility, takesSalt } from '../visibility.js';
import { type Block, inputCommitment, poseidonChain, rangePack } from './poseidon.js';
import { INPUT, type WitnessProgram } from './program.js';
import { DIRECT_WITNESS_FORMAT_V1, type DirectWitnessGenerator, checkDirectInput, paramShapes } from './witness.js';
import { Recorder, type Value } from './record.js';
import { type Held, type Outputs, elements, exprsOf, signals } from './layers.js';
import { type ComponentOf, READS_TERMS, outRank, ownRank, runOp } from './ops.js';
import { type Chooser, ConstraintSystem, type DirectR1cs, type Expr, combine, constant } from './system.js';
import { type Component, rangeCheck } from './templates.js';

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
  const sizes = opSizes(model);
  model.ops.forEach((op, k) => {
    const p = plan.ops[k];
    if ((op.kind === 'dense' || op.kind === 'conv2d' || op.kind === 'matmul') && plan.params) arrays.set(`op${k}_out_dot`, sizes[k]!);
    if (p.kind === 'maxPool') arrays.set(`op${k}_max`, p.pairs.flat().length);
    if (p.kind === 'rescale') arrays.set(`op${k}_rq`, p.elements.length);
    if (p.kind === 'table') arrays.set(`op${k}_ta`, p.elements.length);
    if (p.kind === 'softmax') arrays.set(`op${k}_sm`, p.rows);
    if (p.kind === 'norm') arrays.set(`op${k}_nm`, p.rows);
    if (p.kind === 'argmax') arrays.set(`op${k}_argmax`, 0);
  });
  return arrays;
}

/** Each main component's rank: by name, as circom numbers them. */
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
 * What `--backend auto` compiles with: the direct path, which builds every op kind (circuits/direct/ops.ts).
 * Measured (docs/ARCHITECTURE.md, bench/RESULTS.md): the direct compile takes 13–24 times less CPU than
 * circom's on chains, far less on graphs, tables and attention, and its witness program is faster than circom's.
 */
export function chooseBackend(_model: QModel): 'circom' | 'direct' {
  return 'direct';
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
  const params = planCircuit(model, visibility).params;
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

  const logitsIndex = logitsOpIndex(model);
  const probabilitiesIndex = probabilitiesOpIndex(model);
  // Each op's value is kept until its last reader has run: keeping every op's expressions would hold each layer's fan-in to the end.
  const lastReader = model.ops.map(() => -1);
  const readers = model.ops.map(() => 0);
  model.ops.forEach((_op, k) => opInputs(model, k).forEach((i) => {
    if (i < 0) return;
    lastReader[i] = k;
    readers[i]!++;
  }));
  for (const keep of [logitsIndex, probabilitiesIndex]) if (keep >= 0) lastReader[keep] = model.ops.length;
  const held: (Held | undefined)[] = [];
  // Signals main declares for op i's values (circom keeps each as a wire held by a linear constraint, unless it is one wire or a constant).
  const declare = (i: number, value: Outputs): Held => signals(Array.from({ length: value.length }, (_, j) => sys.define(`op${i}_out[${j}]`, outRank(model, i, j), value.at(j))));
  // Terms are summed into signals where they are read, as the emitter does: by an op that needs signals, or by more than one op.
  const valueOf = (i: number, readsTerms: boolean): Held => {
    if (i < 0) return signals(input);
    const value = held[i]!;
    if (value.kind === 'terms' && (!readsTerms || readers[i]! > 1)) held[i] = declare(i, value.terms);
    return held[i]!;
  };
  model.ops.forEach((op, index) => {
    options.onOp?.(index, model.ops.length);
    const inputs = opInputs(model, index).map((i) => valueOf(i, READS_TERMS.has(op.kind)));
    const out = runOp({ sys, plan: plan.ops[index]!, index, component, hashedParams: plan.params !== undefined, ...(params.has(index) ? { params: params.get(index)! } : {}), rank: (j) => outRank(model, index, j), ownRank: (k) => ownRank(index, k) }, op, inputs);
    held[index] = out.kind === 'terms' ? out : declare(index, elements(out));
    opInputs(model, index).forEach((i) => {
      if (i >= 0 && lastReader[i] === index) held[i] = undefined;
    });
  });
  const logits = exprsOf(valueOf(logitsIndex, false));
  const label = hasArgmax(model) ? exprsOf(held[model.ops.length - 1]!)[0] : undefined;

  // Main outputs: each is a wire held equal to what computes it (circom keeps them, eliminating another wire).
  if (layout.logits) logits.forEach((e, j) => setOutput(`logits[${j}]`, e));
  if (layout.probabilities) exprsOf(held[probabilitiesIndex]!).forEach((e, j) => setOutput(`probabilities[${j}]`, e));
  if (layout.label !== undefined) setOutput('label', label!);
  if (plan.outputHashed) {
    const hashed = [salt!, ...(label ? [label] : []), ...logits];
    setOutput('outputCommitment', poseidonChain(sys, blockOf(component('output_hash')), hashed));
  }
  if (recipient) sys.product('recipientSquare', ownRank(model.ops.length, 0), recipient, recipient);

  const pub = layout.names.filter((name) => name.startsWith('in[') || name === 'recipient');
  const prv = [...(layout.input ? [] : input.map((_, i) => `in[${i}]`)), ...(salt ? ['salt'] : []), ...privateParams];
  options.onOp?.(model.ops.length, model.ops.length);
  return sys.finish({ pubOut: outputs, pubIn: pub, prvIn: prv }, options.choose);
}

