/**
 * The Circom sources of a circuit, for naming templates: the circuit's own source and the files
 * it includes (zkinfer's templates, circomlib's), found where circuits/compile.ts finds them.
 */
import * as fs from 'node:fs/promises';
import { includePath } from '../compile.js';
import { CIRCUIT_INCLUDES } from '../emit/index.js';

/** The circuit's source followed by its includes' (unreadable includes are skipped: names then fall back to paths). */
export async function circuitSources(source: string, includes: readonly string[] = CIRCUIT_INCLUDES): Promise<string[]> {
  const texts = await Promise.all(includes.map((file) => fs.readFile(includePath(file), 'utf8').catch(() => '')));
  return [source, ...texts.filter((t) => t !== '')];
}
