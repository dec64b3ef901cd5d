import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import type { ProgressEvent } from '../../core/progress.js';
import { withFileLock } from '../../prover/setup/file-lock.js';
import { checkProductionPtau, checkPtauFor, ensureDevPtau, inspectPtau, requiredPtauPower } from '../../prover/setup/ptau.js';
import { HEZ_PTAU_BLAKE2B } from '../../prover/setup/public-ptau.js';
import { distModule, runNodeScript } from '../helpers/node-script.js';

let tmp: string;
let ptauPath: string;

// A cache of this file's own: other test files run at the same time may cache larger powers,
// which ensureDevPtau would rightly reuse for 2^8.
const sharedCache = process.env.ZKINFER_CACHE_DIR;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-ptau-'));
  process.env.ZKINFER_CACHE_DIR = path.join(tmp, 'cache');
  ptauPath = (await ensureDevPtau(8)).path;
});

afterAll(async () => {
  if (sharedCache === undefined) delete process.env.ZKINFER_CACHE_DIR;
  else process.env.ZKINFER_CACHE_DIR = sharedCache;
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Offsets of each section's 12-byte header and its end, from the container layout. */
function sectionLayout(bytes: Buffer): { type: number; start: number; end: number }[] {
  const layout = [];
  let offset = 12;
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const size = Number(bytes.readBigUInt64LE(offset + 4));
    layout.push({ type: bytes.readUInt32LE(offset), start: offset, end: offset + 12 + size });
    offset += 12 + size;
  }
  return layout;
}

async function expectSetupError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ZkinferError);
  expect((error as ZkinferError).code).toBe('SETUP');
  expect((error as ZkinferError).message).toMatch(pattern);
}

describe('requiredPtauPower', () => {
  it('follows snarkjs: 2^power must exceed constraints + public signals, and is at least 8', () => {
    expect(requiredPtauPower(0, 0)).toBe(8);
    expect(requiredPtauPower(2, 1)).toBe(8);
    expect(requiredPtauPower(254, 1)).toBe(8); // 255 rows fit in 2^8
    expect(requiredPtauPower(255, 1)).toBe(9); // 256 rows do not
    expect(requiredPtauPower(1000, 24)).toBe(11);
    expect(requiredPtauPower(2 ** 20 - 10, 10)).toBe(21);
  });

  it('refuses circuits beyond bn128 powers of tau', () => {
    expect(() => requiredPtauPower(2 ** 28, 0)).toThrow(/too large/);
  });
});

describe('ensureDevPtau', () => {
  it('reuses the cached file, also for smaller powers', async () => {
    const start = performance.now();
    const again = await ensureDevPtau(8);
    const smaller = await ensureDevPtau(3);
    expect(performance.now() - start).toBeLessThan(1_000);
    expect(again).toEqual({ path: ptauPath, power: 8, cached: true });
    expect(smaller).toEqual({ path: ptauPath, power: 8, cached: true });
  });

  it('generates once when several processes ask at the same time', async () => {
    const cache = path.join(tmp, 'concurrent-cache');
    const script = `
      import { ensureDevPtau } from ${JSON.stringify(distModule('prover/setup/ptau.js'))};
      console.log(JSON.stringify(await ensureDevPtau(8)));`;
    const children = [1, 2].map(() => runNodeScript(script, { env: { ZKINFER_CACHE_DIR: cache } }));

    // An in-process caller joins the race, to see its progress reports.
    const events: ProgressEvent[] = [];
    const saved = process.env.ZKINFER_CACHE_DIR;
    process.env.ZKINFER_CACHE_DIR = cache;
    const own = ensureDevPtau(8, { onProgress: (event) => events.push(event) });
    process.env.ZKINFER_CACHE_DIR = saved;

    const results = [await own];
    for (const child of await Promise.all(children)) {
      expect(child.code, child.stderr).toBe(0);
      results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!));
    }
    expect(results.filter((result) => !result.cached)).toHaveLength(1);
    expect(new Set(results.map((result) => result.path)).size).toBe(1);
    expect(await fs.readdir(path.join(cache, 'ptau'))).toEqual(['dev-bn128-08.ptau']);
    expect(await inspectPtau(results[0]!.path)).toEqual({ power: 8, prepared: true });

    if (results[0]!.cached) expect(events.some((event) => /waiting/.test(event.message))).toBe(true);
    else expect(events.filter((event) => event.total === 3).map((event) => event.done)).toEqual([0, 1, 2, 3]);
  });

  it('rejects powers outside 1..28', async () => {
    await expectSetupError(ensureDevPtau(29), /1\.\.28/);
    await expectSetupError(ensureDevPtau(2.5), /integer/);
  });
});

describe('inspectPtau and checkPtauFor', () => {
  it('reads the power of a prepared file', async () => {
    expect(await inspectPtau(ptauPath)).toEqual({ power: 8, prepared: true });
    expect(await checkPtauFor(ptauPath, 8)).toEqual({ power: 8, prepared: true });
  });

  it('rejects a file that is not a ptau', async () => {
    const file = path.join(tmp, 'not.ptau');
    await fs.writeFile(file, JSON.stringify({ hello: 'world' }));
    await expectSetupError(inspectPtau(file), /not a \.ptau file/);
    await fs.writeFile(file, '');
    await expectSetupError(inspectPtau(file), /not a \.ptau file/);
  });

  it('rejects truncated files', async () => {
    const bytes = await fs.readFile(ptauPath);
    const file = path.join(tmp, 'truncated.ptau');
    for (const length of [20, 1000, Math.floor(bytes.length / 2), bytes.length - 1]) {
      await fs.writeFile(file, bytes.subarray(0, length));
      await expectSetupError(inspectPtau(file), /truncated/);
    }
  });

  it('rejects a ceremony over another curve', async () => {
    const bytes = Buffer.from(await fs.readFile(ptauPath));
    const header = sectionLayout(bytes).find((section) => section.type === 1)!;
    bytes[header.start + 12 + 4] ^= 1; // lowest byte of the base field modulus q
    const file = path.join(tmp, 'other-curve.ptau');
    await fs.writeFile(file, bytes);
    await expectSetupError(inspectPtau(file), /another curve/);
  });

  it('reports an unprepared file, which checkPtauFor refuses', async () => {
    const bytes = Buffer.from(await fs.readFile(ptauPath));
    const phase1 = sectionLayout(bytes).filter((section) => section.type <= 7);
    const unprepared = Buffer.from(bytes.subarray(0, phase1.at(-1)!.end));
    unprepared.writeUInt32LE(phase1.length, 8);
    const file = path.join(tmp, 'unprepared.ptau');
    await fs.writeFile(file, unprepared);
    expect(await inspectPtau(file)).toEqual({ power: 8, prepared: false });
    await expectSetupError(checkPtauFor(file, 8), /not prepared for phase 2/);
  });

  it('refuses a power too small for the circuit', async () => {
    await expectSetupError(checkPtauFor(ptauPath, 9), /power 8, but the circuit needs at least 9/);
  });

  it('says when the file does not exist', async () => {
    await expect(inspectPtau(path.join(tmp, 'missing.ptau'))).rejects.toMatchObject({ code: 'ARTIFACT_MISSING' });
  });
});

describe('checkProductionPtau', () => {
  it('records the sha256 of a file that is no public ceremony file', async () => {
    const checked = await checkProductionPtau(ptauPath, 8);
    expect(checked).toEqual({ power: 8, prepared: true, path: ptauPath, sha256: createHash('sha256').update(await fs.readFile(ptauPath)).digest('hex') });
  });

  it("refuses a file named like a public ceremony file whose blake2b-512 hash is not the published one", async () => {
    const named = path.join(tmp, 'powersOfTau28_hez_final_08.ptau');
    await fs.copyFile(ptauPath, named);
    const error = await checkProductionPtau(named, 8).then(
      () => undefined,
      (e: unknown) => e as ZkinferError,
    );
    expect(error).toBeInstanceOf(ZkinferError);
    expect(error!.code).toBe('SETUP');
    expect(error!.message).toMatch(/named like the public ceremony file powersOfTau28_hez_final_08\.ptau, but its blake2b-512 hash is not the published one/);
    expect(error!.details.published).toBe(HEZ_PTAU_BLAKE2B[8]);
    expect(error!.details.blake2b).toBe(createHash('blake2b512').update(await fs.readFile(named)).digest('hex'));
  });

  it('refuses a file named for another power than its header says, whatever the case of its name', async () => {
    const named = path.join(tmp, 'POWERSOFTAU28_HEZ_FINAL_09.ptau');
    await fs.copyFile(ptauPath, named);
    await expectSetupError(checkProductionPtau(named, 8), /named like the public ceremony file powersOfTau28_hez_final_09\.ptau, but its header says power 8/);
  });

  it('copies the published table: powers 8 to 28, 128 hex digits each', () => {
    expect(Object.keys(HEZ_PTAU_BLAKE2B).map(Number)).toEqual(Array.from({ length: 21 }, (_, i) => i + 8));
    for (const hash of Object.values(HEZ_PTAU_BLAKE2B)) expect(hash).toMatch(/^[0-9a-f]{128}$/);
    expect(HEZ_PTAU_BLAKE2B[12]).toBe('ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a');
  });
});

describe('withFileLock', () => {
  it('runs holders one after the other, and tells a waiter it waits', async () => {
    const lock = path.join(tmp, 'order.lock');
    const order: string[] = [];
    let waited = false;
    const first = withFileLock(lock, async () => {
      order.push('first start');
      await sleep(300);
      order.push('first end');
    });
    await sleep(20);
    const second = withFileLock(lock, async () => void order.push('second'), { onWait: () => (waited = true) });
    await Promise.all([first, second]);
    expect(order).toEqual(['first start', 'first end', 'second']);
    expect(waited).toBe(true);
    await expect(fs.access(lock)).rejects.toThrow();
  });

  it('takes over a lock whose holder on this host has exited', async () => {
    const lock = path.join(tmp, 'dead.lock');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await fs.writeFile(lock, `${os.hostname()} ${deadPid} feedface`);
    const start = performance.now();
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    expect(performance.now() - start).toBeLessThan(1_000);
  });

  it('takes over a lock from another host once it is no longer touched', async () => {
    const lock = path.join(tmp, 'remote.lock');
    await fs.writeFile(lock, 'some-other-host 1 cafe');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lock, old, old);
    expect(await withFileLock(lock, async () => 'ran', { staleMs: 30_000 })).toBe('ran');
  });
});
