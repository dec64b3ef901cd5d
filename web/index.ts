/**
 * zkinfer/web: proving a model's inferences in the browser, where the input never leaves the page.
 *
 *   const prover = await createBrowserProver('/artifacts/web.json', { onProgress });
 *   try {
 *     const { proof, publicSignals, label } = await prover.prove(pixels);
 *     const ok = await prover.verify(proof, publicSignals);
 *   } finally { prover.close(); }
 *
 * `artifactsUrl` is the folder `zkinfer export-web` wrote (its web.json) or web.json itself. The
 * files are fetched and checked, and the quantized input, the witness and the proof are computed
 * in a Web Worker; a proof runs on several Web Workers sharing one WebAssembly memory when the page
 * is cross-origin isolated (served with COOP/COEP, as `zkinfer web` does), else on one.
 * Verification runs in the page (prover/groth16-verifier.ts, the same verifier as `zkinfer verify`,
 * on the prover's module the worker loaded).
 */
import { ZkinferError } from '../core/errors.js';
import { fromFieldSigned } from '../core/field.js';
import type { Groth16Proof } from '../prover/groth16.js';
import type { PreparedVerifier, VerificationKey } from '../prover/groth16-verifier.js';
import { WEB_MANIFEST, type WebManifest } from './site.js';
import type { FromWorker, LoadedInfo, ProvedInfo, ToWorker, WebProgress } from './worker-protocol.js';

export type { WebManifest, WebSample } from './site.js';
export type { LoadedInfo, ProvedInfo, WebProgress, WebStage } from './worker-protocol.js';
export type { Groth16Proof } from '../prover/groth16.js';

export interface BrowserProverOptions {
  /** Threads of a proof: by default the browser's cores (navigator.hardwareConcurrency) when cross-origin isolated, else 1. */
  threads?: number;
  /**
   * Precompute the key's window multiples at load (default false): proofs get faster, and the
   * load slower by seconds and about 30 times the key's size in memory (prover/groth16.ts).
   */
  precompute?: boolean;
  /** Called as the download, the load and each proof advance. */
  onProgress?: (progress: WebProgress) => void;
}

export interface BrowserProof extends ProvedInfo {
  /** The predicted class (when the circuit shows it) and its name. */
  label?: number;
  labelName?: string;
  /** The logits, when the circuit shows them. */
  logits?: number[];
  /** Wall time of the whole proof, from the input to the proof in the page. */
  totalMs: number;
}

export interface BrowserProver {
  readonly manifest: WebManifest;
  /** Threads a proof runs on. */
  readonly threads: number;
  /** Whether the page is cross-origin isolated (else proofs run on one thread). */
  readonly crossOriginIsolated: boolean;
  /** The download and load: bytes, wall times. */
  readonly loaded: LoadedInfo;
  /**
   * Prove one float input (the model's input, e.g. 196 pixels in [0, 1]). Proofs run one at a
   * time. A circuit that commits to its input or output takes a salt: a fresh secret one unless
   * `salt` is given (to open a commitment made before); the proof carries the one used.
   */
  prove(values: readonly number[], options?: { salt?: bigint }): Promise<BrowserProof>;
  /** Check a proof of this model's key in the page. */
  verify(proof: Groth16Proof, publicSignals: readonly string[]): Promise<boolean>;
  /** Stop the worker and its threads. */
  close(): void;
}

export async function createBrowserProver(artifactsUrl: string | URL, options: BrowserProverOptions = {}): Promise<BrowserProver> {
  const base = new URL(String(artifactsUrl), globalThis.location?.href);
  const manifestUrl = base.pathname.endsWith('.json') ? base : new URL(WEB_MANIFEST, base.href.endsWith('/') ? base : `${base.href}/`);
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = isolated ? Math.max(1, Math.floor(options.threads ?? navigator.hardwareConcurrency ?? 1)) : 1;
  const worker = new Worker(new URL('./prover-worker.js', import.meta.url), { type: 'module', name: 'zkinfer prover' });
  const pending = new Map<number, { resolve(info: ProvedInfo): void; reject(error: Error): void }>();
  let onLoaded: { resolve(info: LoadedInfo): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure = error;
    onLoaded?.reject(error);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    switch (message.kind) {
      case 'progress':
        options.onProgress?.(message.progress);
        return;
      case 'loaded':
        verifierModule = message.module;
        onLoaded?.resolve(message.info);
        return;
      case 'proved':
        pending.get(message.id)?.resolve(message.info);
        pending.delete(message.id);
        return;
      case 'failed': {
        // A ZkinferError crosses postMessage as its code and message.
        const error = new ZkinferError(message.code, message.message);
        if (message.id === undefined) onLoaded?.reject(error);
        else {
          pending.get(message.id)?.reject(error);
          pending.delete(message.id);
        }
        return;
      }
    }
  };
  worker.onerror = (event) => failAll(new ZkinferError('PROVE', `the prover worker failed: ${event.message}`));
  const post = (message: ToWorker) => worker.postMessage(message);
  let loaded: LoadedInfo;
  /** The prover's module the worker compiled (its bytes checked against web.json), for the verifier. */
  let verifierModule: WebAssembly.Module | undefined;
  try {
    loaded = await new Promise<LoadedInfo>((resolve, reject) => {
      onLoaded = { resolve, reject };
      post({ kind: 'load', manifestUrl: manifestUrl.href, threads, threadUrl: new URL('./prover-thread.js', import.meta.url).href, precompute: options.precompute ?? false });
    });
  } catch (error) {
    worker.terminate();
    throw error;
  } finally {
    onLoaded = undefined;
  }
  const manifest = loaded.manifest;
  let verificationKey: Promise<VerificationKey> | undefined;
  let verifier: Promise<PreparedVerifier> | undefined;
  let next = 0;
  return {
    manifest,
    threads: loaded.threads,
    crossOriginIsolated: isolated,
    loaded,
    async prove(values, proveOptions = {}) {
      if (failure) throw failure;
      const started = performance.now();
      const id = next++;
      const info = await new Promise<ProvedInfo>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        post({ kind: 'prove', id, values: [...values], ...(proveOptions.salt !== undefined ? { salt: proveOptions.salt.toString() } : {}) });
      });
      return { ...info, ...readOutputs(manifest, info.publicSignals), totalMs: performance.now() - started };
    },
    async verify(proof, publicSignals) {
      options.onProgress?.({ stage: 'verify', done: 0, total: 1 });
      verificationKey ??= fetch(new URL(manifest.files.verificationKey.path, manifestUrl)).then((r) => r.json() as Promise<VerificationKey>);
      // Loaded when first used: the verifier brings ffjavascript's curve (snarkjs), which proving does not need.
      if (!verifier) {
        verifier = import('../prover/groth16-verifier.js').then(async ({ PreparedVerifier }) => PreparedVerifier.prepare(await verificationKey!, verifierModule!));
        verifier.catch(() => (verifier = undefined));
      }
      const ok = (await verifier).verify(publicSignals, proof);
      options.onProgress?.({ stage: 'verify', done: 1, total: 1 });
      return ok;
    },
    close() {
      worker.terminate();
      failAll(new ZkinferError('USAGE', 'the prover was closed'));
    },
  };
}

/** The prediction a proof's public signals show, in the circuit's layout. */
function readOutputs(manifest: WebManifest, signals: readonly string[]): Pick<BrowserProof, 'label' | 'labelName' | 'logits'> {
  const { layout, labels } = manifest;
  const label = layout.label !== undefined ? Number(signals[layout.label]) : undefined;
  const logits = layout.logits ? signals.slice(layout.logits.start, layout.logits.start + layout.logits.count).map((s) => Number(fromFieldSigned(BigInt(s)))) : undefined;
  const predicted = label ?? (logits ? logits.indexOf(Math.max(...logits)) : undefined);
  return {
    ...(predicted !== undefined ? { label: predicted } : {}),
    ...(predicted !== undefined && labels?.[predicted] !== undefined ? { labelName: labels[predicted] } : {}),
    ...(logits ? { logits } : {}),
  };
}
