/**
 * TF.js with the fastest backend this machine has: @tensorflow/tfjs-node when it is installed
 * (an optional dependency: its install downloads a native library, which fails on closed networks),
 * otherwise the WASM backend, whose binaries ship inside its npm package.
 */
import { registerNormalization } from './normalization.js';

type Tf = typeof import('@tensorflow/tfjs');

let loaded: Promise<{ tf: Tf; backend: string }> | undefined;

async function load(): Promise<{ tf: Tf; backend: string }> {
  try {
    // Module name in a variable: it is optional, and TypeScript must not require its types.
    const nodeBackend = '@tensorflow/tfjs-node';
    const tf = (await import(nodeBackend)) as Tf;
    await tf.ready();
    return { tf, backend: tf.getBackend() };
  } catch {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) await tf.setBackend('cpu');
    await tf.ready();
    return { tf, backend: tf.getBackend() };
  }
}

/** TF.js, with the Keras layers it lacks registered (normalization.ts). */
export function loadTf(): Promise<{ tf: Tf; backend: string }> {
  loaded ??= load().then((found) => {
    registerNormalization(found.tf);
    return found;
  });
  return loaded;
}
