import type { Command } from 'commander';
import { ModelError, exitCodeFor } from '../../core/errors.js';
import type { OnnxInspection } from '../../index.js';
import { isOnnxFile } from '../../core/paths.js';
import { addOnnxOptions, onnxOptions } from '../options.js';
import { print, printJson, table } from '../terminal.js';

const scale = ([lo, hi]: [number, number]) => (lo === hi ? lo.toPrecision(3) : `${lo.toPrecision(3)}..${hi.toPrecision(3)}`);

const shapeOf = (v: { shape?: number[]; constant: boolean }) => (v.shape ? `${v.constant ? 'const ' : ''}[${v.shape.join(', ')}]` : '?');

function printOnnx(r: OnnxInspection): void {
  print(`${r.file}: ONNX opset ${r.opset}, IR version ${r.irVersion}, from ${r.producer}`);
  print(`input '${r.input.name}' [${r.input.shape.join(', ')}] (batch 1), output '${r.output}'`);
  print('');
  print(
    table(
      ['#', 'node', 'op', 'inputs', 'outputs', 'zkinfer'],
      r.nodes.map((n) => [n.index, n.name, n.opType, n.inputs.map(shapeOf).join(' '), n.outputs.map(shapeOf).join(' '), n.status === 'layer' ? 'supported' : n.status === 'folded' ? 'folded (constant)' : n.status]),
    ),
  );
  for (const n of r.nodes) if (n.problem) print(`node ${n.index} '${n.name}' (${n.opType}): ${n.problem}`);
  print('');
  print(r.supported ? `supported: zkinfer quantize ${r.file}` : `not supported: ${r.problem}`);
}

export function register(program: Command): void {
  addOnnxOptions(
    program
      .command('inspect')
      .description('describe an artifacts folder (layers, shapes, scales, bit widths, constraints per layer, public signals), or an ONNX model before any work (every node, its shapes, and whether zkinfer supports it)')
      .argument('<dir>', 'artifacts folder, or model.onnx'),
  )
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, flags) => {
      if (isOnnxFile(dir)) {
        const { inspectOnnxModel } = await import('../../model/load/onnx/index.js');
        const r = await inspectOnnxModel(dir, onnxOptions(flags));
        if (flags.json) printJson(r);
        else printOnnx(r);
        // An unsupported model is an answer, not a crash, but scripts must see it in the exit code.
        if (!r.supported) process.exitCode = exitCodeFor(new ModelError('MODEL_UNSUPPORTED', r.problem ?? ''));
        return;
      }
      const [{ inspectStep }, { describeVisibility }] = await Promise.all([import('../../pipeline/inspect.js'), import('../../circuits/visibility.js')]);
      const r = await inspectStep(dir);
      if (flags.json) return printJson(r);
      print(`${r.name} (${dir})`);
      print(`input: shape [${r.input.shape.join(', ')}], ${r.input.bits}-bit ${r.input.signed ? 'signed' : 'unsigned'} integers ${r.input.range[0]}..${r.input.range[1]}, scale ${r.input.scale.toPrecision(4)}`);
      const q = r.quantization;
      print(`quantization: weights ${q.weightBits}-bit, activations ${q.activationBits}-bit, ranges from ${q.ranges === 'calibration' ? `${q.calibrationSamples} calibration inputs` : 'the weights (worst case)'}`);
      const measured = (m?: number) => (m === undefined ? '-' : m);
      const v = r.visibility;
      print(`visibility: ${describeVisibility(v)}${r.backend ? `; compiled with ${r.backend === 'direct' ? 'the direct path' : 'circom2'}` : ''}`);
      print('');
      print(
        table(
          ['#', 'op', 'name', 'outputs', 'scale', 'details', 'constraints', 'cost model', 'per value'],
          [
            ['', 'input', v.input === 'hashed' ? 'range check + commitment' : 'range check', r.input.shape.reduce((a, b) => a * b, 1), r.input.scale.toPrecision(3), `${r.input.bits} bits each${v.input === 'hashed' ? ', Poseidon' : ''}`, measured(r.inputConstraints.measured), r.inputConstraints.planned],
            ...(r.paramsConstraints ? [['', 'params', 'range checks + commitment', '', '', 'weights and biases private, Poseidon', measured(r.paramsConstraints.measured), r.paramsConstraints.planned]] : []),
            ...r.layers.map((l) => [l.index, l.kind, l.name, l.outputSize, scale(l.scale), l.detail, measured(l.measured), l.planned, l.perValue.toFixed(1)]),
            ...(r.outputConstraints ? [['', 'output', 'commitment', '', '', 'salt, label and logits, Poseidon', measured(r.outputConstraints.measured), r.outputConstraints.planned]] : []),
            ...(r.recipientConstraints ? [['', 'recipient', 'binding', '', '', 'public address, recipient²', measured(r.recipientConstraints.measured), r.recipientConstraints.planned]] : []),
            ['', 'total', '', '', '', '', measured(r.constraints.measured), r.constraints.planned],
          ],
        ),
      );
      const a = r.activationCost;
      print(`constraints per activation: ${a.perActivation.toFixed(1)} (the ops' ${a.constraints} constraints over ${a.activations} requantized values)`);
      print('');
      print(`public signals (${r.publicSignals.length}): ${r.publicSignals.join(', ')}`);
      if (r.hashedParams) {
        print('constraints' in r.hashedParams ? `with --params hashed (private weights, one key for any weights): ${r.hashedParams.constraints} constraints (cost model)` : `--params hashed is not possible for this model: ${r.hashedParams.error}`);
      }
      for (const w of r.warnings) print(`warning: ${w}`);
      print(`steps: ${Object.entries(r.stages).map(([s, v]) => `${s} ${v.status}`).join(', ')}`);
      for (const [s, v] of Object.entries(r.stages)) if (v.reason) print(`  ${s}: ${v.reason}`);
      if (r.development) print(`note: ${r.development}`);
      for (const d of r.deployments) print(`deployed: ${d.address} on chain ${d.chainId} (${d.rpc})`);
    });
}
