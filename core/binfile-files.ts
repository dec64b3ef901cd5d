/** The iden3 containers of core/binfile.ts, read from files: the section table, then a section at a time. */
import * as fs from 'node:fs/promises';
import { type BinFile, onlySection, scanSections } from './binfile.js';

/** Read the section table; every section must lie wholly inside the file. */
export async function readSectionTable(file: string, expectedMagic: string): Promise<BinFile> {
  const handle = await fs.open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    return await scanSections(fileSize, expectedMagic, async (offset, length) => {
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, offset);
      return buffer;
    });
  } finally {
    await handle.close();
  }
}

/** The bytes of the one section of this type. */
export async function readSection(file: string, table: BinFile, type: number): Promise<Buffer> {
  const section = onlySection(table, type);
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(section.size);
    await handle.read(buffer, 0, section.size, section.offset);
    return buffer;
  } finally {
    await handle.close();
  }
}
