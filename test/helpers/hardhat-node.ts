/** `hardhat node` on 127.0.0.1 for tests of --rpc chains, and its first account's well-known key. */
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { packageRoot } from '../../core/paths.js';

/** Hardhat node's first default account: a well-known development key. */
export const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startHardhatNode(port: number): Promise<ChildProcess> {
  const cli = createRequire(import.meta.url).resolve('hardhat/internal/cli/cli.js');
  const config = path.join(packageRoot(), 'verifier-contracts', 'hardhat.config.cjs');
  const child = spawn(process.execPath, [cli, '--config', config, 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: packageRoot(), // Hardhat insists on running from where it is installed
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (/Started HTTP and WebSocket JSON-RPC server/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`hardhat node exited with ${code}:\n${output}`)));
  });
  return child;
}

