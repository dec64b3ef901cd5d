/**
 * core/files.ts's file hash, which every command checks an artifacts folder against its manifest
 * with: read a mebibyte at a time, it must hash a file whole, whatever its size.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../core/files.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-files-'));
});
afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));

describe('sha256File', () => {
  const MIB = 1 << 20;
  for (const size of [0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 12345]) {
    it(`hashes ${size} bytes as one piece`, async () => {
      const bytes = randomBytes(size);
      const file = path.join(tmp, `file-${size}`);
      await fs.writeFile(file, bytes);
      expect(await sha256File(file)).toBe(createHash('sha256').update(bytes).digest('hex'));
    });
  }

  it("rejects a file that is not there with the system's error", async () => {
    await expect(sha256File(path.join(tmp, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
