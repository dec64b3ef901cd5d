/**
 * `zkinfer export-verifier`, `deploy` and `verify-onchain`: the Solidity verifier of the folder's
 * key, compiled with solc-js; deployed with ethers and registered in an InferenceRegistry; proofs
 * submitted through the registry (or, with `direct`, checked by the bare verifier).
 *
 * The default chain, Hardhat's in-process network, lives only as long as the process: `deploy`
 * there shows the deployment and its gas, and `verify-onchain` deploys and registers first.
 * On an --rpc chain, `deploy` records the addresses in the manifest and `verify-onchain` uses them.
 */
import { ArtifactError, ZkinferError } from '../core/errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../core/files.js';
import { ethers } from 'ethers';
import { paramsCommitment } from '../circuits/commitment.js';
import { missingContributionReason } from '../prover/setup/ceremony.js';
import { type Chain, type ChainOptions, connectChain } from '../verifier-contracts/chain.js';
import { VERIFIER_CONTRACT_NAME, renderVerifier } from '../verifier-contracts/export.js';
import { type ModelRegistration, NONE, type SubmissionOutcome, codehashOf, registerModel, submitInference, verifyInference } from '../verifier-contracts/registry.js';
import { type CompiledContract, compileShippedContract, compileSolidity } from '../verifier-contracts/solc.js';
import { type Deployment, deployContract, verifyOnChain } from '../verifier-contracts/verifier.js';
import { artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES, type Manifest, latestDeployment, recordStage, writeManifest } from './manifest.js';
import { openProof, paramsMatchFolder } from './verify.js';

/**
 * The verifier's Solidity and compiled artifact, and its code hash: solc's settings are pinned, so
 * the same key always compiles to the same code, and the hash is what a registry entry of this key
 * must show (InferenceRegistry's verifierCodehash).
 */
export async function exportVerifierStep(dir: string): Promise<{ solidity: string; artifact: string; compiler: string; codehash: string }> {
  const manifest = await openArtifacts(dir, ['setup']);
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as Record<string, unknown>;
  const source = await renderVerifier(vk);
  const compiled = compileSolidity(source, VERIFIER_CONTRACT_NAME);
  await writeFileAtomic(artifactPath(dir, FILES.verifierSol), source);
  await writeJsonAtomic(artifactPath(dir, FILES.verifierJson), compiled);
  await recordStage(dir, manifest, 'export-verifier', { inputs: [FILES.vk], outputs: [FILES.verifierSol, FILES.verifierJson] }, { compiler: compiled.compiler, ...compiled.settings });
  return { solidity: artifactPath(dir, FILES.verifierSol), artifact: artifactPath(dir, FILES.verifierJson), compiler: compiled.compiler, codehash: codehashOf(compiled) };
}

async function openVerifier(dir: string): Promise<{ manifest: Manifest; contract: CompiledContract; hash: string }> {
  const manifest = await openArtifacts(dir, ['export-verifier']);
  const contract = (await readJson(artifactPath(dir, FILES.verifierJson), 'verifier contract')) as CompiledContract;
  return { manifest, contract, hash: manifest.stages['export-verifier']!.outputs[FILES.verifierJson] };
}

export interface DeployOptions extends ChainOptions {
  chain?: Chain;
  /** An InferenceRegistry to register in (default: one recorded for this chain, else a new one). */
  registry?: string;
  metadataURI?: string;
  /** Deploy even a key without a phase-2 contribution, for which anyone can forge proofs (tests, demos). */
  allowUncontributedKey?: boolean;
}

export interface DeployStepResult {
  chain: string;
  chainId: bigint;
  verifier: Deployment;
  registry: { address: string; deployed?: Deployment };
  modelId: bigint;
  /** Gas of the registerModel transaction. */
  registrationGas: bigint;
  /** True on the in-process network: the deployment ends with this process. */
  ephemeral: boolean;
  /** The keys' security status as the setup recorded it ('development: …' or 'production: …'). */
  security: string;
  /** Why anyone can forge proofs for this key (no phase-2 contribution), when deployed with allowUncontributedKey. */
  forgeable?: string;
}

/** How the registry reads the folder's proofs: where the input commitment, output and parameters' commitment are, and the key hash. */
async function registration(dir: string, manifest: Manifest): Promise<Omit<ModelRegistration, 'verifier' | 'metadataURI'>> {
  const { model, plan, layout } = await readCircuit(dir, manifest);
  const params = plan.params ? paramsCommitment(plan.params, model) : undefined;
  return {
    keyHash: params !== undefined ? ethers.toBeHex(params, 32) : `0x${manifest.stages.setup!.outputs[FILES.vk]}`,
    publicSignals: layout.names.length,
    inputIndex: layout.inputCommitment ?? NONE,
    outputIndex: layout.label ?? layout.outputCommitment ?? NONE,
    paramsIndex: layout.paramsCommitment ?? NONE,
    recipientIndex: layout.recipient ?? NONE,
  };
}

/**
 * Why anyone could forge proofs the deployed verifier accepts, or undefined: the proving key, and
 * the verification key the verifier is made from, must have a secret phase-2 contribution (δ ≠ γ).
 * Checked on the keys themselves, whatever the manifest says.
 */
async function forgeableReason(dir: string): Promise<string | undefined> {
  const vk = (await readJson(artifactPath(dir, FILES.vk), 'verification key')) as { vk_gamma_2?: unknown; vk_delta_2?: unknown };
  if (JSON.stringify(vk.vk_delta_2) === JSON.stringify(vk.vk_gamma_2)) return `${artifactPath(dir, FILES.vk)} has δ = γ: its key has no phase-2 contribution, so anyone can forge a proof of any public signals for it`;
  return missingContributionReason(artifactPath(dir, FILES.zkey));
}

async function deployAndRegister(dir: string, chain: Chain, options: DeployOptions): Promise<DeployStepResult> {
  const { manifest, contract, hash } = await openVerifier(dir);
  const forgeable = await forgeableReason(dir);
  if (forgeable && !options.allowUncontributedKey) {
    throw new ZkinferError('SETUP', `refusing to deploy: ${forgeable}. Run \`zkinfer ceremony contribute ${dir} --name NAME\` and \`zkinfer export-verifier ${dir}\` first, or pass --allow-uncontributed-key to deploy a verifier that accepts forged proofs`, { details: { dir } });
  }
  const registryContract = compileShippedContract('InferenceRegistry');
  const verifier = await deployContract(chain, contract);
  const known = options.registry ?? latestDeployment(manifest, (d) => d.chainId === chain.chainId.toString() && d.registry !== undefined)?.registry;
  const registry = known ? { address: known } : await deployContract(chain, registryContract).then((d) => ({ address: d.address, deployed: d }));
  const registered = await registerModel(chain, registryContract, registry.address, {
    verifier: verifier.address,
    ...(await registration(dir, manifest)),
    metadataURI: options.metadataURI ?? `zkinfer:${manifest.model.name}`,
  });
  if (chain.kind === 'rpc') {
    manifest.deployments.push({
      chainId: chain.chainId.toString(),
      rpc: chain.name,
      address: verifier.address,
      txHash: verifier.txHash,
      verifier: hash,
      registry: registry.address,
      modelId: registered.modelId.toString(),
      at: new Date().toISOString(),
    });
    await writeManifest(dir, manifest);
  }
  const security = String(manifest.stages.setup?.info.security ?? 'unknown');
  return { chain: chain.name, chainId: chain.chainId, verifier, registry, modelId: registered.modelId, registrationGas: registered.gasUsed, ephemeral: chain.kind === 'in-process', security, ...(forgeable ? { forgeable } : {}) };
}

export async function deployStep(dir: string, options: DeployOptions = {}): Promise<DeployStepResult> {
  await openVerifier(dir); // refuse a stale folder before touching any chain
  return deployAndRegister(dir, options.chain ?? (await connectChain(options)), options);
}

export interface VerifyOnChainOptions extends ChainOptions {
  proof: string;
  chain?: Chain;
  /** Check with the bare verifier (a view call) instead of submitting through the registry. */
  direct?: boolean;
  /** A deployed verifier (with `direct`), or a registry holding the model (with `modelId`). */
  address?: string;
  registry?: string;
  modelId?: bigint;
  /** When this call deploys: deploy even a key without a phase-2 contribution (see DeployOptions). */
  allowUncontributedKey?: boolean;
}

export interface VerifyOnChainResult {
  valid: boolean;
  /** Through the registry: gas of the submitInference transaction; direct: eth_estimateGas of verifyProof. */
  gas?: bigint;
  /** Through the registry: what it recorded, or that these public signals were recorded before. */
  submission?: SubmissionOutcome;
  chain: string;
  verifier?: string;
  registry?: string;
  modelId?: bigint;
  /** Set when this call deployed (and registered) what it used: the in-process network. */
  deployed?: DeployStepResult;
}

export async function verifyOnChainStep(dir: string, options: VerifyOnChainOptions): Promise<VerifyOnChainResult> {
  const { manifest, contract, hash } = await openVerifier(dir);
  const { bundle, circuit } = await openProof(dir, options.proof);
  // The bare verifier accepts any weights of this shape (params hashed); the registry compares
  // them with the ones it registered, so only `direct` needs the check here, before sending.
  if (options.direct && paramsMatchFolder(circuit, bundle.publicSignals) === false) {
    throw new ZkinferError('CHECK_FAILED', `${options.proof}: the proof's parameters commitment is not ${dir}'s model's (it was made with other weights): not sent`, { details: { proof: options.proof, dir } });
  }
  const chain = options.chain ?? (await connectChain(options));
  const recorded = latestDeployment(manifest, (d) => d.chainId === chain.chainId.toString() && d.verifier === hash);
  let deployed: DeployStepResult | undefined;
  const needDeployment = options.direct ? !options.address && !recorded : !(options.registry && options.modelId !== undefined) && !recorded?.registry;
  if (needDeployment) {
    if (chain.kind !== 'in-process') {
      throw new ArtifactError('ARTIFACT_MISSING', `no verifier of this key is deployed on chain ${chain.chainId} (${chain.name}): run \`zkinfer deploy ${dir} --rpc ${chain.name}\`, or pass --address / --registry with --model-id`, dir);
    }
    deployed = await deployAndRegister(dir, chain, { ...(options.registry ? { registry: options.registry } : {}), ...(options.allowUncontributedKey ? { allowUncontributedKey: true } : {}) });
  }
  if (options.direct) {
    const address = options.address ?? deployed?.verifier.address ?? recorded!.address;
    const result = await verifyOnChain(chain, address, contract.abi, bundle.proof, bundle.publicSignals);
    return { ...result, chain: chain.name, verifier: address, ...(deployed ? { deployed } : {}) };
  }
  const registry = options.registry ?? deployed?.registry.address ?? recorded!.registry!;
  const modelId = options.modelId ?? deployed?.modelId ?? BigInt(recorded!.modelId!);
  const registryContract = compileShippedContract('InferenceRegistry');
  const submission = await submitInference(chain, registryContract, registry, modelId, bundle.proof, bundle.publicSignals);
  // The registry refuses known public signals before verifying: ask it about this proof without recording.
  const valid =
    submission.status === 'already-recorded'
      ? await verifyInference(chain, registryContract, registry, modelId, bundle.proof, bundle.publicSignals)
      : submission.status === 'recorded';
  return {
    valid,
    ...(submission.status === 'recorded' ? { gas: submission.gasUsed } : {}),
    submission,
    chain: chain.name,
    registry,
    modelId,
    ...(deployed ? { deployed, verifier: deployed.verifier.address } : {}),
  };
}
