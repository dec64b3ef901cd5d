/**
 * ClassificationBounty and the registry's trust model, attacked on Hardhat's in-process network
 * with real Groth16 proofs of a tiny hand-written circuit shaped like a zkinfer one: public signals
 * [inputCommitment, label, recipient], the recipient tied into a constraint. Each test performs
 * one attack of the review: a claim copied by a front-runner, an inference recorded before the
 * claim, a bounty for a model id not registered yet, a squatter with the real key hash.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ethers } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { packageRoot } from '../../core/paths.js';
import type { ProofResult } from '../../prover/pool/messages.js';
import { ProverPool } from '../../prover/pool/pool.js';
import { proveInference } from '../../prover/prove.js';
import { devSetup } from '../../prover/setup/dev-setup.js';
import { type Chain, connectChain } from '../../verifier-contracts/chain.js';
import { VERIFIER_CONTRACT_NAME, renderVerifier } from '../../verifier-contracts/export.js';
import { NONE, codehashOf, registerModel, revertOf, submitInference } from '../../verifier-contracts/registry.js';
import { type CompiledContract, compileShippedContract, compileSolidity, compileSolidityFiles } from '../../verifier-contracts/solc.js';
import { deployContract, verifierArguments } from '../../verifier-contracts/verifier.js';
import { compileSource } from '../helpers/circuits.js';

/** inputCommitment = Poseidon(salt, x), label = x, and the recipient bound by a constraint (its square). */
const SOURCE = `pragma circom 2.1.0;
include "poseidon.circom";
template Bounty() {
    signal input x;
    signal input salt;
    signal input recipient;
    signal output inputCommitment;
    signal output label;
    inputCommitment <== Poseidon(2)([salt, x]);
    label <== x;
    signal recipientSquared <== recipient * recipient;
}
component main {public [recipient]} = Bounty();
`;
const LAYOUT = { publicSignals: 3, inputIndex: 0, outputIndex: 1, paramsIndex: NONE, recipientIndex: 2 };
const INPUT = { x: 3, salt: 1234567 };
const REWARD = ethers.parseEther('1');

/** A "verifier" that accepts anything: what a squatter or a bounty thief registers. */
const ACCEPT_ALL = `// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.30;
contract AcceptAll {
    fallback(bytes calldata) external returns (bytes memory) { return abi.encode(uint256(1)); }
}
`;

let chain: Chain;
let circuit: { wasm: string; zkey: string };
let verifierContract: CompiledContract;
let verifier: string;
let acceptAll: string;
let registryContract: CompiledContract;
let registry: ethers.Contract;
let modelId: bigint;
let funder: ethers.Signer;
let claimant: ethers.Signer;
let attacker: ethers.Signer;
/** The commitment to INPUT, which every bounty here is for. */
let inputCommitment: string;
let pool: ProverPool;

const signer = (i: number) => (chain.provider as ethers.BrowserProvider).getSigner(i);
const prove = (recipient: bigint | string): Promise<ProofResult> => proveInference({ witnessPath: circuit.wasm, zkeyPath: circuit.zkey, input: { ...INPUT, recipient: BigInt(recipient) }, pool });
const claimArgs = (p: ProofResult) => {
  const [a, b, c, signals] = verifierArguments(p.proof, p.publicSignals)!;
  return [a, b, c, [...signals]] as const;
};
const latestTime = async () => BigInt((await chain.provider.getBlock('latest'))!.timestamp);
const passTime = async (seconds: number) => {
  await (chain.provider as ethers.BrowserProvider).send('evm_increaseTime', [seconds]);
  await (chain.provider as ethers.BrowserProvider).send('evm_mine', []);
};
/** What the transaction of `receipt` moved to or from `who`, gas given back when `who` paid it. */
async function balanceChange(who: ethers.Signer, receipt: ethers.TransactionReceipt): Promise<bigint> {
  const at = (block: number) => chain.provider.getBalance(who.getAddress(), block);
  const change = (await at(receipt.blockNumber)) - (await at(receipt.blockNumber - 1));
  return receipt.from === (await who.getAddress()) ? change + receipt.gasUsed * receipt.gasPrice : change;
}
/** The custom error `call` reverts with (the bounty's or the registry's), or why not. */
async function reverts(call: Promise<unknown>): Promise<string> {
  const fragments = [...compileShippedContract('ClassificationBounty').abi, ...registryContract.abi].filter((f) => (f as { type: string }).type === 'error');
  const errors = new ethers.Interface([...new Map(fragments.map((f) => [JSON.stringify(f), f])).values()] as ethers.InterfaceAbi);
  try {
    await call;
  } catch (error) {
    return revertOf(errors, error)?.name ?? `an error that is no custom error: ${String(error).slice(0, 200)}`;
  }
  return 'no revert';
}
async function mined(tx: Promise<ethers.ContractTransactionResponse>): Promise<ethers.TransactionReceipt> {
  return (await (await tx).wait())!;
}

async function newBounty(options: { model?: bigint; deadlineIn?: bigint; registryAddress?: string } = {}): Promise<ethers.Contract> {
  const contract = compileShippedContract('ClassificationBounty');
  const factory = new ethers.ContractFactory(contract.abi as ethers.InterfaceAbi, contract.bytecode, funder);
  const deadline = (await latestTime()) + (options.deadlineIn ?? 3600n);
  const bounty = await factory.deploy(options.registryAddress ?? (await registry.getAddress()), options.model ?? modelId, inputCommitment, deadline, { value: REWARD });
  await bounty.waitForDeployment();
  return bounty as ethers.Contract;
}

beforeAll(async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-bounty-'));
  const { files } = await compileSource(SOURCE);
  circuit = { wasm: files.wasm, zkey: path.join(tmp, 'key.zkey') };
  const vkPath = path.join(tmp, 'vk.json');
  await devSetup({ r1csPath: files.r1cs, zkeyPath: circuit.zkey, vkPath });
  verifierContract = compileSolidity(await renderVerifier(JSON.parse(await fs.readFile(vkPath, 'utf8'))), VERIFIER_CONTRACT_NAME);
  chain = await connectChain();
  [funder, claimant, attacker] = [await signer(0), await signer(1), await signer(2)];
  verifier = (await deployContract(chain, verifierContract)).address;
  acceptAll = (await deployContract(chain, compileSolidity(ACCEPT_ALL, 'AcceptAll'))).address;
  registryContract = compileShippedContract('InferenceRegistry');
  const address = (await deployContract(chain, registryContract)).address;
  registry = new ethers.Contract(address, registryContract.abi as ethers.InterfaceAbi, funder);
  pool = await ProverPool.create({ size: 1 });
  inputCommitment = (await prove(await claimant.getAddress())).publicSignals[0]!;
  ({ modelId } = await registerModel(chain, registryContract, address, { verifier, keyHash: ethers.id('the real key'), ...LAYOUT, metadataURI: 'ipfs://real' }));
});

afterAll(async () => {
  await pool?.close();
});

describe('ClassificationBounty', () => {
  it('pays the recipient the proof names, not whoever sends the claim: a copied claim pays the prover', async () => {
    const bounty = await newBounty();
    const proof = await prove(await claimant.getAddress());
    // The front-runner sends the claimant's pending claim as its own, first.
    const receipt = await mined((bounty.connect(attacker) as ethers.Contract).claim(...claimArgs(proof)));
    expect(await balanceChange(claimant, receipt)).toBe(REWARD);
    expect(await balanceChange(attacker, receipt)).toBe(0n);
    expect(await bounty.winner()).toBe(await claimant.getAddress());
    expect(await bounty.label()).toBe(BigInt(INPUT.x));
    expect(await reverts(bounty.claim(...claimArgs(proof)))).toBe('AlreadyClaimed');
  });

  it('cannot be redirected by changing the recipient signal of a proof (the verifier refuses it)', async () => {
    const bounty = await newBounty();
    const proof = await prove(await claimant.getAddress());
    const [a, b, c, signals] = claimArgs(proof);
    const redirected = [signals[0], signals[1], await attacker.getAddress()];
    expect(await reverts((bounty.connect(attacker) as ethers.Contract).claim(a, b, c, redirected))).toBe('InvalidProof');
    expect(await bounty.winner()).toBe(ethers.ZeroAddress);
  });

  it('refuses a recipient signal that is not an address (zero, or 2^160 and above)', async () => {
    const bounty = await newBounty();
    for (const recipient of [0n, (1n << 160n) + BigInt(await claimant.getAddress())]) {
      expect(await reverts(bounty.claim(...claimArgs(await prove(recipient))))).toBe('BadRecipient');
    }
  });

  it('is claimable when the inference was recorded in the registry first, still only with a valid proof', async () => {
    const bounty = await newBounty();
    const recipient = await signer(3); // public signals no other test records
    const proof = await prove(await recipient.getAddress());
    // Anyone (the claimant too, with \`zkinfer verify-onchain\`) records these public signals first.
    const recorded = await submitInference({ ...chain, signer: attacker }, registryContract, await registry.getAddress(), modelId, proof.proof, proof.publicSignals);
    expect(recorded.status).toBe('recorded');
    const forged = structuredClone(proof);
    forged.proof.pi_a[0] = ((BigInt(forged.proof.pi_a[0]!) + 1n) % BASE_FIELD_MODULUS).toString();
    expect(await reverts(bounty.claim(...claimArgs(forged)))).toBe('InvalidProof');
    const receipt = await mined(bounty.claim(...claimArgs(proof)));
    expect(await balanceChange(recipient, receipt)).toBe(REWARD);
    expect(await bounty.winner()).toBe(await recipient.getAddress());
  });

  it('refunds its funder after the deadline if unclaimed, and takes no claim then', async () => {
    const bounty = await newBounty({ deadlineIn: 600n });
    const proof = await prove(await claimant.getAddress());
    expect(await reverts(bounty.refund())).toBe('DeadlineNotPassed');
    await passTime(601);
    expect(await reverts(bounty.claim(...claimArgs(proof)))).toBe('DeadlinePassed');
    const receipt = await mined((bounty.connect(attacker) as ethers.Contract).refund());
    expect(await balanceChange(funder, receipt)).toBe(REWARD);
    expect(await chain.provider.getBalance(await bounty.getAddress(), receipt.blockNumber)).toBe(0n);
    expect(await reverts(bounty.refund())).toBe('AlreadyRefunded');
    expect(await reverts(bounty.claim(...claimArgs(proof)))).toBe('AlreadyRefunded');
    const claimed = await newBounty({ deadlineIn: 600n });
    await mined(claimed.claim(...claimArgs(proof)));
    await passTime(601);
    expect(await reverts(claimed.refund())).toBe('AlreadyClaimed');
  });

  it('refuses a deadline already passed', async () => {
    expect(await reverts(newBounty({ deadlineIn: 0n }))).toBe('DeadlinePassed');
  });

  it('refuses a model id not registered yet, so no one can register an accept-anything verifier under it to take the bounty', async () => {
    const next = (await registry.modelCount()) as bigint;
    expect(await reverts(newBounty({ model: next }))).toBe('UnknownModel');
  });

  it('refuses a model without a recipient signal: its claims could be copied', async () => {
    const { modelId: unbound } = await registerModel(chain, registryContract, await registry.getAddress(), { verifier, keyHash: ethers.ZeroHash, ...LAYOUT, recipientIndex: NONE, metadataURI: '' });
    expect(await reverts(newBounty({ model: unbound }))).toBe('ModelWithoutLayout');
  });

  it('pins the verifier it was funded for: an entry that changes its verifier afterwards pays nothing', async () => {
    // A registry whose entries can change (not InferenceRegistry, whose entries never do).
    const source = `// SPDX-License-Identifier: GPL-3.0
pragma solidity ^0.8.30;
import {InferenceRegistry} from "./InferenceRegistry.sol";
contract MutableRegistry {
    InferenceRegistry.Model private entry;
    uint8 public constant NONE = 255;
    function set(InferenceRegistry.Model calldata m) external { entry = m; }
    function model(uint256) external view returns (InferenceRegistry.Model memory) { return entry; }
    function recordedBy(bytes32) external pure returns (address) { return address(1); }
    function inferenceKey(uint256, uint256[] calldata) external pure returns (bytes32) { return 0; }
    function verifyInference(uint256, uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[] calldata) external pure returns (bool) { return true; }
}
`;
    const shipped = await fs.readFile(path.join(packageRoot(), 'verifier-contracts', 'contracts', 'InferenceRegistry.sol'), 'utf8');
    const mutable = compileSolidityFiles({ 'MutableRegistry.sol': source, 'InferenceRegistry.sol': shipped }, 'MutableRegistry');
    const deployed = await deployContract(chain, mutable);
    const fake = new ethers.Contract(deployed.address, mutable.abi as ethers.InterfaceAbi, funder);
    const entry = { ...(await registry.model(modelId)).toObject() };
    await mined(fake.set(entry));
    const bounty = await newBounty({ registryAddress: deployed.address, model: 0n });
    expect(await bounty.verifier()).toBe(verifier);
    await mined(fake.set({ ...entry, verifier: acceptAll }));
    expect(await reverts(bounty.claim(...claimArgs(await prove(await attacker.getAddress()))))).toBe('ModelChanged');
  });
});

describe('InferenceRegistry trust model', () => {
  it("records the verifier's code hash itself: a squatter with the real key hash and metadata is told apart", async () => {
    const expected = codehashOf(verifierContract);
    expect(ethers.keccak256(await chain.provider.getCode(verifier))).toBe(expected);
    const real = await registry.model(modelId);
    // The squatter copies the real entry's claims, with a verifier that accepts anything.
    const { modelId: squatted } = await registerModel({ ...chain, signer: attacker }, registryContract, await registry.getAddress(), {
      verifier: acceptAll,
      keyHash: real.keyHash,
      ...LAYOUT,
      metadataURI: real.metadataURI,
    });
    const proof = await prove(await attacker.getAddress());
    const signals = [proof.publicSignals[0]!, '9', proof.publicSignals[2]!]; // any label for the real input commitment
    const fake = await submitInference({ ...chain, signer: attacker }, registryContract, await registry.getAddress(), squatted, proof.proof, signals);
    expect(fake.status).toBe('recorded');
    // A consumer that trusts the key hash finds two entries; the code hash the registry read tells them apart.
    const squatter = await registry.model(squatted);
    expect(squatter.keyHash).toBe(real.keyHash);
    expect(real.verifierCodehash).toBe(expected);
    expect(squatter.verifierCodehash).not.toBe(expected);
    expect(squatter.verifierCodehash).toBe(ethers.keccak256(await chain.provider.getCode(acceptAll)));
    // And so do the events a consumer reads.
    const registered = await registry.queryFilter(registry.filters.ModelRegistered!());
    const byId = new Map(registered.map((e) => [(e as ethers.EventLog).args.modelId as bigint, (e as ethers.EventLog).args.verifierCodehash as string]));
    expect([byId.get(modelId), byId.get(squatted)]).toEqual([expected, squatter.verifierCodehash]);
    expect(fake.status === 'recorded' && fake.verifierCodehash).toBe(squatter.verifierCodehash);
  });
});
