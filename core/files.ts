/**
 * File I/O with the two guarantees every step relies on: writes are atomic (temp file + rename,
 * so a crash never leaves a half-written artifact), and reads fail with errors that name the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ArtifactError, ZkinferError, messageOf } from './errors.js';

function tempSibling(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Write a file atomically: readers see either the old content or the new, never a part. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = tempSibling(file);
  try {
    await fs.writeFile(temp, data);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Move a finished file (for example one a tool wrote into a temp folder) into place atomically. */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  try {
    await fs.rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    // Across file systems a rename is impossible: copy next to the target, then rename.
    const temp = tempSibling(to);
    await fs.copyFile(from, temp);
    await fs.rename(temp, to);
    await fs.rm(from, { force: true });
  }
}

/** Run `work` with a fresh temporary folder inside `parent`, removed afterwards whatever happens. */
export async function withTempDir<T>(parent: string, work: (dir: string) => Promise<T>): Promise<T> {
  await fs.mkdir(parent, { recursive: true });
  const dir = await fs.mkdtemp(path.join(parent, '.tmp-'));
  try {
    return await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Read a file a step needs; a missing file is an ArtifactError naming it and what it is. */
export async function readRequired(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ArtifactError('ARTIFACT_MISSING', `${what} not found: ${file}`, file);
    }
    throw new ArtifactError('ARTIFACT_INVALID', `cannot read ${what} ${file}: ${messageOf(error)}`, file, { cause: error });
  }
}

/**
 * Parse JSON text, with an error that says which file and where it broke.
 * `makeError` lets callers choose the error type (a bad input file is not a bad artifact).
 */
export function parseJson(
  text: string,
  file: string,
  what: string,
  makeError: (message: string, cause: unknown) => ZkinferError = (message, cause) =>
    new ArtifactError('ARTIFACT_INVALID', message, file, { cause }),
): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw makeError(`${what} ${file} is not valid JSON: ${messageOf(error)}`, error);
  }
}

export async function readJson(file: string, what: string): Promise<unknown> {
  const bytes = await readRequired(file, what);
  return parseJson(bytes.toString('utf8'), file, what);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Read a mebibyte at a time into one buffer, so proving keys of hundreds of megabytes hash without
 * being held in memory; a stream's 64 KiB chunks cost three times the CPU of the hash itself (every
 * command checks an artifacts folder's files against its manifest this way).
 */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const handle = await fs.open(file, 'r');
  try {
    for (let read; (read = (await handle.read(buffer, 0, buffer.length, null)).bytesRead) > 0; ) hash.update(buffer.subarray(0, read));
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
