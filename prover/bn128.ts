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
  e(value: bigint | number | string): Element;
  fromRng(rng: { nextU32(): number }): Element;
  toRprLE(buffer: Uint8Array, offset: number, element: Element): void;
}

export interface FfCurve {
  G1: FfGroup;
  G2: FfGroup;
  Fr: FfField;
  Gt: { toObject(element: Element): unknown };
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
