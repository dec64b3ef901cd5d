/**
 * Fuzzing every parser of a file users hand zkinfer: input files, calibration batches, quantized
 * models, proofs and public signals, proof files, manifests, TF.js models and their weights, and
 * verification keys. Each seeded mutation of a valid file is either accepted or refused with a
 * ZkinferError whose message names the file; nothing throws a TypeError, a RangeError or a stack
 * overflow, and nothing hangs. Seeds and counts are fixed: a failure names its mutation and
 * repeats on every run.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { parseQModel, type QModel } from '../../model/ir.js';
import { parseInputBatch, parseInputDocument } from '../../model/input.js';
import { loadTfjsModel } from '../../model/load/tfjs.js';
import { readManifest } from '../../pipeline/manifest.js';
import { readProofBundle } from '../../pipeline/proof-bundle.js';
import { readInputFile } from '../../pipeline/prove.js';
import { parseGroth16Proof, parsePublicSignals } from '../../prover/proof-format.js';
import { type VerificationKey, verifyGroth16 } from '../../prover/verify.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { mutations, textMutations } from '../helpers/fuzz.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-fuzz-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Accepted, or refused with a ZkinferError naming `where` in a short message. */
async function expectAcceptedOrClear(name: string, where: string, run: () => unknown): Promise<'accepted' | 'refused'> {
  const started = performance.now();
  try {
    await run();
    return 'accepted';
  } catch (error) {
    expect(error, `${name}: ${(error as Error)?.stack}`).toBeInstanceOf(ZkinferError);
    const message = (error as ZkinferError).message;
    expect(message, name).toContain(where);
    expect(message.length, `${name}: ${message.slice(0, 300)}…`).toBeLessThan(600);
    return 'refused';
  } finally {
    expect(performance.now() - started, `${name} took too long`).toBeLessThan(5000);
  }
}

/** Run every mutation; most must be refused (a fuzzer that only makes valid files tests nothing). */
async function fuzz<T extends { name: string }>(cases: T[], where: string, run: (c: T) => unknown): Promise<void> {
  let refused = 0;
  for (const c of cases) if ((await expectAcceptedOrClear(c.name, where, () => run(c))) === 'refused') refused++;
  expect(refused).toBeGreaterThan(cases.length / 3);
}

const toyModel: QModel = {
  format: 'zkinfer-qmodel/1',
  name: 'toy',
  input: { shape: [2, 2], bits: 8, signed: false, scale: 1 / 255 },
  ops: [
    { kind: 'dense', name: 'd1', inputSize: 4, outputSize: 2, weights: [[1, -2, 3, 0], [0, 5, -6, 7]], bias: [10, -10], scale: [0.01, 0.02] },
    { kind: 'rescale', name: 'r1', shift: [2, 3], activation: { kind: 'relu', max: [5, 6] } },
    { kind: 'argmax', name: 'argmax' },
  ],
  labels: ['yes', 'no'],
  quantization: { weightBits: 8, activationBits: 8, ranges: 'calibration', calibrationSamples: 3 },
};

const proof = {
  pi_a: ['1', '2', '1'],
  pi_b: [['10857046999023057135944570762232829481370756359578518086990519993285655852781', '11559732032986387107991004021392285783925812861821192530917403151452391805634'], ['8495653923123431417604973247489272438418190587263600148770280649306958101930', '4082367875863433681332203403145435568316851327593401208105741076214120093531'], ['1', '0']],
  pi_c: ['1', '2', '1'],
  protocol: 'groth16',
  curve: 'bn128',
};

describe('fuzzing parsers of values', () => {
  it('inference input documents', async () => {
    const doc = { input: [[0, 0.5], [1, 0.25]], salt: '12345' };
    await fuzz(mutations(doc, 1, 120), 'in.json', (m) => parseInputDocument(m.value, [2, 2], 'in.json'));
  });

  it('calibration batches', async () => {
    const doc = { inputs: [[0, 0.5, 1, 0.25], [1, 1, 0, 0]] };
    await fuzz(mutations(doc, 2, 120), 'cal.json', (m) => parseInputBatch(m.value, [4], 'cal.json'));
  });

  it('quantized models (qmodel.json)', async () => {
    await fuzz(mutations(toyModel, 3, 300), 'q.json', (m) => parseQModel(m.value, 'q.json'));
  });

  it('quantized graphs (inputs, add, concat, mul)', async () => {
    const graph = {
      ...toyModel,
      labels: undefined,
      ops: [
        toyModel.ops[0],
        { kind: 'add', name: 'sum', inputs: [0, 0], weights: [[1, 2], [3, -1]], bias: [0, 1], scale: [0.1, 0.1] },
        { kind: 'mul', name: 'square', inputs: [1, 0] },
        { kind: 'concat', name: 'both', inputs: [2, 1], inShapes: [[1, 1, 2], [1, 1, 2]], outShape: [1, 1, 4] },
        { kind: 'argmax', name: 'argmax' },
      ],
    };
    expect(() => parseQModel(JSON.parse(JSON.stringify(graph)), 'g.json')).not.toThrow();
    await fuzz(mutations(JSON.parse(JSON.stringify(graph)), 6, 300), 'g.json', (m) => parseQModel(m.value, 'g.json'));
  });

  it('Groth16 proofs and public signals', async () => {
    await fuzz(mutations(proof, 4, 150), 'p.json', (m) => parseGroth16Proof(m.value, 'p.json'));
    await fuzz(mutations(['1', '2', '3'], 5, 60), 'p.json', (m) => parsePublicSignals(m.value, 3, 'p.json'));
  });
});

describe('fuzzing files', () => {
  it('input files, truncated and garbled', async () => {
    const file = path.join(tmp, 'input.json');
    const text = JSON.stringify({ input: [0, 0.5, 1, 0.25], salt: '7' });
    await fuzz(textMutations(text, 6, 20), file, async (m) => {
      await fs.writeFile(file, m.text);
      await readInputFile(file, [4]);
    });
  });

  it('proof files, as values and as text', async () => {
    const file = path.join(tmp, 'proof.json');
    const bundle = { format: 'zkinfer-proof/1', model: 'toy', verificationKey: 'a'.repeat(64), proof, publicSignals: ['1', '2'], outputs: {} };
    const read = async (text: string | Buffer) => {
      await fs.writeFile(file, text);
      await readProofBundle(file, { vkHash: 'a'.repeat(64), signalCount: 2 });
    };
    await fuzz(mutations(bundle, 7, 150), file, (m) => read(JSON.stringify(m.value)));
    await fuzz(textMutations(JSON.stringify(bundle), 8, 20), file, (m) => read(m.text));
  });

  it('manifests', async () => {
    const dir = path.join(tmp, 'artifacts');
    await fs.mkdir(dir, { recursive: true });
    const manifest = {
      format: 'zkinfer-artifacts/1',
      model: { name: 'toy', source: '/m/model.json', sourceHash: 'b'.repeat(64) },
      stages: { quantize: { at: '2026-01-01T00:00:00Z', tool: 'zkinfer@0.1.0', inputs: {}, outputs: { 'qmodel.json': 'c'.repeat(64) }, settings: {}, info: {} } },
      deployments: [{ chainId: '31337', rpc: 'http://127.0.0.1:8545', address: '0x' + '1'.repeat(40), txHash: '0x' + '2'.repeat(64), verifier: 'd'.repeat(64), at: '2026-01-01T00:00:00Z' }],
    };
    const file = path.join(dir, 'manifest.json');
    const read = async (text: string | Buffer) => {
      await fs.writeFile(file, text);
      const m = await readManifest(dir);
      // What the steps read from a manifest they accepted must be what its format says.
      for (const d of m.deployments) expect(typeof d.chainId === 'string' && typeof d.address === 'string' && typeof d.verifier === 'string').toBe(true);
      for (const s of Object.values(m.stages)) expect(typeof s.settings === 'object' && s.settings !== null && typeof s.info === 'object' && s.info !== null).toBe(true);
    };
    await fuzz(mutations(manifest, 9, 150), file, (m) => read(JSON.stringify(m.value)));
    await fuzz(textMutations(JSON.stringify(manifest), 10, 20), file, (m) => read(m.text));
  });

  it('TF.js models: model.json and truncated weights', async () => {
    const source = await writeTinyModel(path.join(tmp, 'tiny-source'));
    const modelJson = JSON.parse(await fs.readFile(path.join(source, 'model.json'), 'utf8'));
    const weights = await fs.readFile(path.join(source, modelJson.weightsManifest[0].paths[0]));
    const dir = path.join(tmp, 'tiny');
    await fs.cp(source, dir, { recursive: true });
    const file = path.join(dir, 'model.json');
    // The layer topology is TF.js's to judge: mutate the parts zkinfer reads itself.
    const { modelTopology, ...ours } = modelJson;
    await fuzz(mutations(ours, 11, 60), dir, async (m) => {
      await fs.writeFile(file, JSON.stringify({ ...(m.value as object), modelTopology }));
      await loadTfjsModel(dir);
    });
    await fs.writeFile(file, JSON.stringify(modelJson));
    const shard = path.join(dir, modelJson.weightsManifest[0].paths[0]);
    await fuzz([0, 1, 4, weights.length >> 1, weights.length - 1].map((n) => ({ name: `weights truncated to ${n} bytes`, n })), dir, async (c) => {
      await fs.writeFile(shard, weights.subarray(0, c.n));
      await loadTfjsModel(dir);
    });
  });

  it('verification keys', async () => {
    const vk = { protocol: 'groth16', curve: 'bn128', nPublic: 1, vk_alpha_1: ['1', '2', '1'], vk_beta_2: proof.pi_b, vk_gamma_2: proof.pi_b, vk_delta_2: proof.pi_b, vk_alphabeta_12: [], IC: [['1', '2', '1'], ['1', '2', '1']] };
    const cases = mutations(vk, 12, 12);
    for (const m of cases) {
      // A broken key is refused as an artifact problem, or verifies nothing; it never crashes.
      const result = await verifyGroth16(m.value as VerificationKey, ['1'], proof as never).catch((e: unknown) => e);
      if (typeof result !== 'boolean') expect(result, m.name).toBeInstanceOf(ZkinferError);
      else expect(result, m.name).toBe(false);
    }
  });
});
