import type { Command } from 'commander';
import { proveStep } from '../../index.js';
import { formatMs, outputLines, print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('prove')
    .description('prove one inference: { "input": [...] } → a proof file')
    .argument('<dir>', 'artifacts folder')
    .requiredOption('-i, --input <file>', 'input JSON: { "input": [...], "salt"?: "decimal" } in the model’s float units')
    .option('-o, --out <file>', 'proof file (default: <dir>/proof.json)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const result = await proveStep(dir, { input: flags.input, ...(flags.out ? { out: flags.out } : {}), onProgress: progress.onProgress }).finally(progress.done);
      if (flags.json) return printJson({ file: result.file, outputs: result.bundle.outputs, witnessMs: result.witnessMs, proveMs: result.proveMs });
      const o = result.bundle.outputs;
      for (const line of outputLines(o)) print(line);
      print(`proof: ${result.file} (witness ${formatMs(result.witnessMs)}, proof ${formatMs(result.proveMs)})`);
    });
}
