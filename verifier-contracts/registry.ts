/**
 * The InferenceRegistry contract from TypeScript: register a model, submit an inference proof
 * through it, and read what happened (gas, the recorded inference, or why not).
 * An entry's identity is its model id or its verifier's code hash (which the registry reads
 * itself); its keyHash and metadataURI are the owner's unchecked claims (docs/SECURITY.md).
 */
import { ethers } from 'ethers';
import { ZkinferError } from '../core/errors.js';
import { type Chain, onChain } from './chain.js';
import type { CompiledContract } from './solc.js';
import { type Groth16ProofJson, verifierArguments } from './verifier.js';

/** Layout index meaning "not among the public signals" (the contract's NONE). */
export const NONE = 255;

export interface ModelRegistration {
  verifier: string;
  /** 0x-prefixed 32 bytes: the verification key's sha256 or the parameters' commitment. */
  keyHash: string;
  publicSignals: number;
  inputIndex: number;
  outputIndex: number;
  /** params hashed: where the parameters' commitment is (keyHash is then that commitment). */
  paramsIndex: number;
  /** Where the recipient a proof is bound to is (an address as a field element), or NONE. */
  recipientIndex: number;
  metadataURI: string;
}

/** keccak256 of a contract's deployed code: what EXTCODEHASH, and so the registry, reads for it. */
export function codehashOf(contract: CompiledContract): string {
  return ethers.keccak256(contract.deployedBytecode);
}

export async function registerModel(chain: Chain, registry: CompiledContract, address: string, model: ModelRegistration): Promise<{ modelId: bigint; txHash: string; gasUsed: bigint }> {
  const contract = new ethers.Contract(address, registry.abi as ethers.InterfaceAbi, chain.signer);
  return onChain(chain, 'registering the model', async () => {
    const layout = { publicSignals: model.publicSignals, inputIndex: model.inputIndex, outputIndex: model.outputIndex, paramsIndex: model.paramsIndex, recipientIndex: model.recipientIndex };
    const args = [model.verifier, model.keyHash, layout, model.metadataURI] as const;
    const modelId = (await contract.registerModel.staticCall(...args)) as bigint;
    const receipt = await (await contract.registerModel(...args)).wait();
    if (!receipt || receipt.status !== 1) throw new ZkinferError('CHAIN', `registering the model on ${chain.name} reverted`);
    return { modelId, txHash: receipt.hash, gasUsed: receipt.gasUsed };
  });
}

/** Whether the registry's model accepts this proof, recorded or not (a view call: records nothing). */
export async function verifyInference(chain: Chain, registry: CompiledContract, address: string, modelId: bigint, proof: Groth16ProofJson, publicSignals: readonly string[]): Promise<boolean> {
  const args = verifierArguments(proof, publicSignals);
  if (!args) return false;
  const contract = new ethers.Contract(address, registry.abi as ethers.InterfaceAbi, chain.provider);
  return onChain(chain, `verifying the proof with model ${modelId} of the registry at ${address}`, async () => Boolean(await contract.verifyInference(modelId, args[0], args[1], args[2], [...args[3]])));
}

export type SubmissionOutcome =
  | { status: 'recorded'; inference: string; gasUsed: bigint; txHash: string; inputCommitment: bigint; output: bigint; verifierCodehash: string }
  | { status: 'already-recorded'; inference: string; by: string }
  | { status: 'invalid' };

/** The reason a contract call reverts, when it said it with one of the custom errors of `abi`. */
export function revertOf(abi: ethers.Interface, error: unknown): ethers.ErrorDescription | undefined {
  const data = (error as { data?: string; info?: { error?: { data?: string } } }).data ?? (error as { info?: { error?: { data?: string } } }).info?.error?.data;
  if (typeof data !== 'string') return (error as { revert?: ethers.ErrorDescription }).revert ?? undefined;
  try {
    return abi.parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Submit a proof through the registry: recorded, already recorded (the same public signals), or invalid. */
export async function submitInference(
  chain: Chain,
  registry: CompiledContract,
  address: string,
  modelId: bigint,
  proof: Groth16ProofJson,
  publicSignals: readonly string[],
): Promise<SubmissionOutcome> {
  const args = verifierArguments(proof, publicSignals);
  if (!args) return { status: 'invalid' }; // a value that cannot even be ABI-encoded
  const contract = new ethers.Contract(address, registry.abi as ethers.InterfaceAbi, chain.signer);
  const call = [modelId, args[0], args[1], args[2], [...args[3]]] as const;
  try {
    await contract.submitInference.staticCall(...call);
  } catch (error) {
    const reason = revertOf(contract.interface, error);
    if (reason?.name === 'InvalidProof') return { status: 'invalid' };
    if (reason?.name === 'AlreadyRecorded') return { status: 'already-recorded', inference: String(reason.args[0]), by: String(reason.args[1]) };
    if (reason) throw new ZkinferError('CHAIN', `the registry at ${address} refused the inference: ${reason.name}(${reason.args.join(', ')})`, { cause: error });
    throw new ZkinferError('CHAIN', `submitting the inference to ${address} on ${chain.name} failed: ${(error as { shortMessage?: string }).shortMessage ?? String(error)}`, { cause: error });
  }
  return onChain(chain, 'submitting the inference', async () => {
    const receipt = await (await contract.submitInference(...call)).wait();
    if (!receipt || receipt.status !== 1) throw new ZkinferError('CHAIN', `submitting the inference on ${chain.name} reverted`);
    const event = receipt.logs.map((log: ethers.Log) => contract.interface.parseLog(log)).find((parsed: ethers.LogDescription | null) => parsed?.name === 'InferenceRecorded');
    if (!event) throw new ZkinferError('CHAIN', `the registry at ${address} recorded no InferenceRecorded event`);
    return { status: 'recorded', inference: String(event.args.inference), gasUsed: receipt.gasUsed, txHash: receipt.hash, inputCommitment: event.args.inputCommitment as bigint, output: event.args.output as bigint, verifierCodehash: String(event.args.verifierCodehash) };
  });
}
