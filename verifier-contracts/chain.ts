/**
 * A chain to deploy to and call: Hardhat's in-process network by default (nothing to start,
 * gone when the process ends), or any JSON-RPC endpoint with a private key.
 * RPC failures become ZkinferError('CHAIN') naming the endpoint; nothing waits forever.
 */
import * as path from 'node:path';
import { ethers } from 'ethers';
import { ZkinferError, messageOf } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';

export interface ChainOptions {
  /** A JSON-RPC URL (http or https). Without it: Hardhat's in-process network. */
  rpc?: string;
  /** Hex private key of the account that sends transactions; with --rpc only. */
  privateKey?: string;
  timeoutMs?: number;
}

export interface Chain {
  kind: 'in-process' | 'rpc';
  /** 'hardhat (in-process)' or the RPC URL. */
  name: string;
  chainId: bigint;
  provider: ethers.Provider;
  signer: ethers.Signer;
}

function chainError(message: string, cause?: unknown): ZkinferError {
  return new ZkinferError('CHAIN', message, cause === undefined ? {} : { cause });
}

async function connectInProcess(): Promise<Chain> {
  // Hardhat reads its configuration when first imported: point it at ours, whatever the cwd.
  process.env.HARDHAT_CONFIG = path.join(packageRoot(), 'verifier-contracts', 'hardhat.config.cjs');
  const hre = (await import('hardhat')).default;
  const provider = new ethers.BrowserProvider(hre.network.provider as ethers.Eip1193Provider);
  const signer = await provider.getSigner(0);
  return { kind: 'in-process', name: 'hardhat (in-process)', chainId: (await provider.getNetwork()).chainId, provider, signer };
}

/** One JSON-RPC request with a deadline; the answer's shape is checked by the caller. */
export async function rpcRequest(url: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw chainError(`cannot reach the RPC endpoint ${url}: ${messageOf((error as Error).cause ?? error)}`, error);
  }
  const text = await response.text();
  let body: { result?: unknown; error?: { message?: string } };
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw chainError(`the RPC endpoint ${url} answered ${method} with something that is not JSON (HTTP ${response.status})`, error);
  }
  if (body?.error) throw chainError(`the RPC endpoint ${url} refused ${method}: ${String(body.error.message ?? 'unknown error').slice(0, 200)}`);
  if (!response.ok || body?.result === undefined) throw chainError(`the RPC endpoint ${url} gave no result for ${method} (HTTP ${response.status})`);
  return body.result;
}

async function connectRpc(url: string, privateKey: string | undefined, timeoutMs: number): Promise<Chain> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ZkinferError('USAGE', `--rpc ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ZkinferError('USAGE', `--rpc must be an http(s) URL, found ${parsed.protocol}`);
  const answer = await rpcRequest(url, 'eth_chainId', [], timeoutMs);
  if (typeof answer !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(answer)) {
    throw chainError(`the RPC endpoint ${url} answered eth_chainId with ${JSON.stringify(answer).slice(0, 80)}, not a chain id`);
  }
  const chainId = BigInt(answer);
  const request = new ethers.FetchRequest(url);
  request.timeout = timeoutMs;
  // A static network stops ethers from re-detecting the chain (and retrying forever when it is down);
  // no answer cache, or back-to-back transactions would read a stale nonce.
  const provider = new ethers.JsonRpcProvider(request, chainId, { staticNetwork: ethers.Network.from(chainId), cacheTimeout: -1 });
  let signer: ethers.Signer;
  if (privateKey !== undefined) {
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(privateKey)) throw new ZkinferError('USAGE', '--private-key must be 32 bytes of hex (64 hex digits, optionally 0x-prefixed)');
    signer = new ethers.Wallet(privateKey.startsWith('0x') ? privateKey : `0x${privateKey}`, provider);
  } else {
    const accounts = await rpcRequest(url, 'eth_accounts', [], timeoutMs);
    if (!Array.isArray(accounts) || accounts.length === 0 || typeof accounts[0] !== 'string') {
      throw new ZkinferError('USAGE', `the node at ${url} has no unlocked accounts: pass --private-key`);
    }
    signer = await provider.getSigner(accounts[0]);
  }
  return { kind: 'rpc', name: url, chainId, provider, signer };
}

export async function connectChain(options: ChainOptions = {}): Promise<Chain> {
  if (options.privateKey !== undefined && options.rpc === undefined) {
    throw new ZkinferError('USAGE', '--private-key needs --rpc: the in-process network has its own funded accounts');
  }
  return options.rpc === undefined ? connectInProcess() : connectRpc(options.rpc, options.privateKey, options.timeoutMs ?? 15_000);
}

/** Run a chain call, turning ethers' errors into ZkinferError('CHAIN') that say what was being done. */
export async function onChain<T>(chain: Chain, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ZkinferError) throw error;
    const reason = (error as { shortMessage?: string }).shortMessage ?? messageOf(error);
    throw chainError(`${what} on ${chain.name} failed: ${reason.slice(0, 300)}`, error);
  }
}
