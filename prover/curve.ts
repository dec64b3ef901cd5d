/**
 * Lifetime of snarkjs's shared bn128 curve in this thread. ffjavascript keeps one multi-threaded
 * curve in globalThis.curve_bn128 and its worker threads keep the process alive until someone
 * terminates it. Terminating it while another call still uses it would hang that call, and two
 * calls building it at once would leak the first one's threads, so every snarkjs call in the
 * main thread runs inside `withBn128`: the first user builds the curve, the last one terminates it.
 */
import * as snarkjs from 'snarkjs';

let users = 0;
let building: Promise<snarkjs.Curve> | undefined;

export async function withBn128<T>(work: (curve: snarkjs.Curve) => Promise<T>): Promise<T> {
  users += 1;
  try {
    building ??= snarkjs.curves.getCurveFromName('bn128');
    const curve = await building;
    return await work(curve);
  } finally {
    users -= 1;
    if (users === 0) {
      building = undefined;
      await terminateSharedCurve();
    }
  }
}

async function terminateSharedCurve(): Promise<void> {
  // Whatever snarkjs built last is what holds threads, even if the build above failed half way.
  const shared = (globalThis as { curve_bn128?: snarkjs.Curve | null }).curve_bn128;
  if (shared) await shared.terminate();
}

