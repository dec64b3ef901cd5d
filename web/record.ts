/**
 * Recording a proof from the page through the model's InferenceRegistry: with the wallet the
 * browser injects (EIP-1193, window.ethereum), or for development with an RPC URL and a key typed
 * into the page. What goes on chain is the proof and its public signals, never the input.
 * ethers is loaded only when a proof is recorded.
 */
import { ZkinferError } from '../core/errors.js';
import { type Groth16ProofJson, verifierArguments } from '../verifier-contracts/calldata.js';
import type { WebManifest } from './site.js';

const REGISTRY_ABI = [
  'function submitInference(uint256 modelId, uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[] publicSignals) returns (bytes32 inference)',
  'error InvalidProof()',
  'error AlreadyRecorded(bytes32 inference, address by)',
  'error UnknownModel(uint256 modelId)',
];

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export interface RecordOptions {
  rpcUrl?: string | undefined;
  privateKey?: string | undefined;
}

/** Submit the proof; resolves with a sentence saying what happened, or throws one saying why not. */
export async function recordProof(manifest: WebManifest, proved: { proof: Groth16ProofJson; publicSignals: string[] }, options: RecordOptions): Promise<string> {
  const registry = manifest.registry;
  if (!registry) {
    throw new ZkinferError('USAGE', 'This model has no InferenceRegistry deployment in its artifacts: deploy and register it (zkinfer deploy DIR --rpc URL), then export the page again.');
  }
  const injected = (globalThis as { ethereum?: Eip1193 }).ethereum;
  const development = options.rpcUrl !== undefined && options.privateKey !== undefined;
  if (!injected && !development) {
    throw new ZkinferError('USAGE', 'No wallet found: this browser has no injected wallet (EIP-1193, window.ethereum). Install one, or for development give an RPC URL and a private key above.');
  }
  const args = verifierArguments(proved.proof, proved.publicSignals);
  if (!args) throw new ZkinferError('PROOF_INVALID', 'the proof has a value that is not a uint256');
  const { ethers } = await import('ethers');
  const signer = development
    ? new ethers.Wallet(options.privateKey!, new ethers.JsonRpcProvider(options.rpcUrl))
    : await new ethers.BrowserProvider(injected!).getSigner();
  const network = await signer.provider!.getNetwork();
  if (network.chainId !== BigInt(registry.chainId)) {
    throw new ZkinferError('CHAIN', `the wallet is on chain ${network.chainId}, and this model's registry is on chain ${registry.chainId}: switch networks`);
  }
  const contract = new ethers.Contract(registry.address, REGISTRY_ABI, signer);
  const call = [BigInt(registry.modelId), args[0], args[1], args[2], [...args[3]]] as const;
  try {
    await contract.getFunction('submitInference').staticCall(...call);
  } catch (error) {
    const reason = contract.interface.parseError((error as { data?: string }).data ?? '0x');
    if (reason?.name === 'AlreadyRecorded') return `Already recorded (inference ${String(reason.args[0])}, by ${String(reason.args[1])}).`;
    throw new ZkinferError('CHAIN', `the registry refused the proof: ${reason ? reason.name : ((error as { shortMessage?: string }).shortMessage ?? String(error))}`, { cause: error });
  }
  const receipt = await (await contract.getFunction('submitInference')(...call)).wait();
  if (!receipt || receipt.status !== 1) throw new ZkinferError('CHAIN', 'the transaction reverted');
  return `Recorded in block ${receipt.blockNumber} (transaction ${receipt.hash}).`;
}
