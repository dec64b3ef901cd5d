/**
 * What a circuit makes public, per part of the computation (`zkinfer compile --input --output
 * --params`). A compile setting: recorded in the manifest, it fixes the public-signal layout
 * (circuits/layout.ts) and what the prover must supply.
 */
import { ZkinferError } from '../core/errors.js';

export const INPUT_MODES = ['hashed', 'public', 'private'] as const;
export const OUTPUT_MODES = ['public', 'private', 'hashed', 'probabilities'] as const;
export const PARAMS_MODES = ['fixed', 'hashed'] as const;
export const RECIPIENT_MODES = ['none', 'public'] as const;

export interface Visibility {
  /** hashed: a Poseidon commitment to the (salted, packed) input is public; public: the values are; private: nothing is. */
  input: (typeof INPUT_MODES)[number];
  /**
   * public: label and logits; private: the label only (the logits stay private); hashed: a
   * commitment to label and logits; probabilities: the label and the softmax of the logits (a
   * model quantized with --output probabilities, whose softmax op computes them; the logits stay private).
   */
  output: (typeof OUTPUT_MODES)[number];
  /** fixed: weights are circuit constants; hashed: private inputs, committed with Poseidon (one key serves any weights). */
  params: (typeof PARAMS_MODES)[number];
  /**
   * public: the proof is bound to an Ethereum address, a public input `recipient` that the prover
   * names and a contract pays (docs/SECURITY.md, front-running). Absent means none, so circuits
   * and manifests made before this setting are unchanged.
   */
  recipient?: (typeof RECIPIENT_MODES)[number];
}

export const DEFAULT_VISIBILITY: Visibility = { input: 'hashed', output: 'public', params: 'fixed' };

function pick<T extends string>(allowed: readonly T[], value: unknown, what: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ZkinferError('USAGE', `${what} must be one of ${allowed.join(', ')}, found ${JSON.stringify(value)?.slice(0, 40)}`);
}

/** Visibility from partial settings (CLI flags, or a manifest's record), defaults filling the rest. */
export function parseVisibility(settings: Partial<Record<keyof Visibility, unknown>> = {}, where = 'visibility'): Visibility {
  return {
    input: settings.input === undefined ? DEFAULT_VISIBILITY.input : pick(INPUT_MODES, settings.input, `${where}: input`),
    output: settings.output === undefined ? DEFAULT_VISIBILITY.output : pick(OUTPUT_MODES, settings.output, `${where}: output`),
    params: settings.params === undefined ? DEFAULT_VISIBILITY.params : pick(PARAMS_MODES, settings.params, `${where}: params`),
    // Recorded only when it binds, so that a default manifest's settings stay what they were.
    ...(settings.recipient !== undefined && pick(RECIPIENT_MODES, settings.recipient, `${where}: recipient`) === 'public' ? { recipient: 'public' as const } : {}),
  };
}

/** Whether the circuit takes a public `recipient` (an address the proof is bound to). */
export function bindsRecipient(visibility: Visibility): boolean {
  return visibility.recipient === 'public';
}

/** Whether the circuit takes a salt: whenever it publishes a commitment to private data of the inference. */
export function takesSalt(visibility: Visibility): boolean {
  return visibility.input === 'hashed' || visibility.output === 'hashed';
}

export function describeVisibility(v: Visibility): string {
  return `input ${v.input}, output ${v.output}, params ${v.params}${bindsRecipient(v) ? ', recipient public' : ''}`;
}
