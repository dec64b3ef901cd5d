/**
 * The InferenceRegistry and the example bounty dApp on Hardhat's in-process network: a model is
 * registered, a proof is recorded once (the same public signals never twice), a tampered proof is
 * refused, and the entry carries the code hash of the verifier exported from the folder's key.
 * (The bounty dApp is attacked in bounty.test.ts.)
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ethers } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCircuit } from '../../pipeline/artifacts.js';
import { readManifest } from '../../pipeline/manifest.js';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { compileStep } from '../../pipeline/compile.js';
import { deployStep, exportVerifierStep, verifyOnChainStep, type DeployStepResult } from '../../pipeline/contracts.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { type Chain, connectChain } from '../../verifier-contracts/chain.js';
import { NONE, submitInference } from '../../verifier-contracts/registry.js';
import { compileShippedContract } from '../../verifier-contracts/solc.js';
import { deployContract, verifierArguments } from '../../verifier-contracts/verifier.js';
import { writeTinyModel } from '../helpers/fixtures.js';

let dir: string;
let model: string;
let chain: Chain;
let deployed: DeployStepResult;
let proof: string;
let otherProof: string;

beforeAll(async () => {
  model = await writeTinyModel(undefined, 21);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-registry-'));
  await quantizeStep({ model, out: dir });
  await compileStep(dir);
  await setupStep(dir);
  await exportVerifierStep(dir);
  proof = (await proveStep(dir, { input: path.join(model, 'input.json'), out: path.join(dir, 'proof.json') })).file;
  otherProof = (await proveStep(dir, { input: path.join(model, 'other-input.json'), out: path.join(dir, 'other.json') })).file;
  chain = await connectChain();
  deployed = await deployStep(dir, { chain, metadataURI: 'ipfs://tiny' });
});

const bundleOf = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'));

describe('InferenceRegistry', () => {
  it('registers the model with its key hash, layout and metadata', async () => {
    const registry = new ethers.Contract(deployed.registry.address, compileShippedContract('InferenceRegistry').abi as ethers.InterfaceAbi, chain.signer);
    const entry = await registry.model(deployed.modelId);
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
    expect(entry.verifier).toBe(deployed.verifier.address);
    expect(entry.owner).toBe(await chain.signer.getAddress());
    expect(entry.keyHash).toBe(`0x${manifest.stages.setup.outputs['keys/verification_key.json']}`);
    expect(Number(entry.publicSignals)).toBe(6);
    expect([Number(entry.inputIndex), Number(entry.outputIndex)]).toEqual([0, 1]);
    expect(entry.metadataURI).toBe('ipfs://tiny');
    expect(Number(entry.recipientIndex)).toBe(NONE);
    // The code hash the registry read is the one `export-verifier` computes from the key.
    const exported = await exportVerifierStep(dir);
    expect(entry.verifierCodehash).toBe(exported.codehash);
    expect(ethers.keccak256(await chain.provider.getCode(deployed.verifier.address))).toBe(exported.codehash);
  });

  it('records a valid proof once, with its input commitment and label, and never the same public signals twice', async () => {
    const bundle = await bundleOf(proof);
    const entry = { registry: deployed.registry.address, modelId: deployed.modelId, chain };
    const first = await verifyOnChainStep(dir, { proof, ...entry });
    expect(first.valid).toBe(true);
    expect(first.submission).toMatchObject({ status: 'recorded', inputCommitment: BigInt(bundle.publicSignals[0]), output: BigInt(bundle.publicSignals[1]) });
    expect(Number(first.gas)).toBeGreaterThan(150_000);
    expect(first.submission).toMatchObject({ verifierCodehash: (await exportVerifierStep(dir)).codehash });
    const again = await verifyOnChainStep(dir, { proof, ...entry });
    expect(again.valid).toBe(true);
    expect(again.submission).toMatchObject({ status: 'already-recorded', by: await chain.signer.getAddress() });
    const inference = (outcome: typeof first.submission) => (outcome && outcome.status !== 'invalid' ? outcome.inference : undefined);
    expect(inference(again.submission)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(inference(again.submission)).toBe(inference(first.submission));
    // A forged proof of the same public signals is still a forgery, recorded or not.
    bundle.proof.pi_a[0] = ((BigInt(bundle.proof.pi_a[0]) + 1n) % BASE_FIELD_MODULUS).toString();
    const forged = path.join(dir, 'forged.json');
    await fs.writeFile(forged, JSON.stringify(bundle));
    const forgedResult = await verifyOnChainStep(dir, { proof: forged, ...entry });
    expect(forgedResult.submission?.status).toBe('already-recorded');
    expect(forgedResult.valid).toBe(false);
  });

  it('refuses a tampered proof and records nothing', async () => {
    const bundle = await bundleOf(otherProof);
    bundle.proof.pi_c[0] = ((BigInt(bundle.proof.pi_c[0]) + 1n) % BASE_FIELD_MODULUS).toString();
    const outcome = await submitInference(chain, compileShippedContract('InferenceRegistry'), deployed.registry.address, deployed.modelId, bundle.proof, bundle.publicSignals);
    expect(outcome).toEqual({ status: 'invalid' });
    const registry = new ethers.Contract(deployed.registry.address, compileShippedContract('InferenceRegistry').abi as ethers.InterfaceAbi, chain.signer);
    const key = await registry.inferenceKey(deployed.modelId, bundle.publicSignals);
    expect(await registry.recordedBy(key)).toBe(ethers.ZeroAddress);
  });
});

describe('InferenceRegistry layouts', () => {
  it('refuses a layout index outside the public signals, the recipient too', async () => {
    const registry = await deployContract(chain, compileShippedContract('InferenceRegistry'));
    const contract = new ethers.Contract(registry.address, compileShippedContract('InferenceRegistry').abi as ethers.InterfaceAbi, chain.signer);
    const layout = { publicSignals: 6, inputIndex: 0, outputIndex: 1, paramsIndex: NONE, recipientIndex: NONE };
    for (const bad of [{ inputIndex: 6 }, { recipientIndex: 6 }, { publicSignals: 0 }]) {
      await expect(contract.registerModel(deployed.verifier.address, ethers.ZeroHash, { ...layout, ...bad }, 'x')).rejects.toThrow(/revert/);
    }
    await contract.registerModel.staticCall(deployed.verifier.address, ethers.ZeroHash, layout, 'x'); // the same layout, in range, is taken
    await expect(contract.model(0)).rejects.toThrow(/revert/);
  });
});

describe('ClassificationBounty on a zkinfer model compiled with --recipient public', () => {
  let bound: string;
  let entry: DeployStepResult;

  beforeAll(async () => {
    bound = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-registry-bound-'));
    await quantizeStep({ model, out: bound });
    await compileStep(bound, { visibility: { recipient: 'public' } });
    await setupStep(bound);
    await exportVerifierStep(bound);
    entry = await deployStep(bound, { chain });
  });

  it("registers the layout's recipient and pays the recipient a real proof binds, whoever sends the claim", async () => {
    const { layout } = await readCircuit(bound, await readManifest(bound));
    const registryAbi = compileShippedContract('InferenceRegistry').abi as ethers.InterfaceAbi;
    const registered = await new ethers.Contract(entry.registry.address, registryAbi, chain.signer).model(entry.modelId);
    expect(layout.recipient).toBe(layout.names.length - 1);
    expect(layout.names[layout.recipient!]).toBe('recipient');
    expect(Number(registered.recipientIndex)).toBe(layout.recipient);
    const [claimant, copier] = [await (chain.provider as ethers.BrowserProvider).getSigner(1), await (chain.provider as ethers.BrowserProvider).getSigner(2)];
    const { bundle } = await proveStep(bound, { input: path.join(model, 'input.json'), recipient: await claimant.getAddress(), out: path.join(bound, 'claim.json') });
    const contract = compileShippedContract('ClassificationBounty');
    const factory = new ethers.ContractFactory(contract.abi as ethers.InterfaceAbi, contract.bytecode, chain.signer);
    const deadline = (await chain.provider.getBlock('latest'))!.timestamp + 3600;
    const bounty = (await (await factory.deploy(entry.registry.address, entry.modelId, bundle.publicSignals[0], deadline, { value: ethers.parseEther('1') })).waitForDeployment()) as ethers.Contract;
    const [a, b, c, signals] = verifierArguments(bundle.proof, bundle.publicSignals)!;
    // The copier sends the claimant's claim from the mempool as its own: the claimant is paid.
    const receipt = (await (await (bounty.connect(copier) as ethers.Contract).claim(a, b, c, [...signals])).wait())!;
    const balanceAt = (who: ethers.Signer, block: number) => chain.provider.getBalance(who.getAddress(), block);
    expect((await balanceAt(claimant, receipt.blockNumber)) - (await balanceAt(claimant, receipt.blockNumber - 1))).toBe(ethers.parseEther('1'));
    expect((await balanceAt(copier, receipt.blockNumber - 1)) - (await balanceAt(copier, receipt.blockNumber))).toBe(receipt.gasUsed * receipt.gasPrice);
    expect(await bounty.winner()).toBe(await claimant.getAddress());
    expect(await bounty.label()).toBe(BigInt(bundle.publicSignals[layout.label!]!));
  });
});
