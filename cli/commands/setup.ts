import type { Command } from 'commander';
import { setupStep, DEV_SETUP_WARNING } from '../../index.js';
import { formatMs, print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('setup')
    .description('Groth16 setup: proving and verification keys for the compiled circuit')
    .argument('<dir>', 'artifacts folder')
    .option('--ptau <file>', 'a prepared phase-1 powers-of-tau file (e.g. from a public ceremony); default: a cached development one')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const result = await setupStep(dir, { ...(flags.ptau ? { ptau: flags.ptau } : {}), onProgress: progress.onProgress }).finally(progress.done);
      if (result.ptau.development) process.stderr.write(`warning: ${DEV_SETUP_WARNING}\n`);
      if (flags.json) return printJson(result);
      print(`set up ${dir} in ${formatMs(result.ms)}: powers of tau 2^${result.ptau.power} (${result.ptau.development ? `development, ${result.ptau.cached ? 'cached' : 'generated'}: ${result.ptau.path}` : result.ptau.path})`);
      print(`  verification key sha256 ${result.vkHash}`);
      print(`next: zkinfer prove ${dir} --input INPUT.json`);
    });
}
