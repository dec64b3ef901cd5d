/**
 * `npm run build`'s browser step: esbuild bundles web/ into dist/web/assets/ (the zkinfer/web
 * library, its prover worker and thread, and the page), and copies the page's HTML and CSS.
 * A Node built-in module reached from the browser code fails the build, naming who imports it:
 * the prover's Node-specific parts (prover/threads/node.ts, prover/wasm-module.ts, file I/O) must
 * stay out of the page.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const NODE_BUILTINS = new Set(builtinModules);

/** Refuses every import of a Node built-in module, with the importing file. */
export const nodeModulesStayOut: Plugin = {
  name: 'zkinfer-no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!args.path.startsWith('node:') && !NODE_BUILTINS.has(name.split('/')[0]!)) return undefined;
      return { errors: [{ text: `the Node module '${args.path}' would be bundled for the browser (imported by ${args.importer}): keep Node-only code out of web/'s imports` }] };
    });
  },
};

/** The entry points, by output name. */
export const WEB_ENTRIES = { 'zkinfer-web': 'web/index.ts', 'prover-worker': 'web/prover-worker.ts', 'prover-thread': 'web/prover-thread.ts', page: 'web/page.ts' };
/** The page's static files, copied beside the bundles' folder. */
export const WEB_STATIC = ['index.html', 'page.css'];

/** Bundle web/ under `root` (the package) into `out` (dist/web); fails on a Node module in the graph. */
export async function bundleWeb(root: string, out: string): Promise<void> {
  const esbuild = await import('esbuild');
  const assets = path.join(out, 'assets');
  await rm(assets, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: WEB_ENTRIES,
    outdir: assets,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: true,
    logLevel: 'warning',
    plugins: [nodeModulesStayOut],
  });
  await mkdir(out, { recursive: true });
  for (const name of WEB_STATIC) await copyFile(path.join(root, 'web', name), path.join(out, name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  bundleWeb(root, path.join(root, 'dist', 'web')).then(
    () => console.log('wrote dist/web'),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
