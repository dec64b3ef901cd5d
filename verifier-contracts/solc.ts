/**
 * Solidity compilation with solc-js (the npm package, pinned to 0.8.30): no compiler download.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { packageRoot } from '../core/paths.js';
import { ZkinferError } from '../core/errors.js';

const require = createRequire(import.meta.url);

export interface CompiledContract {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  /** The code a deployment leaves on chain: its keccak256 is the contract's EXTCODEHASH (no immutables in what zkinfer deploys by hash). */
  deployedBytecode: string;
  compiler: string;
  settings: { optimizer: { enabled: boolean; runs: number }; evmVersion?: string };
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

export function solcVersion(): string {
  return `solc@${(require('solc') as { version(): string }).version()}`;
}

/** Compile `contractName` from `fileName`, one of `sources` (file name → Solidity), which may import each other. */
export function compileSolidityFiles(sources: Record<string, string>, contractName: string, fileName = `${contractName}.sol`): CompiledContract {
  const solc = require('solc') as { compile(input: string): string; version(): string };
  const settings = { optimizer: { enabled: true, runs: 200 } };
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: { ...settings, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new ZkinferError('INTERNAL', `solc could not compile ${fileName}: ${errors[0].formattedMessage.split('\n')[0]}`, {
      details: { errors: errors.map((e) => e.formattedMessage) },
    });
  }
  const contract = output.contracts?.[fileName]?.[contractName];
  if (!contract) throw new ZkinferError('INTERNAL', `solc produced no contract ${contractName} from ${fileName}`);
  return { contractName, abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}`, deployedBytecode: `0x${contract.evm.deployedBytecode.object}`, compiler: solcVersion(), settings };
}

export function compileSolidity(source: string, contractName: string, fileName = `${contractName}.sol`): CompiledContract {
  return compileSolidityFiles({ [fileName]: source }, contractName, fileName);
}

/** A contract zkinfer ships in verifier-contracts/contracts/, compiled with every shipped source at hand for imports. */
export function compileShippedContract(contractName: string): CompiledContract {
  const dir = path.join(packageRoot(), 'verifier-contracts', 'contracts');
  const sources = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.sol')).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  return compileSolidityFiles(sources, contractName);
}
