import { describe, expect, it } from 'vitest';
import { distModule, runNodeScript } from '../helpers/node-script.js';

const MiB = 2 ** 20;

describe('peakRss', () => {
  it("is a worker process's own peak, not the size of the large process that started it", async () => {
    // getrusage's ru_maxrss survives exec: a child of this process would report at least its 400 MiB.
    const held = Buffer.alloc(400 * MiB, 1);
    const result = await runNodeScript(`import { peakRss } from ${JSON.stringify(distModule('prover/circuit-prover.js'))};\nconsole.log(peakRss());`);
    expect(result.code, result.stderr).toBe(0);
    const peak = Number(result.stdout.trim());
    expect(peak).toBeGreaterThan(10 * MiB);
    expect(peak).toBeLessThan(held.byteLength / 2);
  });
});
