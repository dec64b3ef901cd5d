import type { Command } from 'commander';
import { deployStep, exportVerifierStep, verifyOnChainStep } from '../../index.js';
import { addChainOptions, chainOptions } from '../options.js';
import { print, printJson } from '../terminal.js';

export function register(program: Command): void {
  program
    .command('export-verifier')
    .description('write the Solidity verifier of the proving key and compile it with solc-js')
    .argument('<dir>', 'artifacts folder')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const result = await exportVerifierStep(dir);
      if (flags.json) return printJson(result);
      print(`verifier: ${result.solidity}`);
      print(`compiled (${result.compiler}): ${result.artifact}`);
      print(`next: zkinfer deploy ${dir}`);
    });

  addChainOptions(
    program
      .command('deploy')
      .description('deploy the verifier contract (default chain: Hardhat in-process, gone when the command ends)')
      .argument('<dir>', 'artifacts folder'),
  )
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const result = await deployStep(dir, chainOptions(flags));
      if (flags.json) return printJson(result);
      print(`deployed Groth16Verifier at ${result.address} on ${result.chain} (chain id ${result.chainId}), ${result.gasUsed} gas, tx ${result.txHash}`);
      if (result.ephemeral) print('  the in-process network ends with this command: use --rpc to deploy somewhere lasting (verify-onchain without --rpc deploys its own)');
    });

  addChainOptions(
    program
      .command('verify-onchain')
      .description("verify a proof file with the Solidity verifier (default: deploy it to Hardhat's in-process network first)")
      .argument('<dir>', 'artifacts folder')
      .requiredOption('-p, --proof <file>', 'proof file written by zkinfer prove'),
  )
    .option('--address <address>', 'a deployed verifier (default: the last one `zkinfer deploy` recorded for the chain)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const result = await verifyOnChainStep(dir, { proof: flags.proof, ...(flags.address ? { address: flags.address } : {}), ...chainOptions(flags) });
      if (!result.valid) process.exitCode = 1;
      if (flags.json) return printJson(result);
      print(result.valid ? 'valid on-chain' : 'INVALID on-chain');
      print(`  verifier ${result.address} on ${result.chain}${result.deployed ? ' (deployed for this check)' : ''}${result.gas !== undefined ? `, verifyProof costs ${result.gas} gas` : ''}`);
    });
}
