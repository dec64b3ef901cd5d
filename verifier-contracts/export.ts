/**
 * The Solidity verifier of a proving key, rendered from its verification key with snarkjs's own
 * Groth16 template (the same text `snarkjs zkey export solidityverifier` writes).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import ejs from 'ejs';
import { snarkjsDir } from '../prover/snarkjs-package.js';

function templatePath(): string {
  return path.join(snarkjsDir(), 'templates', 'verifier_groth16.sol.ejs');
}

export const VERIFIER_CONTRACT_NAME = 'Groth16Verifier';

export async function renderVerifier(verificationKey: Record<string, unknown>): Promise<string> {
  return ejs.render(await fs.readFile(templatePath(), 'utf8'), verificationKey);
}
