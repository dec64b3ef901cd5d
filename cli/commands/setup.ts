import type { Command } from 'commander';
import { formatMs, print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('setup')
    .description('Groth16 setup: proving and verification keys for the compiled circuit (development by default, production with --ptau)')
    .argument('<dir>', 'artifacts folder')
    .option('--dev', 'a development setup straight from the R1CS, in seconds (the default without --ptau): single party, not for production')
    .option('--ptau <file>', 'a production setup from a prepared phase-1 powers-of-tau file (e.g. powersOfTau28_hez_final_NN.ptau, whose published hash is checked)')
    .option('--force', 'make new keys even if the current ones fit')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const { setupStep, DEV_SETUP_WARNING } = await import('../../pipeline/setup.js');
      const result = await setupStep(dir, {
        ...(flags.ptau ? { ptau: flags.ptau } : {}),
        ...(flags.dev ? { dev: true } : {}),
        ...(flags.force ? { force: true } : {}),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      if (result.mode === 'development') process.stderr.write(`warning: ${DEV_SETUP_WARNING}\n`);
      if (flags.json) return printJson(result);
      const how =
        result.mode === 'development'
          ? 'development keys (single party)'
          : `powers of tau ${result.ptau.path} (2^${result.ptau.power}${result.ptau.publicCeremony ? `, public ceremony file, published hash checked` : ''})`;
      if (result.reused) print(`${dir} already has keys for this circuit from a ${result.mode === 'development' ? 'development setup' : 'setup with that powers of tau'}: kept them (--force makes new ones)`);
      else print(`set up ${dir} in ${formatMs(result.ms)}: ${how}, domain 2^${result.domainPower}`);
      print(`  ${result.security}`);
      for (const [k, c] of result.contributions.entries()) print(`  contribution #${k + 1} ${c.type === 'beacon' ? '(beacon) ' : ''}${JSON.stringify(c.name)}: ${c.hash.slice(0, 32)}…`);
      print(`  verification key sha256 ${result.vkHash}`);
      if (result.mode === 'ptau') print(`next: zkinfer ceremony contribute ${dir} --name NAME (more parties), or zkinfer prove ${dir} --input INPUT.json`);
      else print(`next: zkinfer prove ${dir} --input INPUT.json`);
    });
}
