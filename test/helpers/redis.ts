/**
 * A real redis-server (Debian's package) for the queue tests: on 127.0.0.1, a port of its own, its
 * data in a temp folder, with the settings docs/DEPLOY.md asks for (append-only file fsynced on
 * every write, maxmemory-policy noeviction). No mock stands in for it: a missing redis-server fails
 * the test loudly (`node test/system-packages.mjs` installs it or prints the command).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stop redis-server (SIGTERM: it writes its append-only file and exits). */
  stop(): Promise<void>;
  /** Start it again on the same port and folder: whatever the append-only file held comes back. */
  start(): Promise<void>;
  /** Stop it and remove its folder. */
  remove(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestRedis(): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} is missing: the queue tests need Debian's redis-server (run \`node test/system-packages.mjs\`, or as root: apt-get install -y redis-server)`);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--logfile', ''];
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) resolve();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${log}`)));
    });
    proc.stdout!.resume();
    proc.stderr!.resume();
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start,
    async remove() {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface SlowLink {
  /** redis://127.0.0.1:PORT of the link's near end. */
  url: string;
  close(): Promise<void>;
}

/**
 * A TCP relay on loopback to a Redis that holds every chunk for `delayMs` each way, so that each
 * round trip through it takes at least 2 × `delayMs`: what a client awaits from Redis then shows
 * in its timing. Chunks keep their order (timers of one delay fire in the order they were set).
 */
export async function startSlowLink(redisPort: number, delayMs: number): Promise<SlowLink> {
  const sockets = new Set<net.Socket>();
  const relay = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    from.on('close', () => setTimeout(() => to.destroy(), delayMs));
    from.on('error', () => {});
  };
  const server = net.createServer((near) => {
    const far = net.connect(redisPort, '127.0.0.1');
    for (const socket of [near, far]) sockets.add(socket);
    relay(near, far);
    relay(far, near);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
