/**
 * The on-chain part of one model's benchmark: the Solidity verifier exported, deployed and the model
 * registered on Hardhat's in-process network, every proof checked by the bare verifier and
 * recorded through the InferenceRegistry, through the same steps as `zkinfer export-verifier`,
 * `deploy` and `verify-onchain`; and the calldata of one verifyProof call.
 */
import * as fs from 'node:fs/promises';
import { ethers } from 'ethers';
import { ZkinferError, deployStep, exportVerifierStep, verifyOnChainStep, type ProveStepResult } from '../index.js';
import { connectChain } from '../verifier-contracts/chain.js';
import { verifierArguments } from '../verifier-contracts/verifier.js';
import { timed } from '../core/progress.js';
import { spreadOf, type Spread } from './stats.js';

export interface OnChainBench {
  compiler: string;
  exportMs: number;
  verifyMs: Spread;
  /** Deploying the verifier; verifyProof alone (estimate); recording through the registry (receipts). */
  gas: { deploy: number; verify: Spread; registry: Spread };
  calldataBytes: number;
}

export async function benchOnChain(name: string, dir: string, proofs: readonly ProveStepResult[]): Promise<OnChainBench> {
  const exported = await timed(() => exportVerifierStep(dir));
  const chain = await connectChain();
  const deployed = await deployStep(dir, { chain });
  const times: number[] = [];
  const gas: number[] = [];
  const recorded: number[] = [];
  for (const proof of proofs) {
    const checked = await timed(() => verifyOnChainStep(dir, { proof: proof.file, direct: true, address: deployed.verifier.address, chain }));
    if (!checked.value.valid) throw new ZkinferError('CHECK_FAILED', `${name}: the proof ${proof.file} does not verify on-chain`);
    if (checked.value.gas === undefined) throw new ZkinferError('INTERNAL', `${name}: no gas estimate for the on-chain verification of ${proof.file}`);
    times.push(checked.ms);
    gas.push(Number(checked.value.gas));
    // Samples with the same public signals (the same image twice) are recorded once: count new records only.
    const submitted = await verifyOnChainStep(dir, { proof: proof.file, registry: deployed.registry.address, modelId: deployed.modelId, chain });
    if (!submitted.valid) throw new ZkinferError('CHECK_FAILED', `${name}: the registry refused the proof ${proof.file}`);
    if (submitted.submission?.status === 'recorded') recorded.push(Number(submitted.submission.gasUsed));
  }
  return {
    compiler: exported.value.compiler,
    exportMs: exported.ms,
    verifyMs: spreadOf(times)!,
    gas: { deploy: Number(deployed.verifier.gasUsed), verify: spreadOf(gas)!, registry: spreadOf(recorded)! },
    calldataBytes: await calldataBytes(exported.value.artifact, proofs[0]!),
  };
}

/** ABI-encoded calldata of one verifyProof call: selector, proof and public signals. */
async function calldataBytes(artifact: string, proved: ProveStepResult): Promise<number> {
  const { abi } = JSON.parse(await fs.readFile(artifact, 'utf8')) as { abi: ethers.InterfaceAbi };
  const args = verifierArguments(proved.bundle.proof, proved.bundle.publicSignals);
  if (!args) throw new ZkinferError('INTERNAL', `the proof ${proved.file} cannot be ABI-encoded`);
  return ethers.dataLength(new ethers.Interface(abi).encodeFunctionData('verifyProof', args));
}
