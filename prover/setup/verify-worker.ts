/**
 * A child process that runs snarkjs's phase-2 verification, for verifyZkey. snarkjs's
 * verifyFromInit prints some of its verdicts with console.log and leaves a file handle open, so it
 * runs here, where what it prints is collected by the parent and nothing it leaks outlives it.
 */
import * as snarkjs from 'snarkjs';

interface Request {
  r1csPath: string;
  ptauPath: string;
  zkeyPath: string;
}

export interface VerifyWorkerResponse {
  valid: boolean;
  /** What snarkjs reported through logger.error, or the exception, in order. */
  errors: string[];
}

process.once('message', (request: Request) => {
  const errors: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (message: string) => void errors.push(String(message)) };
  void (async () => {
    let valid = false;
    try {
      valid = (await snarkjs.zKey.verifyFromR1cs(request.r1csPath, request.ptauPath, request.zkeyPath, logger)) === true;
    } catch (error) {
      errors.push(`the key could not be checked: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.send!({ valid, errors } satisfies VerifyWorkerResponse, () => {
      const curve = (globalThis as { curve_bn128?: snarkjs.Curve | null }).curve_bn128;
      void (curve ? curve.terminate() : Promise.resolve()).finally(() => process.exit(0));
    });
  })();
});
