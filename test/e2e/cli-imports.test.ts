/**
 * What the zkinfer command loads: each verb imports only what it needs when it runs, so
 * `--version` and `--help` start no heavier than commander, and a one-shot `zkinfer prove` proves
 * in its own process without snarkjs, TF.js, ethers or Hardhat. Tests assert what is loaded,
 * never a time.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliRecordingModules } from '../helpers/node-script.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';

describe('zkinfer startup', () => {
  for (const args of [['--version'], ['--help'], ['prove', '--help']]) {
    it(`${args.join(' ')} loads commander and zkinfer's CLI, nothing else`, async () => {
      const run = await runCliRecordingModules(args);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(args[0] === '--version' ? /^\d+\.\d+\.\d+\n$/ : /Usage: zkinfer/);
      expect([...run.packages]).toEqual(['commander']);
      // The library's steps are imported by the verb that runs, not at startup: besides the CLI
      // and core/, only the benchmark's defaults (plain values its options describe).
      const library = run.modules.flatMap((m) => /\/dist\/(.+\.js)$/.exec(m)?.[1] ?? []).filter((m) => !/^(cli|core)\//.test(m));
      expect([...new Set(library)]).toEqual(['bench/defaults.js']);
    });
  }
});

describe('a one-shot zkinfer prove', () => {
  let artifacts: TinyArtifacts;
  beforeAll(async () => {
    artifacts = await makeTinyArtifacts('zkinfer-imports-');
  });
  afterAll(async () => artifacts?.remove());

  it("proves in its own process: no worker, and of the packages only commander and the reference commitment's Poseidon", async () => {
    const { dir, modelDir, tmp } = artifacts;
    const run = await runCliRecordingModules(['prove', dir, '--input', path.join(modelDir, 'input.json'), '--out', path.join(tmp, 'proof.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/proof: .*proof\.json/);
    // A forked worker inherits the module log (NODE_OPTIONS): its entry point would be listed.
    expect(run.modules.filter((m) => m.includes('/prover/pool/'))).toEqual([]);
    // Not snarkjs, TF.js, circom, ethers or Hardhat, nor circom_runtime with ffjavascript's curves
    // and worker threads: zkinfer runs circom's witness program itself (circuits/circom-witness.ts).
    expect([...run.packages].sort()).toEqual(['commander', 'poseidon-lite']);
    // A circom-compiled circuit's witness needs nothing of the direct backend.
    expect(run.modules.filter((m) => m.includes('/circuits/direct/'))).toEqual([]);
  });
});
