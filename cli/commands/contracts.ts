import type { Command } from 'commander';
import { ZkinferError } from '../../core/errors.js';
import type { DeployStepResult } from '../../index.js';
import { addChainOptions, chainOptions } from '../options.js';
import { print, printJson } from '../terminal.js';

function address(value: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new ZkinferError('USAGE', `'${value}' is not an address (0x and 40 hex digits)`);
  return value;
}

function modelId(value: string): bigint {
  if (!/^\d{1,30}$/.test(value)) throw new ZkinferError('USAGE', `--model-id must be a non-negative integer, found '${value}'`);
  return BigInt(value);
}

const ALLOW_UNCONTRIBUTED = ['--allow-uncontributed-key', 'deploy even a key without a phase-2 contribution, whose verifier accepts proofs anyone can forge (tests only)'] as const;

/** On stderr, so that --json output stays clean: keys a verifier should not be trusted with. */
function warnAboutKeys(deployed: DeployStepResult): void {
  if (deployed.forgeable) process.stderr.write(`warning: deployed anyway (--allow-uncontributed-key): ${deployed.forgeable}\n`);
  else if (deployed.security.startsWith('development')) process.stderr.write(`warning: these are ${deployed.security}: whoever ran the setup could forge proofs this verifier accepts\n`);
}

export function register(program: Command): void {
  program
    .command('export-verifier')
    .description('write the Solidity verifier of the proving key and compile it with solc-js')
    .argument('<dir>', 'artifacts folder')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const { exportVerifierStep } = await import('../../pipeline/contracts.js');
      const result = await exportVerifierStep(dir);
      if (flags.json) return printJson(result);
      print(`verifier: ${result.solidity}`);
      print(`compiled (${result.compiler}): ${result.artifact}`);
      print(`code hash: ${result.codehash} (the verifierCodehash an InferenceRegistry entry of this key must show)`);
      print(`next: zkinfer deploy ${dir}`);
    });

  addChainOptions(
    program
      .command('deploy')
      .description('deploy the verifier and register the model in an InferenceRegistry (default chain: Hardhat in-process, gone when the command ends)')
      .argument('<dir>', 'artifacts folder'),
  )
    .option('--registry <address>', 'an InferenceRegistry to register in (default: the one recorded for the chain, else a new one)', address)
    .option('--metadata-uri <uri>', 'the model\'s metadata URI in the registry (default: zkinfer:<model name>)')
    .option(ALLOW_UNCONTRIBUTED[0], ALLOW_UNCONTRIBUTED[1])
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const { deployStep } = await import('../../pipeline/contracts.js');
      const result = await deployStep(dir, {
        ...chainOptions(flags),
        ...(flags.registry ? { registry: flags.registry } : {}),
        ...(flags.metadataUri ? { metadataURI: flags.metadataUri } : {}),
        ...(flags.allowUncontributedKey ? { allowUncontributedKey: true } : {}),
      });
      warnAboutKeys(result);
      if (flags.json) return printJson(result);
      print(`deployed Groth16Verifier at ${result.verifier.address} on ${result.chain} (chain id ${result.chainId}), ${result.verifier.gasUsed} gas`);
      print(`registered as model ${result.modelId} in the InferenceRegistry at ${result.registry.address}${result.registry.deployed ? ` (deployed now, ${result.registry.deployed.gasUsed} gas)` : ''}, ${result.registrationGas} gas`);
      if (result.ephemeral) print('  the in-process network ends with this command: use --rpc to deploy somewhere lasting (verify-onchain without --rpc deploys its own)');
    });

  addChainOptions(
    program
      .command('verify-onchain')
      .description("submit a proof through the model's InferenceRegistry entry, or check it with the bare verifier (--direct)")
      .argument('<dir>', 'artifacts folder')
      .requiredOption('-p, --proof <file>', 'proof file written by zkinfer prove'),
  )
    .option('--direct', 'call the verifier\'s verifyProof (a view call) instead of recording through the registry')
    .option('--address <address>', 'with --direct: a deployed verifier', address)
    .option('--registry <address>', 'an InferenceRegistry holding the model (with --model-id)', address)
    .option('--model-id <n>', 'the model\'s id in --registry', modelId)
    .option(ALLOW_UNCONTRIBUTED[0], `when this command deploys: ${ALLOW_UNCONTRIBUTED[1]}`)
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const { verifyOnChainStep } = await import('../../pipeline/contracts.js');
      const result = await verifyOnChainStep(dir, {
        proof: flags.proof,
        ...(flags.allowUncontributedKey ? { allowUncontributedKey: true } : {}),
        ...(flags.direct ? { direct: true } : {}),
        ...(flags.address ? { address: flags.address } : {}),
        ...(flags.registry ? { registry: flags.registry } : {}),
        ...(flags.modelId !== undefined ? { modelId: flags.modelId } : {}),
        ...chainOptions(flags),
      });
      if (!result.valid) process.exitCode = 1;
      if (result.deployed) warnAboutKeys(result.deployed);
      if (flags.json) return printJson(result);
      print(result.valid ? 'valid on-chain' : 'INVALID on-chain');
      const where = result.registry ? `model ${result.modelId} in the registry at ${result.registry}` : `verifier ${result.verifier}`;
      print(`  ${where} on ${result.chain}${result.deployed ? ' (deployed for this check)' : ''}`);
      const s = result.submission;
      if (s?.status === 'recorded') print(`  recorded inference ${s.inference}, ${s.gasUsed} gas (tx ${s.txHash})\n  verified by code hash ${s.verifierCodehash}`);
      if (s?.status === 'already-recorded') print(`  these public signals were recorded before, by ${s.by} (inference ${s.inference}): not recorded twice`);
      if (result.gas !== undefined && !s) print(`  verifyProof costs ${result.gas} gas`);
    });
}
