import type { Command } from 'commander';
import { formatMs, print, printJson, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('compile')
    .description('compile the quantized model to a circuit: the Circom source, its R1CS and a witness generator (circom2\'s WebAssembly, or the direct path\'s)')
    .argument('<dir>', 'artifacts folder')
    .option('--input <mode>', 'hashed (default): a Poseidon commitment to the input is public; public: the values are; private: neither')
    .option('--output <mode>', 'public (default): label and logits; private: the label only; hashed: a commitment to them; probabilities (the default for a model quantized with --output probabilities): label and the softmax of the logits')
    .option('--params <mode>', 'fixed (default): weights are circuit constants; hashed: private, with a public commitment (one key for any weights)')
    .option('--recipient <mode>', 'none (default); public: the proof is bound to an Ethereum address given at prove time (a public signal a contract can pay)')
    .option('--backend <backend>', 'auto (default): direct for every model the direct path builds (13-24x less compile CPU than circom2, a faster witness), circom2 for graphs and table activations; circom: circom2; direct: the R1CS built from the plan, the same as circom2\'s')
    .option('--skip-memory-estimate', 'compile even when the circuit is predicted to need more memory than the compiler has (circom2\'s 4 GiB, or this process\'s heap)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const visibility = { ...(flags.input ? { input: flags.input } : {}), ...(flags.output ? { output: flags.output } : {}), ...(flags.params ? { params: flags.params } : {}), ...(flags.recipient ? { recipient: flags.recipient } : {}) };
      const { compileStep } = await import('../../pipeline/compile.js');
      const result = await compileStep(dir, { visibility, onProgress: progress.onProgress, skipMemoryEstimate: flags.skipMemoryEstimate === true, ...(flags.backend ? { backend: flags.backend } : {}) }).finally(progress.done);
      if (flags.json) return printJson(result);
      print(`compiled ${dir}: ${result.constraints} constraints (cost model: ${result.planned}), ${result.wires} wires, in ${formatMs(result.ms)}${result.cpuMs !== undefined ? ` (${result.backend} CPU ${formatMs(result.cpuMs)}${result.backend === 'circom' ? `, predicted ${formatMs(result.estimate.cpuMs)}` : `; circom predicted ${formatMs(result.estimate.cpuMs)}`})` : ''}${result.peakMemoryBytes ? ` (peak ${(result.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB)` : ''} with ${result.compiler}`);
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
