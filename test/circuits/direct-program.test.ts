/**
 * The direct path's witness program (circuits/direct/program.ts, recorded by record.ts) against
 * the builder it is recorded from: on every test model, every visibility and the zoo, the program
 * read back from its file gives every wire exactly the value buildDirectR1cs gives (the witness
 * generator before the program: the circuit rebuilt for each input), the same .wtns bytes, and
 * on inputs the circuit rejects the same CIRCUIT error. Its fast run (float64 registers) is also
 * held to its exact run (bigints). No circom: direct.test.ts holds the builder to circom.
 */
import { describe, expect, it } from 'vitest';
import { buildDirectR1cs, recordDirectCircuit } from '../../circuits/direct/build.js';
import { compareR1cs } from '../../circuits/direct/compare.js';
import { INPUT, OP, runExact, runFast, wireValues } from '../../circuits/direct/program.js';
import { type DirectWitnessGenerator, directInput, directWitness, directWtns, encodeDirectWitnessGenerator, paramShapes, parseDirectWitnessGenerator } from '../../circuits/direct/witness.js';
import { publicSignalLayout } from '../../circuits/layout.js';
import { planCircuit } from '../../circuits/plan.js';
import { witnessInput } from '../../circuits/signals.js';
import { type Visibility, DEFAULT_VISIBILITY, describeVisibility } from '../../circuits/visibility.js';
import type { CircuitInput } from '../../circuits/witness.js';
import { encodeWtns } from '../../circuits/wtns.js';
import { ZkinferError } from '../../core/errors.js';
import { FIELD_MODULUS } from '../../core/field.js';
import type { QModel } from '../../model/ir.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { CLIP_AND_PAIRS, RECIPIENT, expectReferenceOutputs, inputsFor, zooModel } from '../helpers/direct.js';
import { DIRECT_CASES } from '../helpers/direct-cases.js';
import { CONV_CASES, DENSE_CASES } from '../helpers/model-cases.js';

const VISIBILITIES: Visibility[] = [
  { input: 'private', output: 'public', params: 'fixed' },
  { input: 'public', output: 'private', params: 'fixed', recipient: 'public' },
  { input: 'hashed', output: 'public', params: 'fixed' },
  { input: 'private', output: 'hashed', params: 'fixed' },
  { input: 'public', output: 'private', params: 'hashed' },
  { input: 'hashed', output: 'hashed', params: 'hashed', recipient: 'public' },
];

/** The generator compile writes, read back from its bytes. */
function generatorOf(model: QModel, visibility: Visibility, compare = true): DirectWitnessGenerator {
  const { r1cs, program } = recordDirectCircuit(model, visibility);
  // Recording the program leaves the R1CS as the plain build makes it.
  if (compare) expect(compareR1cs(r1cs, buildDirectR1cs(model, visibility), { ours: 'recorded', theirs: 'built' })).toBeUndefined();
  const generator = { visibility, wires: r1cs.names.length, constraints: r1cs.constraints.length, input: model.input, params: paramShapes(model), program };
  // Read back as a file is: a Buffer that views part of a larger one.
  const file = Buffer.concat([Buffer.alloc(3), encodeDirectWitnessGenerator(generator)]).subarray(3);
  return parseDirectWitnessGenerator(file, 'model.witness.bin');
}

/** The generator before the program: the circuit built again for the input, its errors as it gave them. */
function rebuiltWitness(model: QModel, generator: DirectWitnessGenerator, document: CircuitInput): bigint[] {
  const parsed = directInput(generator, document);
  try {
    return buildDirectR1cs(model, generator.visibility, parsed).witness!;
  } catch (error) {
    if (error instanceof ZkinferError && error.code !== 'INTERNAL' && error.code !== 'CIRCUIT') throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${error.message}`, { cause: error });
    throw error;
  }
}

/** What a witness computation gives: the values, or the error's code and message. */
function outcome(compute: () => bigint[]): bigint[] | string {
  try {
    return compute();
  } catch (error) {
    return error instanceof ZkinferError ? `${error.code}: ${error.message}` : `not a ZkinferError: ${String(error)}`;
  }
}

/** The program's values, its .wtns and its exact run equal to the rebuilt witness's, or the same error. */
function expectSameWitness(model: QModel, generator: DirectWitnessGenerator, document: CircuitInput): bigint[] | string {
  const expected = outcome(() => rebuiltWitness(model, generator, document));
  expect(outcome(() => directWitness(generator, document))).toEqual(expected);
  if (typeof expected === 'string') {
    expect(outcome(() => [...directWtns(generator, document)].map(BigInt))).toEqual(expected);
    return expected;
  }
  expect(directWtns(generator, document)).toEqual(encodeWtns(expected));
  return expected;
}

function documentFor(model: QModel, visibility: Visibility, input: readonly number[], salt = 7n): Record<string, unknown> {
  return witnessInput(model, planCircuit(model, visibility), input, salt, visibility.recipient === 'public' ? RECIPIENT : undefined) as Record<string, unknown>;
}

async function expectProgramEqualsBuilder(model: QModel, visibility: Visibility, seed: number, random = 2): Promise<void> {
  const generator = generatorOf(model, visibility);
  for (const [i, input] of inputsFor(model, seed, random).entries()) {
    const values = expectSameWitness(model, generator, documentFor(model, visibility, input, 7n + BigInt(i) * (FIELD_MODULUS / 3n)) as CircuitInput);
    expect(typeof values === 'string' ? values : 'a witness').toBe('a witness');
  }
}

const quantized = (c: (typeof DENSE_CASES)[number]) => quantizeModel(c.float(), c.options).model;
const CASES = [...DENSE_CASES, ...CONV_CASES];

describe('the direct witness program = the direct builder', () => {
  // Each test model in one visibility (in turn), the model with every op kind and the hand-built one in all.
  for (const [k, c] of CASES.entries()) {
    const every = c.name.startsWith('every op kind twice');
    const visibilities = every ? VISIBILITIES : [VISIBILITIES[k % VISIBILITIES.length]!];
    it(`${c.name}, ${every ? 'in every visibility' : describeVisibility(visibilities[0]!)}`, async () => {
      for (const visibility of visibilities) await expectProgramEqualsBuilder(quantized(c), visibility, c.seed, 0);
    });
  }
  it('a hand-built model with an acting relu clip and a max pair decided by the bounds, in every visibility', async () => {
    for (const visibility of VISIBILITIES) await expectProgramEqualsBuilder(CLIP_AND_PAIRS, visibility, 11, 1);
  });
});

describe('the direct witness program = the direct builder beyond chains', () => {
  for (const c of DIRECT_CASES) {
    it(`${c.name}, in ${c.visibilities.map(describeVisibility).join('; ')}`, async () => {
      const model = c.model();
      for (const visibility of c.visibilities) await expectProgramEqualsBuilder(model, visibility, c.seed, 1);
    });
  }
  it('the fast run (float64) equals the exact run (bigints) through the hints: division, remainder, square root, inverse', () => {
    for (const start of ['a quantized self-attention block', 'RMSNorm', 'a table op through every plan shape: sigmoid']) {
      const c = DIRECT_CASES.find((d) => d.name.startsWith(start))!;
      const model = c.model();
      const generator = generatorOf(model, c.visibilities[0]!, false);
      const hints = Array.from(generator.program.ops).filter((op) => op === OP.HINT).length;
      expect(hints, start).toBeGreaterThan(0);
      for (const input of inputsFor(model, c.seed, 2)) {
        // The fixed-params visibilities take no salt, recipient or weights: every slot is an input value.
        const slots = Array.from({ length: generator.program.inputs.length / 5 }, (_, i) => BigInt(input[generator.program.inputs[5 * i + 2]!]!));
        const fast = wireValues(generator.program, runFast(generator.program, slots));
        expect(fast).toEqual(wireValues(generator.program, runExact(generator.program, slots)));
        expect(fast).toEqual(buildDirectR1cs(model, c.visibilities[0]!, { input }).witness);
      }
    }
  });
  it('table plans: the program shows model/reference.ts\'s outputs on every 11-bit input', () => {
    for (const c of DIRECT_CASES.filter((d) => d.name.startsWith('a table op through every plan shape'))) {
      const model = c.model();
      const visibility = c.visibilities[0]!;
      const generator = generatorOf(model, visibility);
      const n = generator.input.shape.reduce((a, b) => a * b, 1);
      for (let x = -1024; x < 1024; x++) {
        const input = new Array<number>(n).fill(x);
        expectReferenceOutputs(model, visibility, directWitness(generator, documentFor(model, visibility, input) as CircuitInput), publicSignalLayout(model, visibility).names.length, input);
      }
    }
  });
});

describe('the direct witness program on the inputs a circuit rejects: the builder\'s errors', () => {
  const model = quantized(CONV_CASES.find((c) => c.name.startsWith('every op kind twice'))!);
  const visibility: Visibility = { input: 'hashed', output: 'hashed', params: 'hashed', recipient: 'public' };
  const generator = generatorOf(model, visibility);
  const input = inputsFor(model, 5, 1)[2]!;
  const base = documentFor(model, visibility, input);
  const conv = model.ops.findIndex((op) => op.kind === 'conv2d');
  const dense = model.ops.findIndex((op) => op.kind === 'dense');
  const withParam = (key: string, change: (values: unknown) => unknown) => ({ ...base, [key]: change(structuredClone(base[key])) }) as CircuitInput;
  const failures: [string, CircuitInput, RegExp][] = [
    ['an input value outside its range', { ...base, in: input.map((v, i) => (i === 3 ? 1_000 : v)) } as CircuitInput, /CIRCUIT: the circuit rejects this input: input\[3\] = 1000 is outside/],
    ['no salt', { ...base, salt: undefined } as unknown as CircuitInput, /CIRCUIT: the circuit rejects this input: .*salt/],
    ['a weight beyond its planned width', withParam(`op${conv}_w`, (w) => ((w as number[][])[0]![1] = 1 << 20, w)), /CIRCUIT: the witness breaks constraint \d+/],
    ['a weight of -2^70', withParam(`op${dense}_w`, (w) => ((w as unknown[][])[0]![0] = (-(2n ** 70n)).toString(), w)), /CIRCUIT: the witness breaks constraint \d+/],
    ['a bias beyond its width', withParam(`op${dense}_b`, (b) => ((b as unknown[])[1] = (2n ** 100n).toString(), b)), /CIRCUIT: the witness breaks constraint \d+/],
    ['weights of the wrong shape', withParam(`op${dense}_w`, (w) => (w as unknown[]).slice(1)), /CIRCUIT: the circuit rejects this input: op\d+_w and op\d+_b must be/],
    ['a weight that is no integer', withParam(`op${dense}_w`, (w) => ((w as unknown[][])[0]![0] = 'x', w)), /CIRCUIT: the circuit rejects this input: op\d+_w\[0\]\[0\] must be an integer/],
  ];
  for (const [what, document, message] of failures) {
    it(what, () => {
      expect(expectSameWitness(model, generator, document)).toMatch(message);
    });
  }
  it('weights at the ends of their widths, not the model\'s: the same witness', () => {
    const half = 2 ** (planCircuit(model, visibility).params!.weights.bits - 1);
    for (const w of [half - 1, -half]) {
      const document = { ...base } as Record<string, unknown>;
      for (const { op } of paramShapes(model)) document[`op${op}_w`] = (base[`op${op}_w`] as number[][]).map((row) => row.map(() => w));
      // The planned widths hold any weights within their bits (plan.ts): a witness, run fast.
      expect(typeof expectSameWitness(model, generator, document as CircuitInput)).toBe('object');
    }
  });
  it('the fast run (float64) and the exact run (bigints) give the same registers', () => {
    const values = generator.program.inputs;
    const slots: bigint[] = [];
    for (let i = 0; i < values.length; i += 5) {
      const [kind, op, row, column] = [values[i]!, values[i + 1]!, values[i + 2]!, values[i + 3]!];
      slots.push(kind === INPUT.in ? BigInt(input[row]!) : kind === INPUT.salt ? 7n : kind === INPUT.recipient ? RECIPIENT : BigInt(kind === INPUT.weight ? (base[`op${op}_w`] as number[][])[row]![column]! : (base[`op${op}_b`] as number[])[row]!));
    }
    const fast = wireValues(generator.program, runFast(generator.program, slots));
    expect(fast).toEqual(wireValues(generator.program, runExact(generator.program, slots)));
    expect(fast).toEqual(rebuiltWitness(model, generator, base as CircuitInput));
  });
});

/**
 * The zoo models that tests compile (direct.test.ts, direct-zoo.test.ts), each in one visibility:
 * every input and output mode and the recipient. Hashed params are the test models' above: the
 * builder takes minutes of CPU to rebuild a zoo model's parameter commitment for one input.
 */
const ZOO: [string, Visibility][] = [
  ['mlp_196_25_10', { input: 'hashed', output: 'hashed', params: 'fixed', recipient: 'public' }],
  ['mlp_196_24_14_10', { input: 'private', output: 'hashed', params: 'fixed' }],
  ['cnn_14_5_11_80_10', { input: 'public', output: 'private', params: 'fixed' }],
  ['mlp_784_56_10', { input: 'private', output: 'public', params: 'fixed', recipient: 'public' }],
  ['cnn_28_6_16_10', DEFAULT_VISIBILITY],
  ['lenet_28_6_16_120_84_10', DEFAULT_VISIBILITY],
];

describe('the direct witness program = the direct builder on the zoo', () => {
  for (const [k, [name, visibility]] of ZOO.entries()) {
    it(`${name} (${describeVisibility(visibility)}), one input`, async () => {
      const model = await zooModel(name);
      const generator = generatorOf(model, visibility, false);
      const input = inputsFor(model, 60 + k, 1)[2]!;
      expect(typeof expectSameWitness(model, generator, documentFor(model, visibility, input) as CircuitInput)).toBe('object');
    });
  }
});
