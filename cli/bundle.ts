/**
 * `npm run build`'s step after tsc: esbuild bundles the CLI with the `prove` verb (dist/cli/main.js
 * and every module `zkinfer prove` can reach, one-shot or --batch) into dist/bundle/prove.js, and
 * records its inputs and their fingerprint beside it (cli/entry.ts uses it only while that holds).
 * npm packages stay outside (imported from node_modules as before), and so do the other verbs'
 * files, which a prove command line never imports. A module that finds files beside itself
 * (import.meta.url) still finds them beside its dist/ file, wherever the package is moved.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { writeFileAtomic, writeJsonAtomic } from '../core/files.js';
import { BUNDLED_VERBS, BUNDLE_FILE, BUNDLE_RECORD, type BundleRecord, bundleFingerprint } from './entry.js';

/** Each module's import.meta.url as its dist/ file's URL, computed from the bundle's own at run time. */
function metaUrlOfDistFile(bundleDir: string): Plugin {
  return {
    name: 'zkinfer-dist-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const relative = path.relative(bundleDir, args.path).split(path.sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'js' };
      });
    },
  };
}

/** npm packages bundled: commander, which every command line loads (its CommonJS costs a one-shot proof more to load than to run). */
const INSIDE_PACKAGES = ['commander'];

/** Leaves every npm package but `inside` out of the bundle: they are imported from node_modules when the code runs. */
function packagesOutsideBut(inside: readonly string[]): Plugin {
  return {
    name: 'zkinfer-packages-outside',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || inside.includes(args.path) || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        return { path: args.path, external: true };
      });
    },
  };
}

/** Leaves out the other verbs' files: the CLI imports them by name (cli/commands/index.ts) only for their own command lines. */
function otherVerbsOutside(commandsDir: string, bundleDir: string): Plugin {
  const bundled = new Set(BUNDLED_VERBS.map((verb) => path.join(commandsDir, `${verb}.js`)));
  return {
    name: 'zkinfer-other-verbs-outside',
    setup(build) {
      build.onResolve({ filter: /^\.\/[^/]+\.js$/ }, (args) => {
        const target = path.resolve(args.resolveDir, args.path);
        if (args.kind !== 'dynamic-import' || path.dirname(target) !== commandsDir || bundled.has(target)) return undefined;
        return { path: path.relative(bundleDir, target).split(path.sep).join('/'), external: true };
      });
    },
  };
}

/** Bundle `dist` (tsc's output) into dist/bundle/prove.js and write its record; both whole or not at all. */
export async function bundleProve(dist: string): Promise<BundleRecord> {
  const esbuild = await import('esbuild');
  const outfile = path.join(dist, BUNDLE_FILE);
  const bundleDir = path.dirname(outfile);
  const result = await esbuild.build({
    absWorkingDir: dist,
    entryPoints: [path.join(dist, 'cli', 'main.js')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // commander's CommonJS requires Node's modules: give the bundle a require of its own.
    banner: { js: "import { createRequire as zkinferCreateRequire } from 'node:module';\nconst require = zkinferCreateRequire(import.meta.url);" },
    write: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [packagesOutsideBut(INSIDE_PACKAGES), metaUrlOfDistFile(bundleDir), otherVerbsOutside(path.join(dist, 'cli', 'commands'), bundleDir)],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .map((input) => path.relative(dist, path.resolve(dist, input)))
    .sort();
  const outside = inputs.filter((input) => input.startsWith('..') && !INSIDE_PACKAGES.some((name) => input.includes(`node_modules/${name}/`)));
  if (outside.length > 0) throw new Error(`the prove bundle would hold files outside dist/ and its packages: ${outside.join(', ')}`);
  const bundle = result.outputFiles.find((file) => file.path === outfile);
  if (!bundle) throw new Error(`esbuild wrote no ${outfile}`);
  await writeFileAtomic(outfile, bundle.contents);
  const record: BundleRecord = { inputs, fingerprint: bundleFingerprint(dist, inputs) };
  await writeJsonAtomic(path.join(dist, BUNDLE_RECORD), record);
  return record;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  bundleProve(dist).then(
    (record) => console.log(`wrote dist/${BUNDLE_FILE} (${record.inputs.length} modules)`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
