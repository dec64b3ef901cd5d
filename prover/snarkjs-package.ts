/** Where the snarkjs package is and which version: it exports only its entry point, so go from there. */
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

export function snarkjsDir(): string {
  return path.join(path.dirname(require.resolve('snarkjs')), '..');
}

export function snarkjsVersion(): string {
  return `snarkjs@${require(path.join(snarkjsDir(), 'package.json')).version}`;
}
