/**
 * What the zkinfer command loads: only the verb it names (every verb for the help, none for the
 * version), and each verb imports the library's modules it needs when it runs, so `--version`
 * starts no heavier than commander, and a one-shot `zkinfer prove` proves in its own process
 * without snarkjs, TF.js, circom_runtime, ethers or Hardhat. `prove` runs from the one-file bundle
 * `npm run build` makes (cli/bundle.ts), and from dist/ when that is stale or missing (tested on a
 * copy of the package). Tests assert what is loaded, never a time.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERBS, registerCommands } from '../../cli/commands/index.js';
import { BUNDLE_FILE, BUNDLE_RECORD } from '../../cli/entry.js';
import { compileStep, setupStep } from '../../index.js';
import { runCli, runCliRecordingModules } from '../helpers/node-script.js';
import { type TinyArtifacts, makeTinyArtifacts } from '../helpers/tiny-artifacts.js';

describe('zkinfer startup', () => {
  // The verb files each command line loads: none for the version, all for the help (it lists every
  // verb), the named verb's alone otherwise.
  const cases: [string[], RegExp, string[]][] = [
    [['--version'], /^\d+\.\d+\.\d+\n$/, []],
    [['--help'], /Usage: zkinfer/, [...new Set(Object.values(VERBS))].sort()],
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

  it('prove --help runs from the prove bundle (commander inside it): no package, no module of dist/ besides the bundle', async () => {
    const run = await runCliRecordingModules(['prove', '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Usage: zkinfer prove/);
    expect([...run.packages]).toEqual([]);
    expect(distModules(run.modules)).toEqual(['bundle/prove.js', 'cli/entry.js']);
    // Of the packages, the bundle holds commander alone; the others are imported when used.
    const record = JSON.parse(await fs.readFile(fileURLToPath(new URL(`../../dist/${BUNDLE_RECORD}`, import.meta.url)), 'utf8')) as { inputs: string[] };
    const packages = new Set(record.inputs.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
    expect([...packages]).toEqual(['commander']);
    expect(record.inputs).toContain('pipeline/prove.js');
  });

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

  it("proves in its own process, from the bundle: no worker, and no package (the reference commitment's Poseidon is zkinfer's own)", async () => {
    const { dir, modelDir, tmp } = artifacts;
    const run = await runCliRecordingModules(['prove', dir, '--input', path.join(modelDir, 'input.json'), '--out', path.join(tmp, 'proof.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/proof: .*proof\.json/);
    expectOneShotModules(run, 'bundle', 'direct');
    // From the bundle: no module of dist/ is loaded apart (a forked worker, inheriting the module
    // log through NODE_OPTIONS, would list its entry point; prover threads theirs).
    expect(distModules(run.modules)).toEqual(['bundle/prove.js', 'cli/entry.js']);
  });
});

/** The modules under dist/, relative to it, sorted. */
function distModules(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((m) => /\/dist\/(.+\.js)$/.exec(m)?.[1] ?? []))].sort();
}

/** What a one-shot proof loads, from the bundle (commander inside it) or from dist/, for a folder compiled by `backend`. */
function expectOneShotModules(run: { modules: string[]; packages: Set<string> }, from: 'bundle' | 'dist', backend: 'direct' | 'circom'): void {
  // A forked worker inherits the module log (NODE_OPTIONS): its entry point would be listed.
  expect(run.modules.filter((m) => m.includes('/prover/pool/'))).toEqual([]);
  // Not snarkjs, TF.js, circom, ethers or Hardhat, nor circom_runtime with ffjavascript's curves
  // and worker threads: zkinfer runs circom's witness program itself (circuits/circom-witness.ts).
  expect([...run.packages].sort()).toEqual(from === 'bundle' ? [] : ['commander']);
  // A directly compiled circuit's witness (the default compile's) loads the witness program, never
  // the builder; a circom-compiled circuit's needs nothing of the direct backend. (In the bundle
  // they are inside it: none is loaded apart.)
  const direct = run.modules.flatMap((m) => /\/circuits\/direct\/(.+\.js)$/.exec(m)?.[1] ?? []).sort();
  expect(direct, backend).toEqual(from === 'dist' && backend === 'direct' ? ['program.js', 'witness.js'] : []);
}

describe('the prove bundle, in a copy of the package', () => {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));
  let artifacts: TinyArtifacts;
  let copy: string;
  /** The same model compiled with circom (artifacts.dir has the default compile, the direct path's). */
  let circom: string;
  beforeAll(async () => {
    artifacts = await makeTinyArtifacts('zkinfer-bundle-');
    circom = path.join(artifacts.tmp, 'circom');
    await fs.cp(artifacts.dir, circom, { recursive: true });
    await compileStep(circom, { backend: 'circom' });
    await setupStep(circom);
    // Moved elsewhere: the bundle finds the files its modules look for beside them (the prover's
    // WebAssembly, package.json) from its own place, not from where it was built.
    copy = path.join(artifacts.tmp, 'package');
    await fs.mkdir(copy);
    for (const entry of ['bin', 'dist', 'package.json']) await fs.cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  });
  afterAll(async () => artifacts?.remove());

  const prove = async (out: string, dir = artifacts.dir) => {
    const { modelDir } = artifacts;
    const run = await runCliRecordingModules(['prove', dir, '--input', path.join(modelDir, 'input.json'), '--out', out], { root: copy });
    expect(run.code, run.stderr).toBe(0);
    return run;
  };

  it('proves from the bundle, and the proof verifies', async () => {
    const out = path.join(artifacts.tmp, 'bundled.json');
    const run = await prove(out);
    // `verify` runs from dist/, not from the bundle.
    const verified = await runCli(['verify', artifacts.dir, '--proof', out], { root: copy });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^valid/);
    expect(distModules(run.modules)).toEqual(['bundle/prove.js', 'cli/entry.js']);
    expect(run.modules.some((m) => m.startsWith(`file://${copy}/dist/bundle/`))).toBe(true);
  });

  it('falls back to dist/ when a bundled file changed (tsc alone), and when the bundle is missing', async () => {
    // Not a file of prover/ or core/: those name the shipped prover module (prover/wasm-module.ts).
    await fs.appendFile(path.join(copy, 'dist', 'pipeline', 'artifacts.js'), '// compiled again\n');
    for (const name of ['stale', 'missing']) {
      if (name === 'missing') await fs.rm(path.join(copy, 'dist', BUNDLE_FILE));
      for (const [backend, dir] of [['direct', artifacts.dir], ['circom', circom]] as const) {
        const run = await prove(path.join(artifacts.tmp, `${name}-${backend}.json`), dir);
        const dist = distModules(run.modules);
        expect(dist, name).not.toContain('bundle/prove.js');
        expect(dist, name).toEqual(expect.arrayContaining(['cli/main.js', 'cli/commands/prove.js', 'pipeline/artifacts.js', 'prover/msm.js']));
        expectOneShotModules(run, 'dist', backend);
      }
    }
    // The record stays: it is the bundle's file that is missing.
    expect((await fs.stat(path.join(copy, 'dist', BUNDLE_RECORD))).isFile()).toBe(true);
  });
});
