/**
 * `zkinfer export-verifier`, `deploy` and `verify-onchain`: the Solidity verifier of the folder's
 * key, compiled with solc-js, deployed with ethers, called with a proof file.
 *
 * The default chain, Hardhat's in-process network, lives only as long as the process: `deploy`
 * there shows the deployment and its gas, and `verify-onchain` deploys its own verifier first.
 * On an --rpc chain, `deploy` records the address in the manifest and `verify-onchain` uses it.
 */
import { ArtifactError } from '../core/errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../core/files.js';
import { type Chain, type ChainOptions, connectChain } from '../verifier-contracts/chain.js';
import { VERIFIER_CONTRACT_NAME, renderVerifier } from '../verifier-contracts/export.js';
import { type CompiledContract, compileSolidity } from '../verifier-contracts/solc.js';
import { type Deployment, deployContract, verifyOnChain } from '../verifier-contracts/verifier.js';
import { artifactPath, openArtifacts } from './artifacts.js';
import { FILES, type Manifest, recordStage, writeManifest } from './manifest.js';
import { openProof } from './verify.js';

export async function exportVerifierStep(dir: string): Promise<{ solidity: string; artifact: string; compiler: string }> {
  const manifest = await openArtifacts(dir, ['setup']);
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as Record<string, unknown>;
  const source = await renderVerifier(vk);
  const compiled = compileSolidity(source, VERIFIER_CONTRACT_NAME);
  await writeFileAtomic(artifactPath(dir, FILES.verifierSol), source);
  await writeJsonAtomic(artifactPath(dir, FILES.verifierJson), compiled);
  await recordStage(dir, manifest, 'export-verifier', { inputs: [FILES.vk], outputs: [FILES.verifierSol, FILES.verifierJson] }, { compiler: compiled.compiler, ...compiled.settings });
  return { solidity: artifactPath(dir, FILES.verifierSol), artifact: artifactPath(dir, FILES.verifierJson), compiler: compiled.compiler };
}

async function openVerifier(dir: string): Promise<{ manifest: Manifest; contract: CompiledContract; hash: string }> {
  const manifest = await openArtifacts(dir, ['export-verifier']);
  const contract = (await readJson(artifactPath(dir, FILES.verifierJson), 'verifier contract')) as CompiledContract;
  return { manifest, contract, hash: manifest.stages['export-verifier']!.outputs[FILES.verifierJson] };
}

export interface DeployStepResult extends Deployment {
  chain: string;
  chainId: bigint;
  /** True on the in-process network: the deployment ends with this process. */
  ephemeral: boolean;
}

async function deployVerifier(dir: string, chain: Chain): Promise<DeployStepResult> {
  const { manifest, contract, hash } = await openVerifier(dir);
  const deployment = await deployContract(chain, contract);
  if (chain.kind === 'rpc') {
    manifest.deployments.push({ chainId: chain.chainId.toString(), rpc: chain.name, address: deployment.address, txHash: deployment.txHash, verifier: hash, at: new Date().toISOString() });
    await writeManifest(dir, manifest);
  }
  return { ...deployment, chain: chain.name, chainId: chain.chainId, ephemeral: chain.kind === 'in-process' };
}

export async function deployStep(dir: string, options: ChainOptions & { chain?: Chain } = {}): Promise<DeployStepResult> {
  await openVerifier(dir); // refuse a stale folder before touching any chain
  return deployVerifier(dir, options.chain ?? (await connectChain(options)));
}

export interface VerifyOnChainResult {
  valid: boolean;
  gas?: bigint;
  address: string;
  chain: string;
  /** Set when this call deployed the verifier it used (the in-process network). */
  deployed?: DeployStepResult;
}

export async function verifyOnChainStep(dir: string, options: ChainOptions & { proof: string; address?: string; chain?: Chain }): Promise<VerifyOnChainResult> {
  const { manifest, contract, hash } = await openVerifier(dir);
  const { bundle } = await openProof(dir, options.proof);
  const chain = options.chain ?? (await connectChain(options));
  let address = options.address;
  let deployed: DeployStepResult | undefined;
  if (!address && chain.kind === 'in-process') {
    deployed = await deployVerifier(dir, chain);
    address = deployed.address;
  }
  if (!address) {
    const found = [...manifest.deployments].reverse().find((d) => d.chainId === chain.chainId.toString() && d.verifier === hash);
    if (!found) {
      throw new ArtifactError('ARTIFACT_MISSING', `no verifier of this key is deployed on chain ${chain.chainId} (${chain.name}): run \`zkinfer deploy ${dir} --rpc ${chain.name}\` or pass --address`, dir);
    }
    address = found.address;
  }
  const result = await verifyOnChain(chain, address, contract.abi, bundle.proof, bundle.publicSignals);
  return { ...result, address, chain: chain.name, ...(deployed ? { deployed } : {}) };
}
