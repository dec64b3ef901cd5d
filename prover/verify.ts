/**
 * Groth16 verification under Node: prover/groth16-verifier.ts's PreparedVerifier on the prover's
 * module as this process loads it (prover/wasm-module.ts), one per key seen lately. A browser page
 * uses groth16-verifier.ts itself, with the module its worker was shipped (web/index.ts).
 */
import type { Groth16Proof } from './pool/messages.js';
import { PreparedVerifier, type VerificationKey } from './groth16-verifier.js';
import { proverModule } from './wasm-module.js';

export { PreparedVerifier, type VerificationKey } from './groth16-verifier.js';

/** True only for a valid proof of exactly these public signals; tampered or out-of-range values give false. */
export async function verifyGroth16(vk: VerificationKey, publicSignals: readonly string[], proof: Groth16Proof): Promise<boolean> {
  return (await preparedVerifier(vk)).verify(publicSignals, proof);
}

/** Verifiers of the keys seen lately, by the key's JSON: a producer or a bench checks many proofs of few keys. */
const prepared = new Map<string, Promise<PreparedVerifier>>();
const PREPARED_KEYS = 16;

/** The prepared verifier of a key, built on first use and kept for the next proofs of that key. */
export function preparedVerifier(vk: VerificationKey): Promise<PreparedVerifier> {
  const text = JSON.stringify(vk);
  let verifier = prepared.get(text);
  if (!verifier) {
    verifier = PreparedVerifier.prepare(vk, proverModule());
    verifier.catch(() => prepared.delete(text));
    if (prepared.size >= PREPARED_KEYS) prepared.delete(prepared.keys().next().value!);
    prepared.set(text, verifier);
  }
  return verifier;
}
