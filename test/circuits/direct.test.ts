/**
 * The direct R1CS path (circuits/direct) against circom: on every test model and template option
 * (chains, graphs, table activations, attention, norms, probabilities), the constraint system
 * built from the plan is circom --O2's, up to wire order (wires matched by their .sym names), and
 * its witness equals circom's witness generator's, wire by wire, on edge-case and random inputs,
 * satisfies it, and shows the outputs model/reference.ts computes.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDirectR1cs } from '../../circuits/direct/build.js';
import { compareR1cs, symbolNames } from '../../circuits/direct/compare.js';
import { firstViolatedConstraint, readR1cs } from '../../circuits/r1cs.js';
import { writeDirectCircuit } from '../../circuits/direct/write.js';
import { type Visibility, describeVisibility } from '../../circuits/visibility.js';
import { type OpPlan, planCircuit } from '../../circuits/plan.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { compileModel } from '../helpers/circuits.js';
import { CLIP_AND_PAIRS, RECIPIENT, circomNames, expectSameAsCircom, inputsFor, zooModel } from '../helpers/direct.js';
import { DIRECT_CASES } from '../helpers/direct-cases.js';
import { CONV_CASES, DENSE_CASES, type ModelCase } from '../helpers/model-cases.js';
import { loadOnnxModel } from '../../model/load/onnx/index.js';
import { TORCH_FIXTURES, randomInputs } from '../helpers/onnx.js';

const quantized = (c: ModelCase) => quantizeModel(c.float(), c.options).model;

const VISIBILITIES: Visibility[] = [
  { input: 'private', output: 'public', params: 'fixed' },
  { input: 'public', output: 'private', params: 'fixed' },
  { input: 'private', output: 'public', params: 'fixed', recipient: 'public' },
];

/** The hashed modes: Poseidon commitments (InputCommitment, PoseidonChain), RangePack, Dot. */
const HASHED: Visibility[] = [
  { input: 'hashed', output: 'public', params: 'fixed' },
  { input: 'private', output: 'hashed', params: 'fixed' },
  { input: 'public', output: 'private', params: 'hashed' },
  { input: 'hashed', output: 'hashed', params: 'hashed', recipient: 'public' },
];

/**
 * The zoo models circom compiles in under a minute here, each in another visibility (together:
 * every input, output and params mode); the two large CNNs are in direct-zoo.test.ts.
 */
const ZOO: [string, Visibility][] = [
  ['mlp_196_25_10', { input: 'hashed', output: 'public', params: 'fixed' }],
  ['mlp_196_24_14_10', { input: 'private', output: 'hashed', params: 'hashed' }],
  ['cnn_14_5_11_80_10', { input: 'public', output: 'private', params: 'fixed' }],
  ['mlp_784_56_10', { input: 'private', output: 'public', params: 'fixed', recipient: 'public' }],
];

describe('direct R1CS = circom --O2 on the zoo', () => {
  for (const [k, [name, visibility]] of ZOO.entries()) {
    it(`${name} (${describeVisibility(visibility)})`, async () => {
      await expectSameAsCircom(await zooModel(name), visibility, 20 + k);
    }, 900_000);
  }
});

describe('direct R1CS = circom --O2 beyond chains: graphs, table activations, attention, norms, probabilities', () => {
  for (const c of DIRECT_CASES) {
    for (const visibility of c.visibilities) {
      it(`${c.name} (${describeVisibility(visibility)})`, async () => {
        const model = c.model();
        await expectSameAsCircom(model, visibility, c.seed, 3, c.inputs?.(model) ?? []);
      }, 600_000);
    }
  }
});

describe('direct R1CS: what it refuses', () => {
  it('refuses a bad input, and a witness without the salt or recipient its circuit takes, naming them', () => {
    const model = quantized(DENSE_CASES[0]);
    expect(() => buildDirectR1cs(model, VISIBILITIES[0], { input: [1, 2, 3] })).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', message: expect.stringMatching(/expected 12 values, found 3/) }));
    expect(() => buildDirectR1cs(model, VISIBILITIES[2], { input: new Array(12).fill(0) })).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/recipient/) }));
    expect(() => buildDirectR1cs(model, HASHED[0], { input: new Array(12).fill(0) })).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/salt/) }));
  });
});

describe('direct R1CS = circom --O2', () => {
  for (const c of [...DENSE_CASES, ...CONV_CASES]) {
    it(`${c.name} (input private, output public)`, async () => {
      await expectSameAsCircom(quantized(c), VISIBILITIES[0], c.seed);
    }, 600_000);
  }
  it('a hand-built model with an acting relu clip and a max pair decided by the bounds', async () => {
    const plan = planCircuit(CLIP_AND_PAIRS, VISIBILITIES[0]);
    const rescale = plan.ops[1] as Extract<OpPlan, { kind: 'rescale' }>;
    const pairs = (plan.ops[2] as Extract<OpPlan, { kind: 'maxPool' }>).pairs.flat();
    expect(rescale.elements.map((e) => e.clipNq > 0)).toEqual([false, false, true, true]);
    expect(pairs.map((p) => p.mode)).toEqual([1, 2]);
    await expectSameAsCircom(CLIP_AND_PAIRS, VISIBILITIES[0], 11);
  }, 600_000);
  it('written as .r1cs and .sym, it reads back as circom\'s files do, and the same', async () => {
    for (const [model, visibility] of [[CLIP_AND_PAIRS, VISIBILITIES[0]], [quantized(DENSE_CASES[1]), VISIBILITIES[2]]] as const) {
      const circuit = await compileModel(model, visibility);
      const input = inputsFor(model, 3)[2];
      const recipient = visibility.recipient === 'public' ? RECIPIENT : undefined;
      const direct = buildDirectR1cs(model, visibility, { input, ...(recipient !== undefined ? { recipient } : {}) });
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-direct-write-'));
      try {
        const files = { r1cs: path.join(dir, 'model.r1cs'), sym: path.join(dir, 'model.sym') };
        await writeDirectCircuit(direct, files);
        const read = await readR1cs(files.r1cs);
        const { constraints: _ours, wireToLabel: _labels, ...header } = read;
        const { constraints: _theirs, wireToLabel: _theirLabels, ...circomHeader } = circuit.r1cs;
        expect({ ...header, nLabels: 0 }).toEqual({ ...circomHeader, nLabels: 0 });
        const names = symbolNames(await fs.readFile(files.sym, 'utf8'));
        expect(compareR1cs({ names, constraints: read.constraints }, { names: await circomNames(circuit), constraints: circuit.r1cs.constraints })).toBeUndefined();
        expect(firstViolatedConstraint(read, direct.witness!)).toBe(-1);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
  }, 600_000);
  it('the model with every op kind twice, input and output public, recipient bound', async () => {
    await expectSameAsCircom(quantized(CONV_CASES.find((c) => c.name.startsWith('every op kind twice'))!), { input: 'public', output: 'public', params: 'fixed', recipient: 'public' }, 9);
  }, 600_000);
  it('the model with every op kind twice (padded convolutions: Dot over the padding\'s zeros), everything hashed', async () => {
    await expectSameAsCircom(quantized(CONV_CASES.find((c) => c.name.startsWith('every op kind twice'))!), HASHED[3], 13);
  }, 600_000);
  it("torch's RGB CNN (test/fixtures/onnx/torch/rgb_cnn): the input's transpose to channels last (no constraint) and a PReLU's leaky numerator per element, input hashed", async () => {
    const loaded = await loadOnnxModel(path.join(TORCH_FIXTURES, 'rgb_cnn-opset13.onnx'));
    const { model } = quantizeModel(loaded.float, { calibration: randomInputs(3, 16, 3 * 8 * 8), inputRange: [0, 1] });
    expect(model.ops[0]!.kind).toBe('transpose');
    const leaky = model.ops.find((o) => o.kind === 'rescale' && o.activation.kind === 'leaky');
    expect(leaky?.kind === 'rescale' && leaky.activation.kind === 'leaky' && new Set(leaky.activation.numerator as number[]).size).toBeGreaterThan(1);
    await expectSameAsCircom(model, HASHED[0], 17);
  }, 600_000);
  for (const visibility of [...VISIBILITIES.slice(1), ...HASHED]) {
    it(`the dense case in ${JSON.stringify(visibility)}`, async () => {
      await expectSameAsCircom(quantized(DENSE_CASES[0]), visibility, 5);
    }, 600_000);
  }
});
