/** Where zkinfer's own files are (templates, contracts, zoo) and where it caches things. */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding zkinfer's package.json, found from this file whether it runs from source or dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'zkinfer') {
      root = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('zkinfer: cannot find its own package.json');
    dir = parent;
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}

/** The cache for powers of tau and other reusable files: $ZKINFER_CACHE_DIR, else $XDG_CACHE_HOME/zkinfer, else ~/.cache/zkinfer. */
export function cacheDir(): string {
  if (process.env.ZKINFER_CACHE_DIR) return path.resolve(process.env.ZKINFER_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'zkinfer');
}

/** A compiled JS file of zkinfer (for worker threads, child processes), always from dist/. */
export function distFile(...segments: string[]): string {
  return path.join(packageRoot(), 'dist', ...segments);
}

/** Whether a model file is ONNX (else TF.js), from its name alone: the CLI asks before it loads any importer. */
export const isOnnxFile = (location: string) => location.toLowerCase().endsWith('.onnx');
