/**
 * The iden3 binary container shared by .ptau, .r1cs, .zkey and .wtns files: a 4-byte magic,
 * a version, a section count, then sections of (u32 type, u64 size, bytes). Reading only the
 * section table lets us check a user-supplied file cheaply and with our own error messages,
 * before snarkjs spends minutes on it (or fails deep inside with an unhelpful one).
 * No Node API here: the browser prover (web/) parses keys with these; binfile-files.ts reads
 * containers from files.
 */

export interface Section {
  type: number;
  /** Offset of the section's first byte in the file. */
  offset: number;
  size: number;
}

export interface BinFile {
  magic: string;
  version: number;
  sections: Section[];
  fileSize: number;
}

/** Why a file is not a well-formed container; callers turn it into their own error. */
export class BinFileProblem extends Error {}

/** The section table of a container held in memory, checked like readSectionTable's. */
export function parseSectionTable(bytes: Uint8Array, expectedMagic: string): Promise<BinFile> {
  return scanSections(bytes.byteLength, expectedMagic, async (offset, length) => bytes.subarray(offset, offset + length));
}

/** The bytes of the one section of this type in a container held in memory (a view, not a copy). */
export function sectionOf(bytes: Uint8Array, table: BinFile, type: number): Uint8Array {
  const section = onlySection(table, type);
  return bytes.subarray(section.offset, section.offset + section.size);
}

export async function scanSections(fileSize: number, expectedMagic: string, readAt: (offset: number, length: number) => Promise<Uint8Array>): Promise<BinFile> {
  const read = async (offset: number, length: number): Promise<DataView> => {
    if (offset + length > fileSize) throw new BinFileProblem(`truncated: it ends at byte ${fileSize}, before byte ${offset + length}`);
    const bytes = await readAt(offset, length);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  if (fileSize < 12) throw new BinFileProblem(`not a .${expectedMagic} file (only ${fileSize} bytes)`);
  const head = await read(0, 12);
  const magic = latin1(new Uint8Array(head.buffer, head.byteOffset, 4));
  if (magic !== expectedMagic) throw new BinFileProblem(`not a .${expectedMagic} file (it starts with ${JSON.stringify(magic)})`);
  const count = head.getUint32(8, true);

  const sections: Section[] = [];
  let offset = 12;
  for (let i = 0; i < count; i++) {
    const entry = await read(offset, 12);
    const size = Number(entry.getBigUint64(4, true));
    const section = { type: entry.getUint32(0, true), offset: offset + 12, size };
    if (section.offset + size > fileSize) {
      throw new BinFileProblem(`truncated: section ${section.type} needs ${size} bytes but the file ends at byte ${fileSize}`);
    }
    sections.push(section);
    offset = section.offset + size;
  }
  return { magic, version: head.getUint32(4, true), sections, fileSize };
}

export function onlySection(table: BinFile, type: number): Section {
  const matches = table.sections.filter((section) => section.type === type);
  if (matches.length !== 1) throw new BinFileProblem(`expected one section ${type}, found ${matches.length}`);
  return matches[0]!;
}

/** Bytes as latin1 text (a container's magic), without Node's Buffer. */
export function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** A little-endian unsigned integer of any width (field moduli are stored this way). */
export function readUintLE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** `value` as `bytes` little-endian bytes (the low ones, when it is wider). */
export function writeUintLE(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}
