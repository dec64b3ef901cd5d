/**
 * The page's manifest, web.json: what a browser needs to prove one model's inferences, written by
 * `zkinfer export-web` (pipeline/web.ts) beside the files it names and read by the prover worker
 * (web/prover-worker.ts). The worker checks every file against its size and SHA-256 here before
 * using it. No Node API: both sides import it.
 */
import { ZkinferError } from '../core/errors.js';
import type { PublicSignalLayout } from '../circuits/layout.js';
import type { QInput } from '../model/ir.js';

export const WEB_FORMAT = 'zkinfer-web/1';
export const WEB_MANIFEST = 'web.json';

export interface WebFile {
  /** Relative to web.json. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface WebSample {
  /** The true class of the test image. */
  label: number;
  /** The model's float input (e.g. 196 pixels in [0, 1]). */
  values: number[];
}

export interface WebManifest {
  format: typeof WEB_FORMAT;
  model: string;
  labels?: string[];
  input: QInput;
  /**
   * The witness generator's input apart from `in` and `salt`: the weights and biases when the
   * circuit hashes its parameters (decimal strings), else nothing.
   */
  fixedInput: Record<string, unknown>;
  /** The circuit takes a salt (its input or output is committed to): the page draws a fresh one per proof. */
  takesSalt: boolean;
  layout: PublicSignalLayout;
  files: {
    /** The witness generator: circom's (model.wasm) or the direct path's program (model.witness.bin). */
    circuit: WebFile;
    zkey: WebFile;
    verificationKey: WebFile;
    /** The prover's module for one thread. */
    prover: WebFile;
    /** Thread k's module for a proof on threads sharing one memory (prover/wasm-threads.ts). */
    threads: WebFile[];
  };
  /** A few test images of the model's data set, when the export found it. */
  samples: WebSample[];
  /** The model's InferenceRegistry, when the artifacts record a deployment. */
  registry?: { address: string; chainId: number; modelId: string };
}

/** `json` as a WebManifest, checked enough that the worker can trust its shape; `where` names it. */
export function parseWebManifest(json: unknown, where: string): WebManifest {
  const fail = (what: string) => new ZkinferError('ARTIFACT_INVALID', `${where}: ${what}`, { details: { path: where } });
  if (typeof json !== 'object' || json === null) throw fail('not a JSON object');
  const manifest = json as Partial<WebManifest>;
  if (manifest.format !== WEB_FORMAT) throw fail(`its format is ${JSON.stringify(manifest.format)}, not ${WEB_FORMAT} (re-export it with this zkinfer: zkinfer export-web)`);
  const files = manifest.files;
  const file = (name: string, value: unknown): void => {
    const f = value as Partial<WebFile> | undefined;
    if (!f || typeof f.path !== 'string' || f.path.includes('..') || !Number.isInteger(f.bytes) || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) {
      throw fail(`files.${name} is not a file entry (path, bytes, sha256)`);
    }
  };
  if (!files || !Array.isArray(files.threads)) throw fail('it lists no files');
  for (const name of ['circuit', 'zkey', 'verificationKey', 'prover'] as const) file(name, files[name]);
  files.threads.forEach((f, k) => file(`threads[${k}]`, f));
  if (!manifest.input || !Array.isArray(manifest.input.shape) || typeof manifest.input.scale !== 'number') throw fail('its input is not described');
  if (!manifest.layout || !Array.isArray(manifest.layout.names)) throw fail('its public-signal layout is missing');
  if (!Array.isArray(manifest.samples)) throw fail('its samples are not a list');
  return manifest as WebManifest;
}
