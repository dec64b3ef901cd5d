/**
 * The Solidity verifier of a proving key, rendered from its verification key with snarkjs's own
 * Groth16 template (the same text `snarkjs zkey export solidityverifier` writes).
 */
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import ejs from 'ejs';

const require = createRequire(import.meta.url);

/** snarkjs exports only its entry point, so find its templates folder from there. */
function templatePath(): string {
  return path.join(path.dirname(require.resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs');
}

export const VERIFIER_CONTRACT_NAME = 'Groth16Verifier';

export async function renderVerifier(verificationKey: Record<string, unknown>): Promise<string> {
  return ejs.render(await fs.readFile(templatePath(), 'utf8'), verificationKey);
}
