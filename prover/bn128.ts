/**
 * ffjavascript's bn128 curve, single-threaded, for the handful of curve operations the
 * development setup does on the main thread (the key's header points, the contribution's proof
 * of knowledge, format conversions) and for the compiled WebAssembly its worker threads run.
 * A single-threaded instance starts no threads, so unlike the shared curve (prover/curve.ts) it
 * needs no termination; it is built once (about a second) and kept.
 */
import { GROUPS, type GroupName } from './bn128-layout.js';

/** A point or field element as ffjavascript holds it: Montgomery form, little-endian bytes. */
export type Element = Uint8Array;

export interface FfGroup {
  g: Element;
  /** The group's base field: Fq for G1, Fq2 for G2. */
  F: Omit<FfField, 'toObject'>;
  /** The curve's b in y² = x³ + b. */
  b: Element;
  add(a: Element, b: Element): Element;
  sub(a: Element, b: Element): Element;
  isZero(point: Element): boolean;
  /** On the curve (or the point at infinity); says nothing of the subgroup. */
  isValid(point: Element): boolean;
  /** Affine when z is 1 (64 bytes in G1, 128 in G2), Jacobian otherwise; bigints, not strings. */
  fromObject(point: unknown): Element;
  toJacobian(point: Element): Element;
  timesFr(point: Element, scalar: Element): Element;
  /** Multiply by a 32-byte little-endian scalar in normal form. */
  timesScalar(point: Element, scalar: Uint8Array): Element;
  neg(point: Element): Element;
  toAffine(point: Element): Element;
  eq(a: Element, b: Element): boolean;
  toRprLEM(buffer: Uint8Array, offset: number, point: Element): void;
  toRprUncompressed(buffer: Uint8Array, offset: number, point: Element): void;
  fromRprLEM(buffer: Uint8Array, offset: number): Element;
  fromRng(rng: { nextU32(): number }): Element;
  toObject(point: Element): unknown;
}

export interface FfField {
  fromRprLE(buffer: Uint8Array, offset: number): Element;
  toObject(element: Element): bigint;
  fromObject(value: unknown): Element;
  add(a: Element, b: Element): Element;
  mul(a: Element, b: Element): Element;
  neg(a: Element): Element;
  eq(a: Element, b: Element): boolean;
  exp(a: Element, exponent: bigint): Element;
  isSquare(a: Element): boolean;
  sqrt(a: Element): Element;
  e(value: bigint | number | string): Element;
  fromRng(rng: { nextU32(): number }): Element;
  toRprLE(buffer: Uint8Array, offset: number, element: Element): void;
}

export interface FfCurve {
  G1: FfGroup;
  G2: FfGroup;
  Fr: FfField;
  /** The base field Fq (32-byte elements) and its quadratic extension Fq2 = Fq[u]/(u² + 1). */
  F1: FfField;
  F2: Omit<FfField, 'toObject'>;
  Gt: { toObject(element: Element): unknown; mul(a: Element, b: Element): Element; eq(a: Element, b: Element): boolean; exp(a: Element, exponent: bigint): Element };
  /** The order of G1, G2 and Gt. */
  r: bigint;
  /** The pairing in pieces: points' Miller-loop preparation (G2's line coefficients), one Miller loop, the final exponentiation. */
  prepareG1(jacobian: Element): Element;
  prepareG2(jacobian: Element): Element;
  millerLoop(preparedG1: Element, preparedG2: Element): Element;
  finalExponentiation(element: Element): Element;
  tm: { code: Uint8Array<ArrayBuffer> };
  pairing(g1: Element, g2: Element): Element;
  pairingEq(...pointsG1G2: Element[]): Promise<boolean>;
}

let building: Promise<{ curve: FfCurve; module: WebAssembly.Module }> | undefined;

export function singleThreadCurve(): Promise<{ curve: FfCurve; module: WebAssembly.Module }> {
  building ??= (async () => {
    // Imported here, not at the top: the point helpers below are used where snarkjs need not load (the prover).
    const snarkjs = await import('snarkjs');
    const curve = (await snarkjs.curves.getCurveFromName('bn128', { singleThread: true })) as unknown as FfCurve;
    return { curve, module: new WebAssembly.Module(curve.tm.code) };
  })();
  return building;
}

/** An affine point in .zkey form (Montgomery, little-endian). */
export function lem(curve: FfCurve, group: GroupName, point: Element): Uint8Array {
  const out = new Uint8Array(GROUPS[group].affine);
  curve[group].toRprLEM(out, 0, curve[group].toAffine(point));
  return out;
}

/** An affine point as snarkjs hashes it (normal form, big-endian). */
export function uncompressed(curve: FfCurve, group: GroupName, point: Element): Uint8Array {
  const out = new Uint8Array(GROUPS[group].affine);
  curve[group].toRprUncompressed(out, 0, point);
  return out;
}
