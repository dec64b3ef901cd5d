/**
 * How long circom takes on a wide dot product. circom's symbolic execution copies the linear
 * expression it is building at every `+=`, so a left-to-right sum of n terms costs about n^2/2
 * term copies: a Requantize of fan-in 6000 took 22 s of compiler CPU that way, and takes about
 * 3 s (start-up included) with the terms summed as a tree (pairwiseSum in zkinfer.circom).
 * CPU time, not wall time, so that a loaded machine does not make the test fail.
 */
import * as os from 'node:os';
import { expect, it } from 'vitest';
import { CIRCUIT_INCLUDES } from '../../circuits/emit/index.js';
import { compileCircom } from '../../circuits/compile.js';
import { withTempDir } from '../../core/files.js';

const FAN_IN = 6000;

it(`compiles a Requantize of fan-in ${FAN_IN} in a few seconds of compiler CPU`, async () => {
  const weights = Array.from({ length: FAN_IN }, (_, i) => ((i * 7) % 255) - 127);
  const source = `pragma circom 2.1.0;
include "zkinfer.circom";
function weights() {
    return [${weights.join(',')}];
}
template Wide() {
    signal input x[${FAN_IN}];
    signal output out;
    var w[${FAN_IN}] = weights();
    component rq = Requantize(${FAN_IN}, w, 5, 12, 8, 128, 1, 0, 0, 0, 0);
    for (var t = 0; t < ${FAN_IN}; t++) {
        rq.x[t] <== x[t];
    }
    out <== rq.out;
}
component main = Wide();
`;
  // Compiled afresh each run (not through the test cache): the compile is what is measured.
  const compiled = await withTempDir(os.tmpdir(), (dir) => compileCircom(source, dir, { includes: CIRCUIT_INCLUDES }));
  expect(compiled.stats.nonLinearConstraints).toBe(21); // shift + nq bits and the relu: the circuit is what it claims
  expect(compiled.cpuMs).toBeGreaterThan(0);
  expect(compiled.cpuMs!).toBeLessThan(8000);
}, 120_000);
