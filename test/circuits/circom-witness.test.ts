/**
 * zkinfer's runner of circom's witness programs (circuits/circom-witness.ts) against circom_runtime,
 * the calculator snarkjs uses: the same wires and .wtns bytes for the same input, the same
 * assertion failures, and clear refusals of inputs that do not fit the circuit.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { CircomWitnessProgram } from '../../circuits/circom-witness.js';
import { loadWitnessCalculator } from '../../circuits/witness.js';
import { packageRoot } from '../../core/paths.js';
import { compileSource, poseidonSampleSource } from '../helpers/circuits.js';

/** BN254's scalar field order, written out so the test does not trust the code under test. */
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

let multiplier: { file: string; bytes: Uint8Array<ArrayBuffer> };
let sample: { file: string; bytes: Uint8Array<ArrayBuffer> };

beforeAll(async () => {
  const read = async (source: string, includes?: readonly string[]) => {
    const { files } = await compileSource(source, includes);
    return { file: files.wasm, bytes: new Uint8Array(await fs.readFile(files.wasm)) };
  };
  multiplier = await read(await fs.readFile(path.join(packageRoot(), 'test', 'fixtures', 'circuits', 'multiplier.circom'), 'utf8'), []);
  sample = await read(poseidonSampleSource(5));
});

describe('circom witness programs, run without circom_runtime', () => {
  const inputs = [
    { x: [3, 1, 0, R - 7n, 11] },
    { x: ['12345678901234567890123456789', '-1', 2n ** 200n, 0, '0x10'] },
    { x: [[1, 2], [3, -4], 5] },
  ];
  for (const input of inputs) {
    it(`gives circom_runtime's wires and .wtns bytes for ${JSON.stringify(input, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, async () => {
      const reference = await WitnessCalculatorBuilder(sample.bytes);
      const ours = await CircomWitnessProgram.compile(sample.bytes, sample.file);
      const expected = (await reference.calculateWitness(input, true)) as bigint[];
      expect(expected.length).toBeGreaterThan(10);
      expect(ours.values(input)).toEqual(expected.map(BigInt));
      expect(Buffer.from(ours.wtns(input)).equals(Buffer.from(await reference.calculateWTNSBin(input, false)))).toBe(true);
    });
  }

  it("fails an assertion as circom's runtime words it, and the next input gets a fresh program", async () => {
    const ours = await CircomWitnessProgram.compile(multiplier.bytes, multiplier.file);
    const reference = await WitnessCalculatorBuilder(multiplier.bytes);
    const print = console.error;
    console.error = () => {}; // circom_runtime prints the failure before throwing it
    const theirs = await reference.calculateWTNSBin({ a: 0, b: 5 }, false).catch((error: Error) => error.message);
    console.error = print;
    expect(theirs).toMatch(/Assert Failed.*Multiplier_0 line: 12/s);
    expect(() => ours.wtns({ a: 0, b: 5 })).toThrow(/Assert Failed\. Error in template Multiplier_0 line: 12/);
    const [one, c, a, b, inverse] = ours.values({ a: 3, b: 5 });
    expect([one, c, a, b]).toEqual([1n, 15n, 3n, 5n]);
    expect((inverse! * 3n) % R).toBe(1n);
  });

  it('refuses an unknown signal, a wrong count of values, a missing input and a value that is not an integer', async () => {
    const ours = await CircomWitnessProgram.compile(multiplier.bytes, multiplier.file);
    expect(() => ours.wtns({ a: 3, b: 5, c: 1 })).toThrow(/Signal c is not an input of the circuit/);
    expect(() => ours.wtns({ a: [3, 4], b: 5 })).toThrow(/Input signal a takes 1 values, found 2/);
    expect(() => ours.wtns({ a: 3 })).toThrow(/Not all inputs have been set: 1 of 2 values/);
    expect(() => ours.wtns({ a: 3, b: 1.5 })).toThrow(/Input signal b\[0\] is not an integer: 1\.5/);
    expect(ours.values({ a: 3, b: 5 })[1]).toBe(15n);
  });

  it('refuses a file that is not a circom witness program with ARTIFACT_INVALID naming it', async () => {
    await expect(CircomWitnessProgram.compile(new Uint8Array([0, 97, 115, 109, 9, 9]), 'bad.wasm')).rejects.toMatchObject({ code: 'ARTIFACT_INVALID', message: expect.stringMatching(/^bad\.wasm: not a WebAssembly module/) });
    // A valid module with none of circom's exports: (module)
    await expect(CircomWitnessProgram.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), 'empty.wasm')).rejects.toMatchObject({
      code: 'ARTIFACT_INVALID',
      message: expect.stringMatching(/^empty\.wasm: not a circom 2 witness program \(it does not export memory, getVersion/),
    });
  });

  it("is what loadWitnessCalculator runs for circom's .wasm, with CIRCUIT errors for a rejected input", async () => {
    const calculator = await loadWitnessCalculator(multiplier.file);
    expect(calculator.backend).toBe('circom');
    await expect(calculator.calculate({ a: 0, b: 5 })).rejects.toMatchObject({ code: 'CIRCUIT', message: expect.stringMatching(/the circuit rejects this input: Assert Failed/) });
    expect((await calculator.calculate({ a: 7, b: 11 }))[1]).toBe(77n);
  });
});
