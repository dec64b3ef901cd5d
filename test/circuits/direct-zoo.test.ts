/**
 * The direct R1CS path against circom on the zoo's two large CNNs (cnn_28_6_16_10 and LeNet), in
 * the default visibility (the input committed with Poseidon): circom takes 60–100 s of CPU and
 * about 1.5 GB for each, once; its output is cached in .cache/test by the hash of the circom
 * source, as every circuit test's is, so later runs take the direct build and the witnesses only.
 * Apart from direct.test.ts so that its cost shows, and so that it can be run alone.
 */
import { describe, it } from 'vitest';
import { DEFAULT_VISIBILITY } from '../../circuits/visibility.js';
import { expectSameAsCircom, zooModel } from '../helpers/direct.js';

describe('direct R1CS = circom --O2 on the large zoo CNNs', () => {
  for (const [k, name] of ['cnn_28_6_16_10', 'lenet_28_6_16_120_84_10'].entries()) {
    it(`${name} (default visibility), two inputs`, async () => {
      await expectSameAsCircom(await zooModel(name), DEFAULT_VISIBILITY, 40 + k, 0);
    }, 1_200_000);
  }
});
