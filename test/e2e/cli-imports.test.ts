/**
 * What the zkinfer command loads: only the verb it names (every verb for the help, none for the
 * version), and each verb imports the library's modules it needs when it runs, so `--version`
 * starts no heavier than commander, and a one-shot `zkinfer prove` proves in its own process
 * without snarkjs, TF.js, circom_runtime, ethers or Hardhat. Tests assert what is loaded, never a
 * time.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERBS, registerCommands } from '../../cli/commands/index.js';
import { runCliRecordingModules } from '../helpers/node-script.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';

describe('zkinfer startup', () => {
  // The verb files each command line loads: none for the version, all for the help (it lists every
  // verb), the named verb's alone otherwise.
  const cases: [string[], RegExp, string[]][] = [
    [['--version'], /^\d+\.\d+\.\d+\n$/, []],
    [['--help'], /Usage: zkinfer/, [...new Set(Object.values(VERBS))].sort()],
    [['prove', '--help'], /Usage: zkinfer prove/, ['prove']],
    [['--quiet', 'deploy', '--help'], /Usage: zkinfer deploy/, ['contracts']],
  ];
  for (const [args, output, verbFiles] of cases) {
    it(`${args.join(' ')} loads commander, zkinfer's CLI and ${verbFiles.length === 0 ? 'no verb' : verbFiles.length === 1 ? `the verb file ${verbFiles[0]}.js` : 'every verb file'}, nothing else`, async () => {
      const run = await runCliRecordingModules(args);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(output);
      expect([...run.packages]).toEqual(['commander']);
      const dist = [...new Set(run.modules.flatMap((m) => /\/dist\/(.+\.js)$/.exec(m)?.[1] ?? []))];
      expect(dist.flatMap((m) => /^cli\/commands\/(.+)\.js$/.exec(m)?.[1] ?? []).filter((m) => m !== 'index').sort()).toEqual(verbFiles);
      // The library's steps are imported by the verb that runs, not at startup: besides the CLI
      // and core/, at most the benchmark's defaults (plain values the bench verbs' options describe).
      expect(dist.filter((m) => !/^(cli|core)\//.test(m) && m !== 'bench/defaults.js')).toEqual([]);
    });
  }

  it('knows the file of every verb that the verb files register', async () => {
    const program = new Command('zkinfer');
    await registerCommands(program, []);
    expect(program.commands.map((c) => c.name()).sort()).toEqual(Object.keys(VERBS).sort());
    // A verb named on the command line registers its own file alone.
    for (const [verb, file] of Object.entries(VERBS)) {
      const one = new Command('zkinfer');
      await registerCommands(one, ['--verbose', verb, '--help']);
      expect(one.commands.map((c) => c.name()), `${verb} (${file}.ts)`).toContain(verb);
    }
  });
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
