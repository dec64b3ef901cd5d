/**
 * Deploy a compiled verifier and check Groth16 proofs with it on-chain.
 */
import { ethers } from 'ethers';
import { ZkinferError } from '../core/errors.js';
import { type Chain, onChain } from './chain.js';
import type { CompiledContract } from './solc.js';
import { type Groth16ProofJson, verifierArguments } from './calldata.js';

export { type Groth16ProofJson, verifierArguments };

export interface Deployment {
  address: string;
  txHash: string;
  gasUsed: bigint;
  blockNumber: number;
}

export async function deployContract(chain: Chain, contract: CompiledContract): Promise<Deployment> {
  return onChain(chain, `deploying ${contract.contractName}`, async () => {
    const factory = new ethers.ContractFactory(contract.abi as ethers.InterfaceAbi, contract.bytecode, chain.signer);
    const deployed = await factory.deploy();
    const receipt = await deployed.deploymentTransaction()!.wait();
    if (!receipt || receipt.status !== 1) throw new ZkinferError('CHAIN', `deploying ${contract.contractName} on ${chain.name} reverted`);
    return { address: await deployed.getAddress(), txHash: receipt.hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
  });
}

export interface OnChainVerification {
  valid: boolean;
  /** eth_estimateGas of a transaction calling verifyProof (what a dApp pays to check one proof). */
  gas?: bigint;
}

export async function verifyOnChain(
  chain: Chain,
  address: string,
  abi: unknown[],
  proof: Groth16ProofJson,
  publicSignals: readonly string[],
): Promise<OnChainVerification> {
  const code = await onChain(chain, `reading the code at ${address}`, () => chain.provider.getCode(address));
  if (code === '0x') throw new ZkinferError('CHAIN', `there is no contract at ${address} on ${chain.name} (chain id ${chain.chainId})`);
  const args = verifierArguments(proof, publicSignals);
  if (!args) return { valid: false };
  const verifier = new ethers.Contract(address, abi as ethers.InterfaceAbi, chain.signer);
  const valid = await onChain(chain, 'calling verifyProof', () => verifier.verifyProof.staticCall(...args));
  if (typeof valid !== 'boolean') throw new ZkinferError('CHAIN', `verifyProof at ${address} answered ${String(valid)}, not a boolean`);
  const gas = await onChain(chain, 'estimating verifyProof gas', () => verifier.verifyProof.estimateGas(...args));
  return { valid, gas };
}
