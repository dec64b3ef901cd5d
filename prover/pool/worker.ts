/**
 * One prover process, owned by ProverPool. It keeps snarkjs's curve warm between jobs, and
 * terminates the curve's threads before exiting when asked to close or when the pool goes away.
 */
import * as snarkjs from 'snarkjs';
import type { FailedResponse, Groth16Proof, ProveRequest, ProvedResponse, WorkerRequest, WorkerResponse } from './messages.js';

process.on('message', (request: WorkerRequest) => {
  if (request.kind === 'close') void exit();
  else void prove(request).then((response) => process.send!(response satisfies WorkerResponse));
});
process.on('disconnect', () => void exit());

async function prove(request: ProveRequest): Promise<ProvedResponse | FailedResponse> {
  const failed = (stage: FailedResponse['stage'], error: unknown): FailedResponse => ({
    kind: 'failed',
    id: request.id,
    stage,
    message: error instanceof Error ? error.message : String(error),
  });
  const witness: snarkjs.MemFile = { type: 'mem' };
  const start = performance.now();
  try {
    await snarkjs.wtns.calculate(request.input, request.wasmPath, witness);
  } catch (error) {
    return failed('witness', error);
  }
  const witnessDone = performance.now();
  try {
    const { proof, publicSignals } = await snarkjs.groth16.prove(request.zkeyPath, witness);
    const proveMs = performance.now() - witnessDone;
    return { kind: 'proved', id: request.id, proof: proof as Groth16Proof, publicSignals, witnessMs: witnessDone - start, proveMs };
  } catch (error) {
    return failed('prove', error);
  }
}

async function exit(): Promise<never> {
  const curve = (globalThis as { curve_bn128?: snarkjs.Curve | null }).curve_bn128;
  if (curve) await curve.terminate();
  process.exit(0);
}
