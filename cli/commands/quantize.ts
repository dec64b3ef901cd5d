import * as path from 'node:path';
import type { Command } from 'commander';
import { ZkinferError } from '../../core/errors.js';
import type { Fidelity, QuantizeStepResult } from '../../index.js';
import { isOnnxFile } from '../../core/paths.js';
import { addOnnxOptions, integerOption, onnxOptions, rangeOption } from '../options.js';
import { print, printJson, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

/** --bits N (every layer) or --bits LOW-HIGH (a budget searched per layer). */
function bitsOption(value: string): number | [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  const [low, high] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [NaN, NaN];
  if (!m || low < 2 || high > 24 || low > high) throw new ZkinferError('USAGE', `--bits must be N or LOW-HIGH within 2..24, found '${value}'`);
  return low === high ? low : [low, high];
}

function printReport(r: QuantizeStepResult, describeFidelity: (f: Fidelity) => string): void {
  const q = r.model.quantization;
  const { input } = r.model;
  print(`quantized ${r.model.name} → ${path.join(r.dir, 'qmodel.json')}: ${r.constraints} constraints`);
  print(`  input ${input.shape.join('x')}, ${input.bits}-bit ${input.signed ? 'signed' : 'unsigned'} (scale ${input.scale.toPrecision(4)}); weights ${q.weightBits}-bit; activations ${q.layerActivationBits ? q.layerActivationBits.join('/') : q.activationBits}-bit${q.wideActivationBits ? `, ${q.wideActivationBits}-bit where a norm, a softmax or a product of two tensors reads them (and the sums that make them)` : ''}`);
  print(r.calibration ? `  calibration: ${r.calibration.samples} inputs from ${r.calibration.source}` : '  calibration: none (weight-derived ranges)');
  if (r.search) {
    const tried = r.search.steps.length;
    print(`  activation widths searched for ${r.search.target}: ${r.search.bits.join('/')} bits (${tried} candidates tried)`);
  }
  print(`  overflow analysis: values reach at most 2^${r.overflow.maxValueBits} and range checks ${r.overflow.maxCheckBits} bits (the field holds 2^253): every check holds for every input in range`);
  const scale = ([lo, hi]: [number, number]) => (lo === hi ? lo.toPrecision(3) : `${lo.toPrecision(3)}..${hi.toPrecision(3)}`);
  const error = (e: number | undefined) => (e === undefined ? '' : e.toPrecision(3));
  print('');
  print(
    table(
      ['#', 'op', 'name', 'scale', 'value bits', 'check bits', 'worst error', 'mean error'],
      r.layers.map((l) => [l.index, l.kind, l.name, scale(l.scale), l.valueBits, l.checkBits || '-', error(l.worstError), error(l.meanError)]),
    ),
  );
  print('');
  if (r.fidelity) print(`  on the calibration inputs: ${describeFidelity(r.fidelity)}`);
  if (r.holdout) print(`  held out (${r.holdout.fidelity.samples} from ${r.holdout.source}): ${describeFidelity(r.holdout.fidelity)}`);
  print(`next: zkinfer compile ${r.dir}`);
}

/** artifacts/<name>: the model folder's name for TF.js, the file's name without .onnx for ONNX. */
function defaultName(model: string): string {
  const resolved = path.resolve(model);
  if (isOnnxFile(model)) return path.basename(resolved, path.extname(resolved));
  return path.basename(model.endsWith('.json') ? path.dirname(resolved) : resolved);
}

export function register(program: Command, globals: Globals): void {
  addOnnxOptions(
    program
      .command('quantize')
      .description('quantize a TF.js LayersModel (model.json + weights) or an ONNX model into an artifacts folder, with a fidelity report')
      .argument('<model>', 'model.json or the folder holding it, or model.onnx'),
  )
    .option('-o, --out <dir>', 'artifacts folder (default: artifacts/<model folder name>, or the .onnx file name without .onnx)')
    .option('--calibrate <data>', 'calibration data: an IDX folder, a JSON or .npy array file, or a folder of input files (default: calibration.json beside the model)')
    .option('--no-calibration', 'ignore calibration data: scales from worst-case weight bounds')
    .option('--holdout <data>', "held-out data for the overall figures (default: an IDX calibration folder's test split)")
    .option('--calibration-samples <n>', 'samples taken from a larger calibration set (default 256)', integerOption('--calibration-samples', 1, 100_000))
    .option('--holdout-samples <n>', 'samples taken from a larger held-out set (default 1000)', integerOption('--holdout-samples', 1, 100_000))
    .option('--bits <n|low-high>', 'activation bits: N for every layer (default 8), or a budget LOW-HIGH searched per layer', bitsOption)
    .option('--wide-bits <n>', 'bits of the values a LayerNorm, a softmax or a product of two tensors reads, and of the residual sums that make them (default 16)', integerOption('--wide-bits', 2, 24))
    .option('--target <accuracy|constraints>', 'within a --bits budget: the finest widths (accuracy), or the fewest constraints within --tolerance of the float model (constraints)')
    .option('--tolerance <fraction>', "the constraints target's largest loss against the float model (default 0.005)", (v) => {
      const n = Number(v);
      if (!(n >= 0 && n < 1)) throw new ZkinferError('USAGE', `--tolerance must be a fraction in [0, 1), found '${v}'`);
      return n;
    })
    .option('--input-range <low,high>', 'float range of input values (default: metadata.json inputRange, else 0,1)', rangeOption)
    .option('--input-bits <n>', 'input width in bits (default 8)', integerOption('--input-bits', 2, 16))
    .option('--weight-bits <n>', 'weight width in bits (default 8)', integerOption('--weight-bits', 2, 24))
    .option('--output <what>', 'logits (default): the class and the logits; probabilities: also their softmax, proven in the circuit (then compile with --output probabilities)')
    .option('--json', 'print the result as JSON')
    .action(async (model: string, flags) => {
      if (flags.output !== undefined && flags.output !== 'logits' && flags.output !== 'probabilities') throw new ZkinferError('USAGE', `--output must be logits or probabilities, found '${flags.output}'`);
      if (flags.target !== undefined && flags.target !== 'accuracy' && flags.target !== 'constraints') throw new ZkinferError('USAGE', `--target must be accuracy or constraints, found '${flags.target}'`);
      const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
      const out = flags.out ?? path.join('artifacts', defaultName(model));
      const [{ quantizeStep }, { describeFidelity }] = await Promise.all([import('../../pipeline/quantize.js'), import('../../model/quantize/fidelity.js')]);
      const result = await quantizeStep({
        model,
        out,
        ...(flags.calibrate ? { calibration: flags.calibrate } : {}),
        ...(flags.calibration === false ? { noCalibration: true } : {}),
        ...(flags.holdout ? { holdout: flags.holdout } : {}),
        ...(flags.calibrationSamples !== undefined ? { calibrationSamples: flags.calibrationSamples } : {}),
        ...(flags.holdoutSamples !== undefined ? { holdoutSamples: flags.holdoutSamples } : {}),
        ...(flags.bits !== undefined ? { bits: flags.bits } : {}),
        ...(flags.target !== undefined ? { target: flags.target } : {}),
        ...(flags.tolerance !== undefined ? { tolerance: flags.tolerance } : {}),
        ...(flags.inputRange ? { inputRange: flags.inputRange } : {}),
        ...(flags.inputBits !== undefined ? { inputBits: flags.inputBits } : {}),
        ...(flags.weightBits !== undefined ? { weightBits: flags.weightBits } : {}),
        ...(flags.wideBits !== undefined ? { wideBits: flags.wideBits } : {}),
        ...(flags.output !== undefined ? { output: flags.output } : {}),
        onnx: onnxOptions(flags),
        onProgress: progress.onProgress,
      }).finally(progress.done);
      for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
      if (flags.json) return printJson(result);
      printReport(result, describeFidelity);
    });
}
