import type { Command } from 'commander';
import { formatMs, print, printJson, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('demo')
    .description('the whole pipeline on the embedded model: quantize, compile, setup, prove, verify off-chain and on-chain')
    .option('--model <path>', 'a TF.js model folder (default: zoo/mlp_196_25_10, shipped with zkinfer)')
    .option('-i, --input <file>', "an input file (default: the model's input.json)")
    .option('-o, --out <dir>', 'artifacts folder (default: a new temporary folder)')
    .option('--ptau <file>', 'a prepared powers-of-tau file instead of the cached development one')
    .option('--json', 'print the result as JSON')
    .action(async (flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const [{ runDemo }, { DEV_SETUP_WARNING }] = await Promise.all([import('../../pipeline/demo.js'), import('../../pipeline/setup.js')]);
      const result = await runDemo({
        ...(flags.model ? { model: flags.model } : {}),
        ...(flags.input ? { input: flags.input } : {}),
        ...(flags.out ? { out: flags.out } : {}),
        ...(flags.ptau ? { ptau: flags.ptau } : {}),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      if (!result.ok) process.exitCode = 1;
      if (flags.json) return printJson(result);
      const name = (j: number) => `${j} (${result.labels?.[j] ?? j})`;
      print(`zkinfer demo: ${result.model}, ${result.constraints} constraints, artifacts in ${result.dir}`);
      print('');
      print(`prediction: float ${name(result.predicted.float)}, quantized ${name(result.predicted.quantized)}, circuit ${name(result.predicted.circuit)}${result.trueLabel !== undefined ? `; true label ${name(result.trueLabel)}` : ''}`);
      print('');
      print(table(['class', 'float logit', 'quantized', 'circuit'], result.classes.map((c) => [name(c.index), c.float.toFixed(4), c.quantized.toFixed(4), c.circuit.toFixed(4)])));
      print('');
      print(table(['step', 'time', 'notes'], result.steps.map((s) => [s.name, formatMs(s.ms), s.note ?? ''])));
      print('');
      for (const check of result.checks) print(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}`);
      if (result.developmentSetup) print(`\nnote: ${DEV_SETUP_WARNING}`);
      print(result.ok ? '\nall checks passed' : '\nSOME CHECKS FAILED');
    });
}
