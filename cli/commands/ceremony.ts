import type { Command } from 'commander';
import type { CeremonyContribution, CeremonyStepResult } from '../../index.js';
import { integerOption } from '../options.js';
import { print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

function listContributions(contributions: CeremonyContribution[]): void {
  for (const [k, c] of contributions.entries()) print(`  #${k + 1} ${c.type === 'beacon' ? 'beacon      ' : 'contribution'} ${JSON.stringify(c.name)}  ${c.hash}`);
}

function printStep(dir: string, what: string, result: CeremonyStepResult): void {
  print(`added ${what} #${result.contributions.length} ${JSON.stringify(result.added.name)} to ${dir}`);
  print(`  contribution hash ${result.added.hash}`);
  print(`  verification key sha256 ${result.vkHash}`);
  print(`next: pass ${dir} to the next contributor, or check it with zkinfer ceremony verify ${dir}; then zkinfer export-verifier ${dir}`);
}

export function register(program: Command, globals: Globals): void {
  const ceremony = program
    .command('ceremony')
    .description('a phase-2 ceremony on a folder set up with --ptau: parties contribute in turn, a beacon may close it, anyone verifies');

  ceremony
    .command('contribute')
    .description("add a contribution with fresh secret randomness to the folder's proving key (replaces keys/model.zkey and keys/verification_key.json)")
    .argument('<dir>', 'artifacts folder')
    .requiredOption('--name <name>', 'who contributes, recorded in the transcript')
    .option('--entropy <text>', 'extra text mixed into the randomness (it is never the only source)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const { ceremonyContributeStep } = await import('../../pipeline/ceremony.js');
      const result = await ceremonyContributeStep(dir, { name: flags.name, ...(flags.entropy ? { entropy: flags.entropy } : {}), onProgress: progress.onProgress }).finally(progress.done);
      if (flags.json) return printJson(result);
      printStep(dir, 'contribution', result);
    });

  ceremony
    .command('beacon')
    .description('close the ceremony with a public random beacon (e.g. a future block hash announced in advance)')
    .argument('<dir>', 'artifacts folder')
    .requiredOption('--hash <hex>', 'the beacon value, hexadecimal')
    .option('--iterations <exp>', 'hash the beacon 2^exp times (10..63)', integerOption('--iterations', 10, 63), 10)
    .option('--name <name>', 'name recorded in the transcript', 'final beacon')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const { ceremonyBeaconStep } = await import('../../pipeline/ceremony.js');
      const result = await ceremonyBeaconStep(dir, { hash: flags.hash, iterationsExp: flags.iterations, name: flags.name, onProgress: progress.onProgress }).finally(progress.done);
      if (flags.json) return printJson(result);
      printStep(dir, 'beacon', result);
    });

  ceremony
    .command('verify')
    .description("check the folder's proving key against its R1CS and the powers of tau, and every contribution; exit 1 if invalid")
    .argument('<dir>', 'artifacts folder')
    .option('--ptau <file>', 'the powers of tau the setup used (default: where the manifest says it was)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const { ceremonyVerifyStep } = await import('../../pipeline/ceremony.js');
      const result = await ceremonyVerifyStep(dir, { ...(flags.ptau ? { ptau: flags.ptau } : {}), onProgress: progress.onProgress }).finally(progress.done);
      if (!result.valid) process.exitCode = 1;
      if (flags.json) return printJson(result);
      print(result.valid ? 'valid' : 'INVALID');
      if (result.reason) print(`  ${result.reason}`);
      print(`  powers of tau ${result.ptau.path} (sha256 ${result.ptau.sha256.slice(0, 16)}…${result.ptau.recorded ? ', as recorded' : ', NOT the one recorded for this setup'})`);
      if (result.circuitHash) print(`  circuit hash ${result.circuitHash}`);
      print(`  ${result.contributions.length} contribution${result.contributions.length === 1 ? '' : 's'}:`);
      listContributions(result.contributions);
      if (!result.keysRecorded) print('  note: the keys are not the ones the manifest records (changed outside zkinfer?)');
    });
}
