import * as path from 'node:path';
import type { Command } from 'commander';
import { quantizeStep } from '../../index.js';
import { integerOption, rangeOption } from '../options.js';
import { print, printJson, progressReporter } from '../terminal.js';
import type { Globals } from './index.js';

export function register(program: Command, globals: Globals): void {
  program
    .command('quantize')
    .description('quantize a TF.js LayersModel (model.json + weights) into an artifacts folder')
    .argument('<model>', 'model.json, or the folder holding it')
    .option('-o, --out <dir>', 'artifacts folder (default: artifacts/<model folder name>)')
    .option('--calibrate <file>', 'JSON { "inputs": [...] } of float inputs to measure activation ranges on (default: calibration.json beside the model)')
    .option('--no-calibration', 'ignore calibration data: scales from worst-case weight bounds')
    .option('--input-range <low,high>', 'float range of input values (default: metadata.json inputRange, else 0,1)', rangeOption)
    .option('--input-bits <n>', 'input width in bits (default 8)', integerOption('--input-bits', 2, 16))
    .option('--weight-bits <n>', 'weight width in bits (default 8)', integerOption('--weight-bits', 2, 24))
    .option('--activation-bits <n>', 'activation resolution in bits (default 8)', integerOption('--activation-bits', 2, 24))
    .option('--json', 'print the result as JSON')
    .action(async (model: string, flags) => {
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const out = flags.out ?? path.join('artifacts', path.basename(model.endsWith('.json') ? path.dirname(path.resolve(model)) : path.resolve(model)));
      const result = await quantizeStep({
        model,
        out,
        ...(flags.calibrate ? { calibration: flags.calibrate } : {}),
        ...(flags.calibration === false ? { noCalibration: true } : {}),
        ...(flags.inputRange ? { inputRange: flags.inputRange } : {}),
        ...(flags.inputBits !== undefined ? { inputBits: flags.inputBits } : {}),
        ...(flags.weightBits !== undefined ? { weightBits: flags.weightBits } : {}),
        ...(flags.activationBits !== undefined ? { activationBits: flags.activationBits } : {}),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
      if (flags.json) return printJson(result);
      const q = result.model.quantization;
      const { input } = result.model;
      print(`quantized ${result.model.name} → ${path.join(result.dir, 'qmodel.json')}`);
      print(`  input ${input.shape.join('x')}, ${input.bits}-bit ${input.signed ? 'signed' : 'unsigned'} (scale ${input.scale.toPrecision(4)}); weights ${q.weightBits}-bit; activations ${q.activationBits}-bit`);
      print(`  ${result.model.ops.length} ops: ${result.model.ops.map((o) => o.kind).join(' → ')}`);
      print(result.calibration ? `  calibration: ${result.calibration.samples} inputs from ${result.calibration.file}` : '  calibration: none (weight-derived ranges)');
      if (result.fidelity) {
        const f = result.fidelity;
        print(`  agreement with the float model on the calibration inputs: ${(100 * f.agreement).toFixed(2)}% (max logit error ${f.maxLogitError.toFixed(4)})`);
      }
      print(`next: zkinfer compile ${result.dir}`);
    });
}
