import type { Command } from 'commander';
import { formatMs, print, printJson, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('compile')
    .description('compile the quantized model to a Circom circuit (R1CS, witness WASM)')
    .argument('<dir>', 'artifacts folder')
    .option('--input <mode>', 'hashed (default): a Poseidon commitment to the input is public; public: the values are; private: neither')
    .option('--output <mode>', 'public (default): label and logits; private: the label only; hashed: a commitment to them')
    .option('--params <mode>', 'fixed (default): weights are circuit constants; hashed: private, with a public commitment (one key for any weights)')
    .option('--recipient <mode>', 'none (default); public: the proof is bound to an Ethereum address given at prove time (a public signal a contract can pay)')
    .option('--skip-memory-estimate', 'compile even when the circuit is predicted to need more than circom2\'s 4 GiB')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const visibility = { ...(flags.input ? { input: flags.input } : {}), ...(flags.output ? { output: flags.output } : {}), ...(flags.params ? { params: flags.params } : {}), ...(flags.recipient ? { recipient: flags.recipient } : {}) };
      const { compileStep } = await import('../../pipeline/compile.js');
      const result = await compileStep(dir, { visibility, onProgress: progress.onProgress, skipMemoryEstimate: flags.skipMemoryEstimate === true }).finally(progress.done);
      if (flags.json) return printJson(result);
      print(`compiled ${dir}: ${result.constraints} constraints (cost model: ${result.planned}), ${result.wires} wires, in ${formatMs(result.ms)}${result.cpuMs !== undefined ? ` (circom CPU ${formatMs(result.cpuMs)}, predicted ${formatMs(result.estimate.cpuMs)})` : ''}${result.peakMemoryBytes ? ` (peak ${(result.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB)` : ''} with ${result.compiler}`);
      print(`  public signals (${result.publicSignals.length}): ${result.publicSignals.length > 6 ? `${result.publicSignals.slice(0, 4).join(', ')}, … ${result.publicSignals.at(-1)}` : result.publicSignals.join(', ')}`);
      print(
        table(
          ['#', 'op', 'name', 'constraints', 'cost model'],
          [
            ['', 'input', result.visibility.input === 'hashed' ? 'range check + commitment' : 'range check', result.input.measured, result.input.planned],
            ...(result.params ? [['', 'params', 'range checks + commitment', result.params.measured, result.params.planned]] : []),
            ...result.layers.map((l, k) => [k, l.kind, l.name, l.measured, l.planned]),
            ...(result.output ? [['', 'output', 'commitment', result.output.measured, result.output.planned]] : []),
            ...(result.recipient ? [['', 'recipient', 'binding', result.recipient.measured, result.recipient.planned]] : []),
          ],
        ),
      );
      print(`next: zkinfer setup ${dir}`);
    });
}
