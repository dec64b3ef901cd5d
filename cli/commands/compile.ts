import type { Command } from 'commander';
import { compileStep } from '../../index.js';
import { formatMs, print, printJson, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('compile')
    .description('compile the quantized model to a Circom circuit (R1CS, witness WASM)')
    .argument('<dir>', 'artifacts folder')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const result = await compileStep(dir, { onProgress: progress.onProgress }).finally(progress.done);
      if (flags.json) return printJson(result);
      print(`compiled ${dir}: ${result.constraints} constraints (cost model: ${result.planned}), ${result.wires} wires, in ${formatMs(result.ms)}${result.peakMemoryBytes ? ` (peak ${(result.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB)` : ''} with ${result.compiler}`);
      print(`  public signals (${result.publicSignals.length}): ${result.publicSignals.length > 6 ? `${result.publicSignals.slice(0, 4).join(', ')}, … ${result.publicSignals.at(-1)}` : result.publicSignals.join(', ')}`);
      print(
        table(
          ['#', 'op', 'name', 'constraints', 'cost model'],
          [['', 'input', 'range check + commitment', result.input.measured, result.input.planned], ...result.layers.map((l, k) => [k, l.kind, l.name, l.measured, l.planned])],
        ),
      );
      print(`next: zkinfer setup ${dir}`);
    });
}
