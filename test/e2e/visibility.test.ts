/**
 * Every visibility combination through the whole pipeline (compile, setup, prove, verify with the
 * input, deploy and record through the registry), the registry's gas for compact layouts, and the
 * registry holding a hashed-parameters model to the parameters it registered.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedPublicSignals, witnessInput } from '../../circuits/signals.js';
import { INPUT_MODES, OUTPUT_MODES, PARAMS_MODES, type Visibility } from '../../circuits/visibility.js';
import { quantizeInput } from '../../model/input.js';
import { readCircuit } from '../../pipeline/artifacts.js';
import { compileStep } from '../../pipeline/compile.js';
import { deployStep, exportVerifierStep, verifyOnChainStep } from '../../pipeline/contracts.js';
import { FILES, readManifest, witnessGeneratorPath } from '../../pipeline/manifest.js';
import { PROOF_FORMAT } from '../../pipeline/proof-bundle.js';
import { proveStep, readInputFile } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { verifyStep } from '../../pipeline/verify.js';
import { proveInference } from '../../prover/prove.js';
import { type Chain, connectChain } from '../../verifier-contracts/chain.js';
import { saveModel, writeTinyModel } from '../helpers/fixtures.js';
import { runCli } from '../helpers/node-script.js';

let model: string;
let quantized: string;
/** The same model quantized with --output probabilities: its softmax in the circuit. */
let withProbabilities: string;
let chain: Chain;
const work = () => fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-visibility-'));

beforeAll(async () => {
  model = await writeTinyModel(undefined, 31);
  quantized = await work();
  await quantizeStep({ model, out: quantized });
  withProbabilities = await work();
  await quantizeStep({ model, out: withProbabilities, output: 'probabilities' });
  chain = await connectChain();
});

/** A folder compiled with `visibility`, set up, with its verifier exported. */
async function build(visibility: Visibility, from = quantized): Promise<string> {
  const dir = await work();
  await fs.cp(from, dir, { recursive: true });
  await compileStep(dir, { visibility });
  await setupStep(dir);
  await exportVerifierStep(dir);
  return dir;
}

// The probabilities output is a softmax before the argmax; the input and params modes do not
// touch it, so two of its six combinations (every input mode and params mode at least once
// between them and the other outputs) keep the suite's time.
const PROBABILITIES_WITH: readonly Omit<Visibility, 'output'>[] = [
  { input: 'hashed', params: 'fixed' },
  { input: 'private', params: 'hashed' },
];
const combinations = INPUT_MODES.flatMap((input) =>
  OUTPUT_MODES.flatMap((output) =>
    PARAMS_MODES.filter((params) => output !== 'probabilities' || PROBABILITIES_WITH.some((c) => c.input === input && c.params === params)).map((params): Visibility => ({ input, output, params })),
  ),
);

describe('every visibility combination, end to end', () => {
  for (const visibility of combinations) {
    it(`input ${visibility.input}, output ${visibility.output}, params ${visibility.params}`, async () => {
      const dir = await build(visibility, visibility.output === 'probabilities' ? withProbabilities : quantized);
      const input = path.join(model, 'input.json');
      const proved = await proveStep(dir, { input });
      const { layout } = await readCircuit(dir, await readManifest(dir));
      expect(proved.bundle.publicSignals).toHaveLength(layout.names.length);
      expect(Object.keys(proved.bundle.outputs).some((k) => k === 'logits')).toBe(visibility.output === 'public');
      expect(Object.keys(proved.bundle.outputs).some((k) => k === 'probabilities')).toBe(visibility.output === 'probabilities');

      const verified = await verifyStep(dir, { proof: proved.file, input });
      expect(verified.valid).toBe(true);
      expect(verified.inputMatches).toBe(visibility.input === 'private' ? undefined : true);
      expect(verified.paramsMatch).toBe(visibility.params === 'hashed' ? true : undefined);
      // Another input (and salt): refused wherever the proof shows something of the input.
      const other = await verifyStep(dir, { proof: proved.file, input: path.join(model, 'other-input.json') });
      if (visibility.input !== 'private') expect(other).toMatchObject({ valid: false, proofValid: true, inputMatches: false });

      const onChain = await verifyOnChainStep(dir, { proof: proved.file, chain });
      expect(onChain.valid).toBe(true);
      expect(onChain.submission?.status).toBe('recorded');
    });
  }
});

describe('--output probabilities', () => {
  it('a model quantized for probabilities compiles to them by default, and only to them; another model cannot show them', async () => {
    const dir = await work();
    await fs.cp(withProbabilities, dir, { recursive: true });
    await expect(compileStep(dir, { visibility: { output: 'public' } })).rejects.toThrow(/quantized with --output probabilities: compile it with --output probabilities/);
    const compiled = await compileStep(dir);
    expect(compiled.publicSignals).toEqual(['inputCommitment', 'label', 'probabilities[0]', 'probabilities[1]', 'probabilities[2]', 'probabilities[3]']);
    const plain = await work();
    await fs.cp(quantized, plain, { recursive: true });
    await expect(compileStep(plain, { visibility: { output: 'probabilities' } })).rejects.toThrow(/does not compute it: quantize with --output probabilities/);
  });

  it('through the CLI: quantize --output probabilities, compile, prove prints them; a bad --output is a usage error', async () => {
    const dir = await work();
    const bad = await runCli(['quantize', model, '--out', dir, '--output', 'odds']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--output must be logits or probabilities, found 'odds'/);
    expect((await runCli(['quantize', model, '--out', dir, '--output', 'probabilities'])).code).toBe(0);
    const compiled = await runCli(['compile', dir, '--json'], { timeoutMs: 300_000 });
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout).publicSignals).toEqual(['inputCommitment', 'label', 'probabilities[0]', 'probabilities[1]', 'probabilities[2]', 'probabilities[3]']);
    expect((await runCli(['setup', dir], { timeoutMs: 300_000 })).code).toBe(0);
    const proved = await runCli(['prove', dir, '--input', path.join(model, 'input.json')], { timeoutMs: 300_000 });
    expect(proved.code, proved.stderr).toBe(0);
    const line = /probabilities: ([\d. ]+)/.exec(proved.stdout);
    expect(line, proved.stdout).not.toBeNull();
    const values = line![1]!.trim().split(' ').map(Number);
    expect(values).toHaveLength(4);
    expect(values.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.99);
    expect(values.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1.0001);
  });
});

describe('the registry', () => {
  it('records a compact inference (hashed input, label only) for at most 260,000 gas, whatever the model size', async () => {
    const visibility: Visibility = { input: 'hashed', output: 'private', params: 'fixed' };
    // The tiny model (16-8-4) and one with eight times its hidden units and a second hidden layer.
    const wide = await saveModel((tf) => [tf.layers.dense({ inputShape: [16], units: 64, activation: 'relu' }), tf.layers.dense({ units: 16, activation: 'relu' }), tf.layers.dense({ units: 4, activation: 'softmax' })], 33, {
      'metadata.json': { name: 'wide_mlp', inputRange: [0, 1] },
    });
    const wideQuantized = await work();
    await quantizeStep({ model: wide, out: wideQuantized });
    const gas: number[] = [];
    for (const dir of [await build(visibility), await build(visibility, wideQuantized)]) {
      const proved = await proveStep(dir, { input: path.join(model, 'input.json') });
      const result = await verifyOnChainStep(dir, { proof: proved.file, chain });
      expect(result.submission?.status).toBe('recorded');
      gas.push(Number(result.gas));
    }
    for (const g of gas) expect(g).toBeLessThanOrEqual(260_000);
    // Only calldata bytes differ (zero bytes are cheaper): within a few hundred gas.
    expect(Math.abs(gas[0] - gas[1])).toBeLessThan(1_000);
  });

  it('accepts a hashed-parameters proof only with the parameters it registered', async () => {
    const visibility: Visibility = { input: 'hashed', output: 'private', params: 'hashed' };
    const dir = await build(visibility);
    const deployed = await deployStep(dir, { chain });
    const { model: qmodel, plan } = await readCircuit(dir, await readManifest(dir));
    // The same circuit and key, proving with other weights: a valid Groth16 proof of another model.
    const other = { ...qmodel, ops: qmodel.ops.map((op) => (op.kind === 'dense' ? { ...op, weights: op.weights.map((row) => row.map((w) => -w)) } : op)) };
    const values = quantizeInput((await readInputFile(path.join(model, 'input.json'), qmodel.input.shape)).values, qmodel.input, 'input');
    const manifest = await readManifest(dir);
    const result = await proveInference({ witnessPath: witnessGeneratorPath(dir, manifest), zkeyPath: path.join(dir, FILES.zkey), input: witnessInput(other, plan, values, 5n) });
    expect(result.publicSignals).toEqual(expectedPublicSignals(other, plan, values, 5n));
    const file = path.join(dir, 'other-weights.json');
    await fs.writeFile(file, JSON.stringify({ format: PROOF_FORMAT, model: qmodel.name, verificationKey: manifest.stages.setup!.outputs[FILES.vk], proof: result.proof, publicSignals: result.publicSignals, outputs: {} }));
    // Off-chain the key accepts it; the folder's parameters do not match it, with the input or
    // without (the folder knows its parameters); the registry refuses it; so does --direct, before
    // asking the bare verifier (which would accept any weights).
    const offChain = await verifyStep(dir, { proof: file, input: path.join(model, 'input.json') });
    expect(offChain).toMatchObject({ proofValid: true, paramsMatch: false, valid: false });
    expect(await verifyStep(dir, { proof: file })).toMatchObject({ proofValid: true, paramsMatch: false, valid: false });
    await expect(verifyOnChainStep(dir, { proof: file, chain, registry: deployed.registry.address, modelId: deployed.modelId })).rejects.toThrow(/OtherParameters/);
    await expect(verifyOnChainStep(dir, { proof: file, chain, direct: true, address: deployed.verifier.address })).rejects.toThrow(/parameters commitment is not .*'s model's \(it was made with other weights\): not sent/);
    // The folder's own proof, without its input, still passes both.
    const own = await proveStep(dir, { input: path.join(model, 'input.json') });
    expect(await verifyStep(dir, { proof: own.file })).toMatchObject({ valid: true, paramsMatch: true });
    expect((await verifyOnChainStep(dir, { proof: own.file, chain, direct: true, address: deployed.verifier.address })).valid).toBe(true);
    const cli = await runCli(['verify', dir, '--proof', file]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^INVALID\n[^]*parameters: are NOT this folder's model's/);
  });
});

describe('the CLI', () => {
  it('compiles with visibility flags, and inspect shows them, the hashed-params cost and the public-input gas warning', async () => {
    const wide = await saveModel((tf) => [tf.layers.dense({ inputShape: [40], units: 3, activation: 'relu' }), tf.layers.dense({ units: 2, activation: 'softmax' })], 34, {
      'metadata.json': { name: 'forty_inputs', inputRange: [0, 1] },
    });
    const dir = await work();
    expect((await runCli(['quantize', wide, '--out', dir])).code).toBe(0);
    const bad = await runCli(['compile', dir, '--input', 'secret']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/input must be one of hashed, public, private, found "secret"/);
    const compiled = await runCli(['compile', dir, '--input', 'public', '--output', 'private', '--json'], { timeoutMs: 300_000 });
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout).publicSignals).toEqual(['label', ...Array.from({ length: 40 }, (_, i) => `in[${i}]`)]);
    const inspected = await runCli(['inspect', dir]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toMatch(/visibility: input public, output private, params fixed/);
    expect(inspected.stdout).toMatch(/with --params hashed \(private weights, one key for any weights\): \d+ constraints \(cost model\)/);
    expect(inspected.stdout).toMatch(/warning: 40 public input values: each public signal adds about 7,000 gas/);
  });
});
