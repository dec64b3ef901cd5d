/**
 * Ethereum addresses as zkinfer takes them: `0x` and 20 bytes of hex, checksummed when written in
 * mixed case (EIP-55), held as the field element a recipient-bound circuit proves, a number below
 * 2^160.
 */
import { createRequire } from 'node:module';
import { InputError, quoted } from './errors.js';

const require = createRequire(import.meta.url);

/** Addresses are 160-bit numbers: a public `recipient` at or above this is no address. */
export const ADDRESS_LIMIT = 1n << 160n;

/** `value` (a string `0x` + 40 hex digits) as a number; `where` names it in errors. */
export function parseAddress(value: unknown, where: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new InputError(`${where} must be an Ethereum address, "0x" and 40 hex digits (20 bytes), found ${quoted(value)}`);
  }
  const digits = value.slice(2);
  if (digits !== digits.toLowerCase() && digits !== digits.toUpperCase()) {
    // Loaded only here: ethers takes a sixth of a second to load, and most addresses are lowercase.
    const { getAddress } = require('ethers/address') as typeof import('ethers/address');
    if (getAddress(value.toLowerCase()) !== value) throw new InputError(`${where}: ${value} has a wrong checksum (its mixed case is not EIP-55's): mistyped?`);
  }
  return BigInt(value);
}

/** A number below 2^160 as an address (lowercase hex); undefined when it is none. */
export function formatAddress(value: bigint): string | undefined {
  return value >= 0n && value < ADDRESS_LIMIT ? `0x${value.toString(16).padStart(40, '0')}` : undefined;
}
