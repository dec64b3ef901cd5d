/**
 * --rpc chains: deploy to `hardhat node` on 127.0.0.1 and verify through the recorded deployment;
 * unreachable endpoints, endpoints that answer nonsense and bad keys fail fast and clearly.
 * Everything talks to 127.0.0.1 only, with bounded time.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_FIELD_MODULUS } from '../../core/field.js';
import { compileStep } from '../../pipeline/compile.js';
import { exportVerifierStep } from '../../pipeline/contracts.js';
import { readManifest } from '../../pipeline/manifest.js';
import { proveStep } from '../../pipeline/prove.js';
import { quantizeStep } from '../../pipeline/quantize.js';
import { setupStep } from '../../pipeline/setup.js';
import { writeTinyModel } from '../helpers/fixtures.js';
import { DEV_KEY, freePort, startHardhatNode } from '../helpers/hardhat-node.js';
import { runCli } from '../helpers/node-script.js';

let node: ChildProcess;
let rpc: string;
let dir: string;
let proof: string;

const zkinfer = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { timeoutMs: 120_000, env });

beforeAll(async () => {
  const port = await freePort();
  rpc = `http://127.0.0.1:${port}`;
  const model = await writeTinyModel(undefined, 11);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-rpc-'));
  const [started] = await Promise.all([
    startHardhatNode(port),
    (async () => {
      await quantizeStep({ model, out: dir });
      await compileStep(dir);
      await setupStep(dir);
      proof = (await proveStep(dir, { input: path.join(model, 'input.json') })).file;
      await exportVerifierStep(dir);
    })(),
  ]);
  node = started;
});

afterAll(() => {
  node?.kill('SIGTERM');
});

describe('--rpc chains', () => {
  it('deploys with a private key and records the deployment in the manifest', async () => {
    const result = await zkinfer(['deploy', dir, '--rpc', rpc, '--private-key', DEV_KEY, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const deployment = JSON.parse(result.stdout);
    expect(deployment.chainId).toBe('31337');
    expect(deployment.ephemeral).toBe(false);
    const manifest = await readManifest(dir);
    expect(manifest.deployments.at(-1)).toMatchObject({ chainId: '31337', rpc, address: deployment.verifier.address, registry: deployment.registry.address, modelId: deployment.modelId });
  });

  it('records the proof through the recorded registry entry, with the key from the environment, once', async () => {
    const result = await zkinfer(['verify-onchain', dir, '--proof', proof, '--rpc', rpc], { ZKINFER_PRIVATE_KEY: DEV_KEY });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/valid on-chain\n {2}model 0 in the registry at 0x[0-9a-fA-F]{40} on http:\/\/127\.0\.0\.1:\d+\n {2}recorded inference 0x[0-9a-f]{64}, \d+ gas/);
    const again = await zkinfer(['verify-onchain', dir, '--proof', proof, '--rpc', rpc], { ZKINFER_PRIVATE_KEY: DEV_KEY });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/recorded before, by 0x[0-9a-fA-F]{40}.*not recorded twice/);
  });

  it('checks the proof with the recorded bare verifier (--direct)', async () => {
    const result = await zkinfer(['verify-onchain', dir, '--proof', proof, '--rpc', rpc, '--direct']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/valid on-chain\n {2}verifier 0x[0-9a-fA-F]{40} on http:\/\/127\.0\.0\.1:\d+\n {2}verifyProof costs \d+ gas/);
  });

  it('answers INVALID for a tampered proof, using the node’s own account', async () => {
    const bundle = JSON.parse(await fs.readFile(proof, 'utf8'));
    bundle.proof.pi_b[0][1] = ((BigInt(bundle.proof.pi_b[0][1]) + 1n) % BASE_FIELD_MODULUS).toString();
    const tampered = path.join(dir, 'tampered.json');
    await fs.writeFile(tampered, JSON.stringify(bundle));
    const result = await zkinfer(['verify-onchain', dir, '--proof', tampered, '--rpc', rpc]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/INVALID on-chain/);
  });

  it('says there is no contract at an address that holds none', async () => {
    const result = await zkinfer(['verify-onchain', dir, '--proof', proof, '--rpc', rpc, '--direct', '--address', '0x000000000000000000000000000000000000dEaD']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/there is no contract at 0x0+dEaD/i);
  });

  it('fails fast on an endpoint nobody listens on', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const start = Date.now();
    const result = await zkinfer(['deploy', dir, '--rpc', closed, '--private-key', DEV_KEY]);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:\d+/);
    expect(Date.now() - start).toBeLessThan(60_000);
  });

  it('refuses an endpoint that answers nonsense', async () => {
    const answers = ['not json at all', JSON.stringify({ jsonrpc: '2.0', id: 1, result: 'banana' })];
    for (const answer of answers) {
      const server = http.createServer((_req, res) => res.end(answer));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await zkinfer(['deploy', dir, '--rpc', url, '--private-key', DEV_KEY]);
      await new Promise((resolve) => server.close(resolve));
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/not JSON|not a chain id/);
    }
  });

  it('refuses a malformed private key without echoing it', async () => {
    const key = 'abcdef-secret';
    const result = await zkinfer(['deploy', dir, '--rpc', rpc, '--private-key', key]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--private-key must be 32 bytes of hex/);
    expect(result.stderr).not.toContain(key);
  });
});
