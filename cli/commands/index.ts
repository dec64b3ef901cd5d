import type { Command } from 'commander';
import { verbOf } from '../entry.js';

/** The program's global flags, read when a verb runs. */
export type Globals = () => { verbose?: boolean; quiet?: boolean };

interface CommandFile {
  register(program: Command, globals: Globals): void;
}

/** The files of the verbs, in the order `zkinfer --help` lists them. */
const FILES = {
  demo: () => import('./demo.js'),
  quantize: () => import('./quantize.js'),
  report: () => import('./report.js'),
  compile: () => import('./compile.js'),
  setup: () => import('./setup.js'),
  ceremony: () => import('./ceremony.js'),
  prove: () => import('./prove.js'),
  serve: () => import('./serve.js'),
  web: () => import('./web.js'),
  worker: () => import('./worker.js'),
  queue: () => import('./queue.js'),
  verify: () => import('./verify.js'),
  contracts: () => import('./contracts.js'),
  inspect: () => import('./inspect.js'),
  audit: () => import('./audit.js'),
  throughput: () => import('./throughput.js'),
  bench: () => import('./bench.js'),
} satisfies Record<string, () => Promise<CommandFile>>;

type FileName = keyof typeof FILES;

/** Every verb and the file that registers it (test/e2e/cli-imports.test.ts holds this to the files). */
export const VERBS: Readonly<Record<string, FileName>> = {
  demo: 'demo',
  quantize: 'quantize',
  report: 'report',
  compile: 'compile',
  setup: 'setup',
  ceremony: 'ceremony',
  prove: 'prove',
  serve: 'serve',
  web: 'web',
  'export-web': 'web',
  worker: 'worker',
  queue: 'queue',
  verify: 'verify',
  'export-verifier': 'contracts',
  deploy: 'contracts',
  'verify-onchain': 'contracts',
  inspect: 'inspect',
  audit: 'audit',
  throughput: 'throughput',
  bench: 'bench',
};

/**
 * Register the verbs that `args` (the command line after the script) can run: the one it names,
 * or, without one, all of them (for the help, and commander's suggestions for a mistyped verb),
 * or none when it only asks for the version. Each verb's file is imported only then: a process
 * that proves loads none of the other verbs' code.
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const globals: Globals = () => program.opts();
  const word = verbOf(args);
  const named = word !== undefined && Object.hasOwn(VERBS, word) ? VERBS[word] : undefined;
  const versionOnly = word === undefined && args.some((arg) => arg === '--version' || arg === '-V') && !args.some((arg) => arg === '--help' || arg === '-h');
  const files: FileName[] = named ? [named] : versionOnly ? [] : (Object.keys(FILES) as FileName[]);
  for (const file of await Promise.all(files.map((name) => FILES[name]()))) (file as CommandFile).register(program, globals);
}
