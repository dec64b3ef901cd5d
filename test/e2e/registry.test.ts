/**
 * The InferenceRegistry and the example bounty dApp on Hardhat's in-process network: a model is
 * registered, a proof is recorded once (the same public signals never twice), a tampered proof is
 * refused, and the bounty pays whoever first proves the classification of its committed input.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ethers } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { compileStep } from '../../pipeline/compile.js';
import { deployStep, exportVerifierStep, verifyOnChainStep, type DeployStepResult } from '../../pipeline/contracts.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { type Chain, connectChain } from '../../verifier-contracts/chain.js';
import { submitInference } from '../../verifier-contracts/registry.js';
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
  });

  it('records a valid proof once, with its input commitment and label, and never the same public signals twice', async () => {
    const bundle = await bundleOf(proof);
    const entry = { registry: deployed.registry.address, modelId: deployed.modelId, chain };
    const first = await verifyOnChainStep(dir, { proof, ...entry });
    expect(first.valid).toBe(true);
    expect(first.submission).toMatchObject({ status: 'recorded', inputCommitment: BigInt(bundle.publicSignals[0]), output: BigInt(bundle.publicSignals[1]) });
    expect(Number(first.gas)).toBeGreaterThan(150_000);
    const again = await verifyOnChainStep(dir, { proof, ...entry });
    expect(again.valid).toBe(true);
    expect(again.submission).toMatchObject({ status: 'already-recorded', by: await chain.signer.getAddress() });
    const inference = (outcome: typeof first.submission) => (outcome && outcome.status !== 'invalid' ? outcome.inference : undefined);
    expect(inference(again.submission)).toBeDefined();
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

describe('ClassificationBounty', () => {
  it('pays the first valid claim for its committed input and keeps the label', async () => {
    const bundle = await bundleOf(otherProof);
    const contract = compileShippedContract('ClassificationBounty');
    const factory = new ethers.ContractFactory(contract.abi as ethers.InterfaceAbi, contract.bytecode, chain.signer);
    const bounty = await factory.deploy(deployed.registry.address, deployed.modelId, bundle.publicSignals[0], { value: ethers.parseEther('1') });
    await bounty.waitForDeployment();
    const claimant = await (chain.provider as ethers.BrowserProvider).getSigner(1);
    const args = verifierArguments(bundle.proof, bundle.publicSignals)!;
    // Another input's proof does not claim this bounty.
    const wrong = await bundleOf(proof);
    const wrongArgs = verifierArguments(wrong.proof, wrong.publicSignals)!;
    await expect((bounty.connect(claimant) as ethers.Contract).claim(...wrongArgs.slice(0, 3), [...wrongArgs[3]])).rejects.toThrow(/WrongInput|revert/);
    const receipt = (await (await (bounty.connect(claimant) as ethers.Contract).claim(...args.slice(0, 3), [...args[3]])).wait()) as ethers.TransactionReceipt;
    // Balances at the blocks around the claim (reads at 'latest' may be cached by the provider).
    const balanceAt = (block: bigint | number) => chain.provider.getBalance(claimant.getAddress(), block);
    const [before, after] = [await balanceAt(BigInt(receipt!.blockNumber) - 1n), await balanceAt(receipt!.blockNumber)];
    expect(after - before + receipt!.gasUsed * receipt!.gasPrice).toBe(ethers.parseEther('1'));
    expect(await chain.provider.getBalance(await bounty.getAddress(), receipt!.blockNumber)).toBe(0n);
    expect(await (bounty as ethers.Contract).winner()).toBe(await claimant.getAddress());
    expect(await (bounty as ethers.Contract).label()).toBe(BigInt(bundle.publicSignals[1]));
    await expect((bounty as ethers.Contract).claim(...args.slice(0, 3), [...args[3]])).rejects.toThrow(/AlreadyClaimed|revert/);
  });

  it('can only be claimed through a registered model with a layout', async () => {
    const registry = await deployContract(chain, compileShippedContract('InferenceRegistry'));
    const contract = new ethers.Contract(registry.address, compileShippedContract('InferenceRegistry').abi as ethers.InterfaceAbi, chain.signer);
    await expect(contract.registerModel(deployed.verifier.address, ethers.ZeroHash, 6, 6, 1, 255, 'x')).rejects.toThrow(/BadLayout|revert/);
    await expect(contract.model(0)).rejects.toThrow(/UnknownModel|revert/);
  });
});
