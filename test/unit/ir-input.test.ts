/**
 * The QModel file and inference input files: valid ones round-trip; malformed ones are refused
 * with the field, the index and expected vs. found.
 */
import { describe, expect, it } from 'vitest';
import { parseQModel, type QModel } from '../../model/ir.js';
import { parseInputBatch, parseInputDocument, quantizeInput } from '../../model/input.js';
import { checkQuantizedInput } from '../../model/reference.js';

const model: QModel = {
  format: 'zkinfer-qmodel/1',
  name: 'toy',
  input: { shape: [2, 2], bits: 8, signed: false, scale: 1 / 255 },
  ops: [
    { kind: 'dense', name: 'd1', inputSize: 4, outputSize: 2, weights: [[1, -2, 3, 0], [0, 5, -6, 7]], bias: [10, -10], scale: [0.01, 0.02] },
    { kind: 'rescale', name: 'r1', shift: [2, 3], activation: { kind: 'relu' } },
    { kind: 'argmax', name: 'argmax' },
  ],
  labels: ['yes', 'no'],
  quantization: { weightBits: 8, activationBits: 8, ranges: 'calibration', calibrationSamples: 3 },
};

const clone = (): any => JSON.parse(JSON.stringify(model));

describe('parseQModel', () => {
  it('accepts a valid model unchanged', () => {
    expect(parseQModel(clone(), 'q.json')).toEqual(model);
  });

  it.each([
    ['a weight that is not an integer', (m: any) => (m.ops[0].weights[1][2] = 1.5), /ops\[0\]\.weights\[1\]\[2\] must be an integer/],
    ['a row of the wrong length', (m: any) => m.ops[0].weights[0].pop(), /ops\[0\]\.weights\[0\] must have 4 entries, found 3/],
    ['an input size that does not chain', (m: any) => (m.ops[0].inputSize = 5), /ops\[0\]\.inputSize must equal the size of its input \(4\)/],
    ['a shift out of range', (m: any) => (m.ops[1].shift[0] = -1), /ops\[1\]\.shift\[0\] must be in \[0, 64\]/],
    ['an unknown op', (m: any) => (m.ops[1].kind = 'lstm'), /ops\[1\]\.kind is not a known op kind/],
    ['argmax before the end', (m: any) => m.ops.splice(1, 0, { kind: 'argmax', name: 'early' }), /argmax must be the last op/],
    ['a scale that is not positive', (m: any) => (m.input.scale = 0), /input\.scale must be a positive number/],
    ['labels that do not match the classes', (m: any) => m.labels.push('maybe'), /labels must name each of the 2 classes, found 3/],
    ['another format', (m: any) => (m.format = 'x'), /format must be 'zkinfer-qmodel\/1'/],
  ])('refuses %s', (_what, edit, message) => {
    const m = clone();
    edit(m);
    expect(() => parseQModel(m, 'q.json')).toThrow(message);
  });
});

/** A graph: the input read twice, an add of both branches, a concat, a product. */
const graph: QModel = {
  format: 'zkinfer-qmodel/1',
  name: 'graph',
  input: { shape: [2], bits: 4, signed: false, scale: 1 / 15 },
  ops: [
    { kind: 'dense', name: 'd', inputSize: 2, outputSize: 2, weights: [[1, 2], [-3, 1]], bias: [0, 1], scale: [0.1, 0.1] },
    { kind: 'add', name: 'sum', inputs: [0, -1], weights: [[1, 1], [2, 2]], bias: [0, 0], scale: [0.1, 0.1] },
    { kind: 'mul', name: 'square', inputs: [1, 1] },
    { kind: 'concat', name: 'both', inputs: [2, 0], inShapes: [[1, 1, 2], [1, 1, 2]], outShape: [1, 1, 4] },
    { kind: 'argmax', name: 'argmax' },
  ],
  quantization: { weightBits: 8, activationBits: 8, ranges: 'calibration', calibrationSamples: 3 },
};

describe('parseQModel on graphs', () => {
  it('accepts a graph unchanged, and a chain needs no inputs (files of the chain format read as before)', () => {
    expect(parseQModel(JSON.parse(JSON.stringify(graph)), 'g.json')).toEqual(graph);
    expect(clone().ops.every((op: any) => op.inputs === undefined)).toBe(true);
  });

  it.each([
    ['an input from a later op', (m: any) => (m.ops[1].inputs = [0, 2]), /ops\[1\]\.inputs\[1\] must be in \[-1, 0\], found 2/],
    ['a mul of three', (m: any) => (m.ops[2].inputs = [1, 1, 0]), /ops\[2\]\.inputs must name 2 input\(s\) for a "mul" op, found 3/],
    ['a dense with two inputs', (m: any) => (m.ops[0].inputs = [-1, -1]), /ops\[0\]\.inputs must name 1 input\(s\) for a "dense" op, found 2/],
    ['an add of different sizes', (m: any) => (m.ops[1].inputs = [0, 3]), /ops\[1\]\.inputs\[1\] must be in \[-1, 0\]/],
    ['an add missing a row of weights', (m: any) => m.ops[1].weights.pop(), /ops\[1\]\.weights must have 2 entries, found 1/],
    ['a concat whose shapes do not hold its inputs', (m: any) => (m.ops[3].inShapes[1] = [1, 1, 3]), /ops\[3\]\.inShapes\[1\] \[1,1,3\] must hold its input's 2 values/],
    ['a concat with the wrong output shape', (m: any) => (m.ops[3].outShape = [1, 1, 5]), /ops\[3\]\.outShape must be \[1,1,4\]/],
    ['an op nobody reads', (m: any) => ((m.ops[1].inputs = [-1, -1]), (m.ops[3].inputs = [2, 2])), /ops\[0\] \('d'\) is read by no later op/],
    ['an argmax of the input', (m: any) => (m.ops = [m.ops[0], { ...m.ops[4], inputs: [-1] }]), /ops\[1\]\.inputs must name an op/],
  ])('refuses %s', (_what, edit, message) => {
    const m = JSON.parse(JSON.stringify(graph));
    edit(m);
    expect(() => parseQModel(m, 'g.json')).toThrow(message);
  });
});

describe('input files', () => {
  it('reads flat and nested inputs, and an optional salt', () => {
    expect(parseInputDocument({ input: [0, 0.5, 1, 0.25] }, [2, 2], 'in.json')).toEqual({ values: [0, 0.5, 1, 0.25] });
    expect(parseInputDocument({ input: [[0, 0.5], [1, 0.25]], salt: '42' }, [2, 2], 'in.json')).toEqual({ values: [0, 0.5, 1, 0.25], salt: 42n });
  });

  it("reads EZKL's input.json: one flat array in input_data, with a salt beside it", () => {
    expect(parseInputDocument({ input_data: [[0, 0.5, 1, 0.25]] }, [2, 2], 'in.json')).toEqual({ values: [0, 0.5, 1, 0.25] });
    expect(parseInputDocument({ input_data: [[[0, 0.5], [1, 0.25]]], salt: '7' }, [2, 2], 'in.json')).toEqual({ values: [0, 0.5, 1, 0.25], salt: 7n });
  });

  it.each([
    ['two EZKL model inputs', { input_data: [[0, 0, 0, 0], [1, 1, 1, 1]] }, /in\.json: "input_data" must hold one array .* found 2 entries/],
    ['an EZKL input of the wrong length', { input_data: [[0, 0, 0]] }, /in\.json: input_data\[0\] must have 2 entries, found 3/],
    ['both input and input_data', { input: [0, 0, 0, 0], input_data: [[0, 0, 0, 0]] }, /not both/],
    ['no input field', { values: [1] }, /expected a JSON object with an "input" field/],
    ['the wrong length', { input: [1, 2, 3] }, /in\.json: input must have 2 entries, found 3/],
    ['a string value', { input: [[0, 'x'], [1, 1]] }, /in\.json: input\[0\]\[1\] must be a number/],
    ['a salt that is a number', { input: [0, 0, 0, 0], salt: 42 }, /salt must be a decimal string/],
    ['a salt above the field', { input: [0, 0, 0, 0], salt: '9'.repeat(77) }, /salt must be a decimal string of a number below the field modulus/],
  ])('refuses %s', (_what, json, message) => {
    expect(() => parseInputDocument(json, [2, 2], 'in.json')).toThrow(message);
  });

  it('refuses non-finite and out-of-range values when quantizing, naming the index and range', () => {
    expect(() => quantizeInput([0, NaN, 0, 0], model.input, 'in.json: input')).toThrow(/in\.json: input\[1\] is NaN/);
    expect(() => quantizeInput([0, 0, 1.01, 0], model.input, 'in.json: input')).toThrow(/input\[2\] = 1\.01 is outside the model's input range \[0, 1\]/);
    expect(() => quantizeInput([0, 0, 0, -0.01], model.input)).toThrow(/input\[3\] = -0\.01 is outside/);
    expect(quantizeInput([0, 0.5, 1, 1.001], model.input)).toEqual([0, 128, 255, 255]);
  });

  it('refuses quantized inputs of the wrong size or range', () => {
    expect(() => checkQuantizedInput(model, [1, 2, 3])).toThrow(/expected 4 values, found 3/);
    expect(() => checkQuantizedInput(model, [1, 2, 3, 256])).toThrow(/input\[3\] = 256 is outside the quantized input range \[0, 255\]/);
  });

  it("reads EZKL's calibration data: one flat batch in input_data, split into inputs", () => {
    expect(parseInputBatch({ input_data: [[0, 0.5, 1, 0.25, 1, 1, 0, 0]] }, [2, 2], 'cal.json')).toEqual([
      [0, 0.5, 1, 0.25],
      [1, 1, 0, 0],
    ]);
    expect(() => parseInputBatch({ input_data: [[0, 0.5, 1]] }, [2, 2], 'cal.json')).toThrow(/cal\.json: input_data\[0\] must be a flat batch of inputs of 4 values each, found 3 values/);
    expect(() => parseInputBatch({ input_data: [[0, 0.5, 1, NaN]] }, [2, 2], 'cal.json')).toThrow(/cal\.json: inputs\[0\]\[3\] is NaN/);
  });

  it('reads calibration batches and refuses non-finite values in them', () => {
    expect(parseInputBatch({ inputs: [[1, 2, 3, 4]] }, [4], 'c.json')).toEqual([[1, 2, 3, 4]]);
    expect(() => parseInputBatch({ inputs: [] }, [4], 'c.json')).toThrow(/"inputs" must be a non-empty array/);
    expect(() => parseInputBatch({ inputs: [[1, 2, 3, null]] }, [4], 'c.json')).toThrow(/inputs\[0\]\[3\] must be a number/);
  });
});
