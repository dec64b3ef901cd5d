/**
 * A lock between processes (and within one) built on exclusive file creation, so that only one of
 * several test workers or CLI runs does an expensive job such as generating a powers of tau.
 * A lock whose holder on this host has exited is taken over at once. A holder on another host
 * (a shared cache folder) touches the file while it works, and its lock is taken over once nobody
 * has touched it for `staleMs`; on this host the process table is trusted instead, because a long
 * synchronous step in snarkjs can block the heartbeat for longer than that.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  staleMs?: number;
  pollMs?: number;
  /** Called once if the lock is held by someone else and we start waiting. */
  onWait?: () => void;
}

export async function withFileLock<T>(lockFile: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const { staleMs = 30_000, pollMs = 250, onWait } = options;
  const token = `${os.hostname()} ${process.pid} ${randomBytes(8).toString('hex')}`;
  await fs.mkdir(path.dirname(lockFile), { recursive: true });

  let waiting = false;
  while (!(await tryCreate(lockFile, token))) {
    if (await isStale(lockFile, staleMs)) continue;
    if (!waiting) onWait?.();
    waiting = true;
    await sleep(pollMs);
  }

  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockFile, now, now).catch(() => {});
  }, staleMs / 4);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    if ((await readOrUndefined(lockFile)) === token) await fs.rm(lockFile, { force: true });
  }
}

async function tryCreate(lockFile: string, token: string): Promise<boolean> {
  try {
    await fs.writeFile(lockFile, token, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Remove the lock if it is abandoned; true if it is gone (so the caller should retry at once). */
async function isStale(lockFile: string, staleMs: number): Promise<boolean> {
  const holder = await readOrUndefined(lockFile);
  if (holder === undefined) return true;
  let age: number;
  try {
    age = Date.now() - (await fs.stat(lockFile)).mtimeMs;
  } catch {
    return true;
  }
  const [host, pid] = holder.split(' ');
  const abandoned = host === os.hostname() && pid ? !processExists(Number(pid)) : age > staleMs;
  if (!abandoned) return false;
  // Re-read just before removing, so that a lock someone else has just taken over is left alone.
  if ((await readOrUndefined(lockFile)) === holder) await fs.rm(lockFile, { force: true });
  return true;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
