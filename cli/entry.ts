/**
 * Which file runs a command line (bin/zkinfer.js). A one-shot proof pays for loading every module
 * it uses, and Node's ES module loader costs more per file than the code in it: `npm run build`
 * bundles the `prove` verb's modules into one file (cli/bundle.ts), which runs `zkinfer prove`
 * when it was made from exactly this dist/'s files. Anything else, or a bundle that is missing or
 * stale (dist/ recompiled by `tsc` alone, a file changed), runs from dist/cli/main.js as before.
 * Only `prove` is bundled: a module in the bundle is a copy of dist/'s, so a verb that ran partly
 * from each would hold two ZkinferError classes, and errors would lose their exit codes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The verbs the bundle runs. */
export const BUNDLED_VERBS: readonly string[] = ['prove'];

/** Where the bundle and its record of inputs are, in dist/. */
export const BUNDLE_FILE = path.join('bundle', 'prove.js');
export const BUNDLE_RECORD = path.join('bundle', 'prove.json');

/** What `npm run build` records beside the bundle: the dist/ files in it, and a fingerprint of them and of the bundle. */
export interface BundleRecord {
  inputs: string[];
  fingerprint: string;
}

/** The verb a command line names: the global flags take no values, so the first word that is not a flag. */
export function verbOf(args: readonly string[]): string | undefined {
  return args.find((arg) => !arg.startsWith('-'));
}

/** A hash of the bundle and of its inputs (paths relative to `dist`), names and contents. */
export function bundleFingerprint(dist: string, inputs: readonly string[]): string {
  // node:crypto takes about 10 ms to load: not for the command lines that never look at the bundle (--version).
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256');
  for (const file of [BUNDLE_FILE, ...inputs]) hash.update(file).update('\0').update(readFileSync(path.join(dist, file))).update('\0');
  return hash.digest('hex');
}

/** The bundle in `dist` if its record says it was made from the files there now, else undefined. */
export function freshBundle(dist: string): string | undefined {
  try {
    const record = JSON.parse(readFileSync(path.join(dist, BUNDLE_RECORD), 'utf8')) as BundleRecord;
    if (!Array.isArray(record.inputs) || record.inputs.length === 0 || record.fingerprint !== bundleFingerprint(dist, record.inputs)) return undefined;
    return path.join(dist, BUNDLE_FILE);
  } catch {
    // No bundle, no record, an input gone: dist/ as tsc wrote it.
    return undefined;
  }
}

/** The file: URL of the module that runs the command line `args` (the words after the script). */
export function entryPoint(args: readonly string[], dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')): string {
  const verb = verbOf(args);
  const bundle = verb !== undefined && BUNDLED_VERBS.includes(verb) ? freshBundle(dist) : undefined;
  return pathToFileURL(bundle ?? path.join(dist, 'cli', 'main.js')).href;
}
