/**
 * Witness time per proof on a zoo model, in this process: circom's witness program (model.wasm,
 * run by circuits/circom-witness.ts) against the direct path's witness program
 * (circuits/direct/program.ts), both as the prover takes them (.wtns bytes), and the direct
 * generator before the program (the circuit rebuilt for each input) for reference. CPU time
 * (user + system) of each witness; the first of each is apart (unwarmed). Also the direct
 * compile (R1CS and program recorded, files written) and circom's. The load is printed, as the
 * machine is shared. A developer's measurement for docs/ARCHITECTURE.md and bench/RESULTS.md:
 *   node -e "import('./dist/bench/direct-witness.js').then((m) => m.measureWitnesses(['mlp_196_25_10'], 5))"
 * circom's compile is cached under the cache folder by the hash of its source.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDirectR1cs, recordDirectCircuit } from '../circuits/direct/build.js';
import { directInput, directWtns, encodeDirectWitnessGenerator, paramShapes, parseDirectWitnessGenerator } from '../circuits/direct/witness.js';
import { CIRCUIT_INCLUDES, emitCircuit } from '../circuits/emit/index.js';
import { circomVersion, compileCircom } from '../circuits/compile.js';
import { witnessInput } from '../circuits/signals.js';
import { DEFAULT_VISIBILITY, type Visibility } from '../circuits/visibility.js';
import { loadWitnessCalculator } from '../circuits/witness.js';
import { encodeWtns } from '../circuits/wtns.js';
import { exists, sha256 } from '../core/files.js';
import { cacheDir } from '../core/paths.js';
import { inputRange, inputSize } from '../model/ir.js';
import { readQModel } from '../pipeline/artifacts.js';
import { zooModelPath } from '../pipeline/demo.js';
import { quantizeStep } from '../pipeline/quantize.js';

export interface WitnessMeasure {
  model: string;
  wires: number;
  /** CPU ms of each witness, the first unwarmed. */
  circomMs: number[];
  directMs: number[];
  rebuiltMs: number[];
  /** The direct compile (R1CS and program recorded, .wtns generator encoded), CPU ms; circom's, when it ran here. */
  directCompileMs: number;
  circomCompileMs?: number;
  programBytes: number;
  load: number[];
}

async function cpuMs<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const start = process.cpuUsage();
  const result = await f();
  const used = process.cpuUsage(start);
  return [(used.user + used.system) / 1000, result];
}

export async function measureWitnesses(names: readonly string[], samples = 5, visibility: Visibility = DEFAULT_VISIBILITY): Promise<WitnessMeasure[]> {
  const results: WitnessMeasure[] = [];
  for (const name of names) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `zkinfer-witness-${name}-`));
    try {
      await quantizeStep({ model: zooModelPath(name), out: dir });
      const model = await readQModel(dir);
      const { source, plan } = emitCircuit(model, visibility);
      const circomDir = path.join(cacheDir(), 'bench-witness', sha256(source + circomVersion()).slice(0, 24));
      let circomCompileMs: number | undefined;
      if (!(await exists(path.join(circomDir, 'model.wasm')))) circomCompileMs = (await compileCircom(source, circomDir, { includes: CIRCUIT_INCLUDES })).cpuMs;
      const circom = await loadWitnessCalculator(path.join(circomDir, 'model.wasm'));
      const [directCompileMs, bytes] = await cpuMs(() => {
        const { r1cs, program } = recordDirectCircuit(model, visibility);
        return encodeDirectWitnessGenerator({ visibility, wires: r1cs.names.length, constraints: r1cs.constraints.length, input: model.input, params: paramShapes(model), program });
      });
      const generator = parseDirectWitnessGenerator(bytes, 'model.witness.bin');
      const { min, max } = inputRange(model.input);
      const inputs = Array.from({ length: samples }, (_, k) => Array.from({ length: inputSize(model.input) }, (_, i) => min + ((i * 7919 + k * 104729) % (max - min + 1))));
      const measure: WitnessMeasure = { model: name, wires: generator.wires, circomMs: [], directMs: [], rebuiltMs: [], directCompileMs, programBytes: bytes.length, load: os.loadavg() };
      if (circomCompileMs !== undefined) measure.circomCompileMs = circomCompileMs;
      for (const [k, input] of inputs.entries()) {
        const document = witnessInput(model, plan, input, 1234n + BigInt(k));
        // Not compared: the two R1CS are the same up to wire order (test/circuits/direct*.test.ts), not in it.
        const [c] = await cpuMs(() => circom.calculateWtns(document));
        const [d, ours] = await cpuMs(() => directWtns(generator, document as Parameters<typeof directWtns>[1]));
        measure.circomMs.push(c);
        measure.directMs.push(d);
        if (k < 2) {
          const [r, rebuilt] = await cpuMs(() => encodeWtns(buildDirectR1cs(model, visibility, directInput(generator, document as Parameters<typeof directWtns>[1])).witness!));
          if (Buffer.compare(Buffer.from(rebuilt), Buffer.from(ours)) !== 0) throw new Error(`${name}: the program's witness is not the rebuilt one`);
          measure.rebuiltMs.push(r);
        }
      }
      measure.load = os.loadavg().map((l, i) => Math.max(l, measure.load[i]!));
      console.log(JSON.stringify(measure, (_key, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)));
      results.push(measure);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}
