import type { Command } from 'commander';
import { ZkinferError } from '../../core/errors.js';
import { integerOption } from '../options.js';
import { print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

function rangeOfBits(value: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(value);
  if (!m || Number(m[1]) < 2 || Number(m[2]) > 24 || Number(m[1]) > Number(m[2])) throw new ZkinferError('USAGE', `--bits must be LOW-HIGH within 2..24, found '${value}'`);
  return [Number(m[1]), Number(m[2])];
}

export function register(program: Command, globals: Globals): void {
  program
    .command('report')
    .description('write the quantization fidelity report as a self-contained HTML page with charts')
    .argument('<dir>', 'artifacts folder (after zkinfer quantize)')
    .option('-o, --out <file>', 'the page (default: <dir>/report.html)')
    .option('--data <data>', 'data to measure on (default: what quantize used)')
    .option('--bits <low-high>', 'activation widths to sweep (default 4-10)', rangeOfBits)
    .option('--samples <n>', 'at most this many samples (default 500)', integerOption('--samples', 1, 100_000))
    .option('--json', 'print the measurements as JSON')
    .action(async (dir: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const [{ reportStep }, { describeFidelity }] = await Promise.all([import('../../pipeline/report.js'), import('../../model/quantize/fidelity.js')]);
      const { file, data } = await reportStep(dir, {
        ...(flags.out ? { out: flags.out } : {}),
        ...(flags.data ? { data: flags.data } : {}),
        ...(flags.bits ? { bits: flags.bits } : {}),
        ...(flags.samples !== undefined ? { samples: flags.samples } : {}),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      if (flags.json) return printJson({ file, ...data });
      print(`report: ${file}`);
      print(`  ${data.samples} inputs from ${data.data}; ${describeFidelity(data.fidelity)}; widths ${data.sweep[0].bits}..${data.sweep.at(-1)!.bits} swept`);
    });
}
