/**
 * What the zkinfer command loads: each verb imports only what it needs when it runs, so
 * `--version` and `--help` start no heavier than commander, and no verb pays for the libraries
 * of the others (snarkjs, TF.js, circom, ethers, Hardhat). Tests assert what is loaded, never a time.
 */
import { describe, expect, it } from 'vitest';
import { runCliRecordingModules } from '../helpers/node-script.js';

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
