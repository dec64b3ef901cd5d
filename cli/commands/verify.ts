import type { Command } from 'commander';
import { outputLines, print, printJson } from '../terminal.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('verify a proof file off-chain; with --input, also check it is about that input')
    .argument('<dir>', 'artifacts folder')
    .requiredOption('-p, --proof <file>', 'proof file written by zkinfer prove')
    .option('-i, --input <file>', 'the input the proof claims to be about: recompute its commitment and the model outputs')
    .option('--recipient <address>', 'check that the proof is bound to this Ethereum address (circuits compiled with --recipient public)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const { verifyStep } = await import('../../pipeline/verify.js');
      const result = await verifyStep(dir, { proof: flags.proof, ...(flags.input ? { input: flags.input } : {}), ...(flags.recipient !== undefined ? { recipient: flags.recipient } : {}) });
      if (!result.valid) process.exitCode = 1;
      if (flags.json) return printJson(result);
      print(result.valid ? 'valid' : 'INVALID');
      print(`  proof: ${result.proofValid ? 'verifies' : 'does not verify'} against ${dir}'s verification key`);
      if (result.inputMatches !== undefined) print(`  input: ${result.inputMatches ? 'matches' : 'does NOT match'} ${flags.input}`);
      if (result.outputsMatch !== undefined) print(`  outputs: ${result.outputsMatch ? 'are' : 'are NOT'} the model's outputs on that input`);
      if (result.recipientMatches !== undefined) print(`  recipient: the proof is ${result.recipientMatches ? '' : 'NOT '}bound to ${flags.recipient ?? `the recipient ${flags.input} names`}`);
      if (result.paramsMatch !== undefined && result.outputs.paramsCommitment) print(`  parameters: ${result.paramsMatch ? 'are' : 'are NOT'} this folder's model's`);
      for (const line of outputLines(result.outputs)) print(`  ${line}`);
    });
}
