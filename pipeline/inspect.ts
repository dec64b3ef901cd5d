/**
 * `zkinfer inspect`: what an artifacts folder holds. Per layer: shapes, scales, bit widths, and
 * constraints as the cost model predicts them beside what the compiled R1CS has, so a regression
 * shows where it is; the public signals; and whether each step's output is current.
 */
import { type OpPlan, inputCost, opCost, outputCost, paramsCost, planCircuit, recipientCost, totalCost } from '../circuits/plan.js';
import { DEFAULT_VISIBILITY, type Visibility } from '../circuits/visibility.js';
import { messageOf } from '../core/errors.js';
import { type QOp, inputRange, opScales, opSizes } from '../model/ir.js';
import { readCircuit } from './artifacts.js';
import type { CompileStepResult } from './compile.js';
import { type CompileBackend, type DeploymentRecord, STAGES, type StageName, compiledBackend, readManifest, requireStage, stageStatus } from './manifest.js';
import { maxOf, minOf } from '../core/numbers.js';

export interface LayerReport {
  index: number;
  kind: QOp['kind'];
  name: string;
  outputSize: number;
  /** Smallest and largest scale of the op's outputs. */
  scale: [number, number];
  /** Human-readable parameters: weight range, shifts, bit widths. */
  detail: string;
  planned: number;
  /** Planned constraints per value it outputs. */
  perValue: number;
  /** From the compiled R1CS, when the circuit is current. */
  measured?: number;
}

/** The model's activations (values a rescale outputs: each one requantized) and what the ops cost per activation. */
export interface ActivationCost {
  activations: number;
  /** Every op's planned constraints (not the input's, the parameters', the outputs' or the recipient's). */
  constraints: number;
  perActivation: number;
}

export interface InspectResult {
  dir: string;
  name: string;
  input: { shape: number[]; bits: number; signed: boolean; scale: number; range: [number, number] };
  quantization: Record<string, unknown>;
  visibility: Visibility;
  /** The compiler that made the circuit (manifest; absent before compile). */
  backend?: CompileBackend;
  inputConstraints: { planned: number; measured?: number };
  /** params hashed: the parameters' range checks and commitment. */
  paramsConstraints?: { planned: number; measured?: number };
  /** output hashed: the outputs' commitment. */
  outputConstraints?: { planned: number; measured?: number };
  /** recipient public: the constraint binding the recipient. */
  recipientConstraints?: { planned: number; measured?: number };
  /** With params fixed: what --params hashed would cost (cost model), or why it cannot be. */
  hashedParams?: { constraints: number } | { error: string };
  warnings: string[];
  layers: LayerReport[];
  activationCost: ActivationCost;
  constraints: { planned: number; measured?: number };
  publicSignals: string[];
  stages: Record<StageName, { status: 'ok' | 'stale' | 'missing'; reason?: string }>;
  development?: string;
  deployments: DeploymentRecord[];
}

const span = (values: number[]): [number, number] => [minOf(values), maxOf(values)];
const range = ([lo, hi]: [number, number]) => (lo === hi ? `${lo}` : `${lo}..${hi}`);

function describe(op: QOp, plan: OpPlan): string {
  switch (op.kind) {
    case 'dense':
      return `${op.inputSize}→${op.outputSize}, weights ${range(span(op.weights.flat()))}, bias ${range(span(op.bias))}`;
    case 'conv2d':
      return `[${op.inShape}]→[${op.outShape}], kernel ${op.kernel.join('x')}, strides ${op.strides.join('x')}, padding [${op.padding}]${op.groups > 1 ? `, groups ${op.groups}` : ''}, weights ${range(span(op.weights.flat()))}`;
    case 'avgPool':
    case 'maxPool':
    case 'pad': {
      const window = op.kind === 'pad' ? '' : `, pool ${op.pool.join('x')}, strides ${op.strides.join('x')}`;
      const pairs = plan.kind === 'maxPool' ? plan.pairs.flat().filter((p) => p.mode === 2) : [];
      return `[${op.inShape}]→[${op.outShape}]${window}, padding [${op.padding}]${pairs.length ? `, ${pairs.length} comparisons of ${range(span(pairs.map((p) => p.nq)))} bits` : ''}`;
    }
    case 'rescale': {
      const elements = (plan as Extract<OpPlan, { kind: 'rescale' }>).elements;
      const decomposed = elements.filter((e) => e.nq > 0);
      const bits = decomposed.length ? range(span(decomposed.map((e) => e.shift + e.nq))) : '0';
      const clipped = elements.filter((e) => e.clipNq > 0).length;
      const constants = elements.length - decomposed.length;
      return `shift ${range(span(op.shift))}, ${op.activation.kind}, ${bits} bits per value${clipped ? `, ${clipped} clipped` : ''}${constants ? `, ${constants} constant` : ''}`;
    }
    case 'add':
      return `${op.weights.length} input(s), weights ${range(span(op.weights.flat()))}, bias ${range(span(op.bias))}`;
    case 'concat':
      return `[${op.inShapes.map((s) => `[${s}]`).join(', ')}]→[${op.outShape}]`;
    case 'mul':
      return `${(plan as Extract<OpPlan, { kind: 'mul' }>).products} products of two values`;
    case 'matmul':
      return `[${op.batch}, ${op.rows}, ${op.inner}]×[${op.batch}, ${op.inner}, ${op.cols}], ${(plan as Extract<OpPlan, { kind: 'matmul' }>).products} products of two values`;
    case 'transpose':
      return `[${op.inShape}] axes [${op.perm}]`;
    case 'table': {
      const decomposed = (plan as Extract<OpPlan, { kind: 'table' }>).elements.filter((e) => e.nq > 0);
      return `${op.fn.name}, ${op.bits}-bit codes (input scale ${op.inScale.toPrecision(4)}, output scale ${op.outScale.toPrecision(4)}), shift ${range(span(op.shift))}, ${decomposed.length ? range(span(decomposed.map((e) => e.shift + e.nq))) : '0'} bits per value`;
    }
    case 'norm':
      return `${op.mode === 'layer' ? 'LayerNorm' : 'RMSNorm'} over rows of ${op.rowSize}, epsilon ${op.epsilon}, rsqrt to 2^${op.rsqrtBits}`;
    case 'softmax':
      return `rows of ${op.rowSize}, exp over ${op.bits}-bit codes (scale ${op.inScale.toPrecision(4)}, shift ${op.shift}) in 2^-${op.expBits} units, probabilities in 2^-${op.probabilityBits} units`;
    case 'argmax':
      return `over ${(plan as Extract<OpPlan, { kind: 'argmax' }>).size} values, differences in ${(plan as Extract<OpPlan, { kind: 'argmax' }>).diffBits} bits`;
  }
}

/** Public inputs above this many make on-chain verification expensive: say so. */
const PUBLIC_INPUT_GAS_WARNING = 32;

function publicInputWarning(count: number): string {
  // Each public signal costs the verifier one scalar multiplication: about 6,500 to 7,000 gas.
  return `${count} public input values: each public signal adds about 7,000 gas to every on-chain verification (about ${Math.round((count * 7) / 10) * 10}k here); --input hashed publishes one commitment instead`;
}

/** What --params hashed would cost (cost model, exact), or why the model cannot have it. */
export function hashedParamsCost(model: Parameters<typeof planCircuit>[0], visibility: Visibility = DEFAULT_VISIBILITY): { constraints: number } | { error: string } {
  try {
    return { constraints: totalCost(planCircuit(model, { ...visibility, params: 'hashed' })) };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

export async function inspectStep(dir: string): Promise<InspectResult> {
  const manifest = await readManifest(dir);
  await requireStage(dir, manifest, 'quantize');
  const { model, plan, layout } = await readCircuit(dir, manifest);
  const stages = Object.fromEntries(await Promise.all(STAGES.map(async (s) => [s, await stageStatus(dir, manifest, s)] as const))) as InspectResult['stages'];
  const compiled = stages.compile.status === 'ok' ? (manifest.stages.compile!.info as unknown as CompileStepResult) : undefined;
  const sizes = opSizes(model);
  const scales = opScales(model);
  const { min, max } = inputRange(model.input);
  const layers = model.ops.map((op, k): LayerReport => ({
    index: k,
    kind: op.kind,
    name: op.name,
    outputSize: sizes[k],
    scale: span(scales[k]),
    detail: `${op.inputs ? `reads ${op.inputs.map((i) => (i < 0 ? 'the input' : `#${i}`)).join(', ')}; ` : ''}${describe(op, plan.ops[k])}`,
    planned: opCost(plan.ops[k]),
    perValue: opCost(plan.ops[k]) / sizes[k],
    ...(compiled ? { measured: compiled.layers[k].measured } : {}),
  }));
  const activations = layers.reduce((sum, l) => sum + (l.kind === 'rescale' ? l.outputSize : 0), 0);
  const opConstraints = layers.reduce((sum, l) => sum + l.planned, 0);
  const setup = manifest.stages.setup;
  return {
    dir,
    name: model.name,
    input: { shape: model.input.shape, bits: model.input.bits, signed: model.input.signed, scale: model.input.scale, range: [min, max] },
    quantization: { ...model.quantization },
    visibility: plan.visibility,
    ...(manifest.stages.compile ? { backend: compiledBackend(dir, manifest) } : {}),
    inputConstraints: { planned: inputCost(plan.input), ...(compiled ? { measured: compiled.input.measured } : {}) },
    ...(plan.params ? { paramsConstraints: { planned: paramsCost(plan.params), ...(compiled?.params ? { measured: compiled.params.measured } : {}) } } : {}),
    ...(plan.outputHashed ? { outputConstraints: { planned: outputCost(plan), ...(compiled?.output ? { measured: compiled.output.measured } : {}) } } : {}),
    ...(recipientCost(plan) > 0 ? { recipientConstraints: { planned: recipientCost(plan), ...(compiled?.recipient ? { measured: compiled.recipient.measured } : {}) } } : {}),
    ...(plan.params ? {} : { hashedParams: hashedParamsCost(model, plan.visibility) }),
    warnings: layout.input && layout.input.count > PUBLIC_INPUT_GAS_WARNING ? [publicInputWarning(layout.input.count)] : [],
    layers,
    activationCost: { activations, constraints: opConstraints, perActivation: activations > 0 ? opConstraints / activations : 0 },
    constraints: { planned: totalCost(plan), ...(compiled ? { measured: compiled.constraints } : {}) },
    publicSignals: layout.names,
    stages,
    ...(setup && stages.setup.status === 'ok' && typeof setup.info.warning === 'string' ? { development: setup.info.warning } : {}),
    deployments: manifest.deployments,
  };
}
