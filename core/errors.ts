/**
 * One error type for the whole toolkit. Every failure a user can cause (bad model, bad input,
 * stale artifact, tampered proof file, unreachable chain) is a ZkinferError with a short message,
 * a stable code, structured details and, where there is one, the underlying cause.
 * The CLI prints `message` (plus the cause chain with --verbose) and exits with `exitCodeFor(code)`.
 */

export type ErrorCode =
  | 'USAGE' // wrong arguments or options
  | 'MODEL_INVALID' // model.json / weights malformed
  | 'MODEL_UNSUPPORTED' // a layer or option zkinfer cannot prove (yet)
  | 'INPUT_INVALID' // an inference input of the wrong shape, non-finite or out of range
  | 'DATA_MISSING' // a dataset that is not installed
  | 'ARTIFACT_MISSING' // a file a step needs does not exist
  | 'ARTIFACT_STALE' // a file was made from inputs that have changed since
  | 'ARTIFACT_INVALID' // a file exists but is malformed or tampered with
  | 'PROOF_INVALID' // a proof or public-signal file that is not well-formed
  | 'QUANTIZATION' // the model cannot be quantized within the requested bounds
  | 'CIRCUIT' // circom failed, or a witness does not satisfy the circuit
  | 'SETUP' // powers of tau / proving key problems
  | 'PROVE' // the prover failed
  | 'CHAIN' // RPC, deployment or contract call failures
  | 'QUEUE' // the proof job queue: Redis unreachable, a job that failed on every attempt or is unknown
  | 'CHECK_FAILED' // a verification or consistency check answered "no"
  | 'INTERNAL'; // a bug in zkinfer

export interface ErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ZkinferError extends Error {
  override readonly name: string = 'ZkinferError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A problem in a model file or a layer of it; names the layer when there is one. */
export class ModelError extends ZkinferError {
  override readonly name = 'ModelError';
  constructor(
    code: 'MODEL_INVALID' | 'MODEL_UNSUPPORTED' | 'QUANTIZATION',
    message: string,
    readonly layer?: { name: string; index: number },
    options: ErrorOptions = {},
  ) {
    super(code, layer ? `layer ${layer.index} '${layer.name}': ${message}` : message, {
      ...options,
      details: { ...options.details, ...(layer ? { layer: layer.name, layerIndex: layer.index } : {}) },
    });
  }
}

/** A problem with an inference input: names where (file, index) and expected vs. found. */
export class InputError extends ZkinferError {
  override readonly name = 'InputError';
  constructor(message: string, options: ErrorOptions = {}) {
    super('INPUT_INVALID', message, options);
  }
}

/** A missing, stale or malformed file in an artifacts folder. */
export class ArtifactError extends ZkinferError {
  override readonly name = 'ArtifactError';
  constructor(
    code: 'ARTIFACT_MISSING' | 'ARTIFACT_STALE' | 'ARTIFACT_INVALID',
    message: string,
    readonly path: string,
    options: ErrorOptions = {},
  ) {
    super(code, message, { ...options, details: { ...options.details, path } });
  }
}

const EXIT_CODES: Record<ErrorCode, number> = {
  CHECK_FAILED: 1,
  USAGE: 2,
  MODEL_INVALID: 3,
  MODEL_UNSUPPORTED: 3,
  INPUT_INVALID: 3,
  PROOF_INVALID: 3,
  QUANTIZATION: 3,
  DATA_MISSING: 4,
  ARTIFACT_MISSING: 4,
  ARTIFACT_STALE: 4,
  ARTIFACT_INVALID: 4,
  CIRCUIT: 5,
  SETUP: 5,
  PROVE: 5,
  CHAIN: 6,
  QUEUE: 6,
  INTERNAL: 70,
};

export function exitCodeFor(error: unknown): number {
  return error instanceof ZkinferError ? EXIT_CODES[error.code] : EXIT_CODES.INTERNAL;
}

/** The message of anything thrown, for wrapping third-party errors as causes. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A value as JSON for an error message, cut short: files may hold megabytes where a number was due. */
export function quoted(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}
