/**
 * What a self-attention block costs (issue 19): a random block of zoo/attention.ts (LayerNorm, Q,
 * K, V, scores, row softmax, ·V, output projection, residual, a Dense classifier), quantized on
 * random calibration inputs, its constraints by op kind from the cost model (which tests hold
 * equal to the compiled R1CS), per head and per token; with `--compile`, circom's CPU time and
 * peak memory for it, and the compiled count. Not a test: a compile of this size takes minutes.
 *
 *   node dist/bench/attention-block.js [--tokens 16] [--width 32] [--heads 2] [--compile]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import { seededRandom } from '../core/random.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../circuits/emit/index.js';
import { compileCircom } from '../circuits/compile.js';
import { estimateCompile } from '../circuits/compile-estimate.js';
import { opCost, totalCost } from '../circuits/plan.js';
import { readR1cs } from '../circuits/r1cs.js';
import { quantizeModel } from '../model/quantize/index.js';
import { attentionBlockModel } from '../zoo/attention.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

async function main(): Promise<void> {
  const shape = { tokens: option('tokens', 16), width: option('width', 32), heads: option('heads', 2), classes: 10 };
  const float = attentionBlockModel(shape, seededRandom(1));
  const next = seededRandom(2);
  const calibration = Array.from({ length: 32 }, () => Array.from({ length: shape.tokens * shape.width }, () => next() * 2 - 1));
  const { model } = quantizeModel(float, { calibration, inputRange: [-1, 1] });
  const emitted = emitCircuit(model, { input: 'private', output: 'public', params: 'fixed' });
  const byKind = new Map<string, number>();
  model.ops.forEach((op, k) => byKind.set(op.kind, (byKind.get(op.kind) ?? 0) + opCost(emitted.plan.ops[k]!)));
  const total = totalCost(emitted.plan);
  // The block alone: without the classifier's argmax and the input's range checks.
  const block = [...byKind].filter(([kind]) => kind !== 'argmax').reduce((sum, [, c]) => sum + c, 0);
  console.log(`block of ${shape.tokens} tokens, width ${shape.width}, ${shape.heads} heads (${model.quantization.activationBits}-bit activations, ${model.quantization.wideActivationBits ?? model.quantization.activationBits}-bit where the norm, the softmax and the products read them): ${total} constraints in all, ${block} in the block's ops`);
  console.log(`  per head ${(block / shape.heads).toFixed(0)}, per token ${(block / shape.tokens).toFixed(0)}, per head and token ${(block / shape.heads / shape.tokens).toFixed(1)}`);
  for (const [kind, cost] of byKind) console.log(`  ${kind.padEnd(10)} ${String(cost).padStart(8)}`);
  const estimate = estimateCompile(model, emitted.plan);
  console.log(`  circom predicted: ${(Object.values(estimate.phaseCpuMs).reduce((a, b) => a + b, 0) / 1000).toFixed(0)} s of CPU, ${(estimate.peakBytes / 2 ** 20).toFixed(0)} MiB`);
  if (!process.argv.includes('--compile')) return;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-attention-'));
  try {
    const compiled = await compileCircom(emitted.source, dir, { includes: CIRCUIT_INCLUDES });
    const r1cs = await readR1cs(compiled.files.r1cs);
    console.log(`  circom: ${r1cs.constraints.length} constraints (cost model ${total}), ${((compiled.cpuMs ?? NaN) / 1000).toFixed(1)} s of CPU, ${(compiled.ms / 1000).toFixed(1)} s of wall time, peak ${((compiled.peakMemoryBytes ?? NaN) / 2 ** 20).toFixed(0)} MiB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
