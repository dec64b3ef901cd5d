/**
 * snarkjs's Groth16 .zkey container, as zkey_utils.js writes and reads it: sections 1 (protocol 1 =
 * Groth16), 2 (field sizes and moduli, nVars, nPublic, domain size, then α₁ β₁ β₂ γ₂ δ₁ δ₂),
 * 3 IC, 4 A/B coefficients, 5 A, 6 B₁, 7 B₂, 8 C, 9 H, 10 the MPC parameters: the circuit hash
 * and the phase-2 contributions. Points are affine, Montgomery, little-endian. We write sections in
 * the order snarkjs's contribute/beacon write them (1..10), so our keys are laid out like theirs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { writeUintLE } from '../../core/binfile.js';
import { BASE_FIELD_MODULUS, FIELD_MODULUS } from '../../core/field.js';
import { GROUPS } from '../bn128-layout.js';
import { type FfCurve, uncompressed } from '../bn128.js';

/** Writes a container section by section, each announced with its exact size and checked against it. */
export class BinWriter {
  private remaining = 0;
  private position = 0;

  private constructor(private readonly handle: fs.FileHandle) {}

  static async create(file: string, magic: string, version: number, sections: number): Promise<BinWriter> {
    const writer = new BinWriter(await fs.open(file, 'w'));
    const head = Buffer.alloc(12);
    head.write(magic, 0, 'latin1');
    head.writeUInt32LE(version, 4);
    head.writeUInt32LE(sections, 8);
    await writer.raw(head);
    return writer;
  }

  async begin(type: number, size: number): Promise<void> {
    if (this.remaining !== 0) throw new Error(`section ended ${this.remaining} bytes early`);
    const head = Buffer.alloc(12);
    head.writeUInt32LE(type, 0);
    head.writeBigUInt64LE(BigInt(size), 4);
    await this.raw(head);
    this.remaining = size;
  }

  async write(data: Uint8Array): Promise<void> {
    if (data.length > this.remaining) throw new Error(`section overflows by ${data.length - this.remaining} bytes`);
    this.remaining -= data.length;
    await this.raw(data);
  }

  async close(): Promise<void> {
    await this.handle.close();
    if (this.remaining !== 0) throw new Error(`last section ended ${this.remaining} bytes early`);
  }

  private async raw(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

export const u32le = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
};

/** snarkjs hashes counts big-endian (zkey_new.js hashU32). */
export const u32be = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

export interface GrothHeader {
  nVars: number;
  nPublic: number;
  domainSize: number;
  /** α₁ β₁ β₂ γ₂ δ₁ δ₂, each affine LEM. */
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  gamma2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
}

export function encodeGrothHeader(h: GrothHeader): Buffer {
  return Buffer.concat([
    u32le(32),
    writeUintLE(BASE_FIELD_MODULUS, 32),
    u32le(32),
    writeUintLE(FIELD_MODULUS, 32),
    u32le(h.nVars),
    u32le(h.nPublic),
    u32le(h.domainSize),
    h.alpha1,
    h.beta1,
    h.beta2,
    h.gamma2,
    h.delta1,
    h.delta2,
  ]);
}

/** One phase-2 contribution: δ after it, and its proof of knowledge of the δ factor it applied. */
export interface Contribution {
  deltaAfter: Uint8Array;
  g1S: Uint8Array;
  g1Sx: Uint8Array;
  g2Spx: Uint8Array;
  transcript: Uint8Array;
  /** 0: a contribution with secret randomness; 1: a beacon. */
  type: number;
  name?: string;
  beacon?: { iterationsExp: number; hash: Uint8Array };
}

export function encodeContributions(circuitHash: Uint8Array, contributions: readonly Contribution[]): Buffer {
  const parts: Uint8Array[] = [circuitHash, u32le(contributions.length)];
  for (const c of contributions) {
    parts.push(c.deltaAfter, c.g1S, c.g1Sx, c.g2Spx, c.transcript, u32le(c.type));
    const params: number[] = [];
    if (c.name) {
      const name = Buffer.from(c.name.substring(0, 64), 'utf8');
      params.push(1, name.length, ...name);
    }
    if (c.type === 1 && c.beacon) params.push(2, c.beacon.iterationsExp, 3, c.beacon.hash.length, ...c.beacon.hash);
    parts.push(u32le(params.length), Uint8Array.from(params));
  }
  return Buffer.concat(parts);
}

export function decodeContributions(section: Buffer): { circuitHash: Uint8Array; contributions: Contribution[] } {
  const fail = (what: string) => new Error(`the contributions section is malformed: ${what}`);
  if (section.length < 68) throw fail('too short');
  const circuitHash = section.subarray(0, 64);
  const count = section.readUInt32LE(64);
  let at = 68;
  const take = (n: number) => {
    if (at + n > section.length) throw fail('truncated');
    at += n;
    return section.subarray(at - n, at);
  };
  const contributions: Contribution[] = [];
  for (let i = 0; i < count; i++) {
    const c: Contribution = { deltaAfter: take(64), g1S: take(64), g1Sx: take(64), g2Spx: take(128), transcript: take(64), type: take(4).readUInt32LE(0) };
    const params = take(take(4).readUInt32LE(0));
    let beaconExp: number | undefined;
    let beaconHash: Uint8Array | undefined;
    for (let p = 0, last = 0; p < params.length; ) {
      const kind = params[p++]!;
      if (kind <= last) throw fail('parameters out of order');
      last = kind;
      const length = kind === 2 ? 1 : params[p++]!;
      const value = params.subarray(p, p + length);
      if (value.length !== length) throw fail('parameter truncated');
      p += length;
      if (kind === 1) c.name = Buffer.from(value).toString('utf8');
      else if (kind === 2) beaconExp = value[0];
      else if (kind === 3) beaconHash = value;
      else throw fail(`unknown parameter ${kind}`);
    }
    if (beaconExp !== undefined && beaconHash) c.beacon = { iterationsExp: beaconExp, hash: beaconHash };
    contributions.push(c);
  }
  if (at !== section.length) throw fail('bytes after the last contribution');
  return { circuitHash, contributions };
}

/** snarkjs's contribution hash: blake2b-512 of δ-after, the proof of knowledge and the transcript (zkey_utils hashPubKey). */
export function contributionHash(curve: FfCurve, c: Contribution): Uint8Array {
  const hasher = createHash('blake2b512');
  for (const [group, point] of [
    ['G1', c.deltaAfter],
    ['G1', c.g1S],
    ['G1', c.g1Sx],
    ['G2', c.g2Spx],
  ] as const) {
    if (point.length !== GROUPS[group].affine) throw new Error('wrong point size');
    hasher.update(uncompressed(curve, group, point));
  }
  hasher.update(c.transcript);
  return hasher.digest();
}
