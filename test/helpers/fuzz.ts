/**
 * Deterministic fuzzing of the files users hand zkinfer: seeded mutations of a valid JSON document
 * (a value replaced by a hostile one, a field dropped, a container emptied or blown up) and of its
 * text (truncated, a byte flipped). Small counts and fixed seeds keep runs short and repeatable.
 */
import { seededRng } from './random.js';

type Json = unknown;

/** Values a hostile or broken file may hold where something else is expected. */
function hostileValues(): { name: string; value: Json }[] {
  const deep: Json[] = [];
  let cursor = deep;
  for (let i = 0; i < 2000; i++) {
    const next: Json[] = [];
    cursor.push(next);
    cursor = next;
  }
  return [
    { name: 'null', value: null },
    { name: 'true', value: true },
    { name: '-1', value: -1 },
    { name: '0', value: 0 },
    { name: '1.5', value: 1.5 },
    { name: '1e308', value: 1e308 },
    { name: 'Infinity (1e999 in JSON)', value: Infinity },
    { name: '-Infinity', value: -Infinity },
    { name: '2^53 + 1', value: 2 ** 53 + 2 },
    { name: 'an empty string', value: '' },
    { name: "'-1'", value: '-1' },
    { name: "'0x10'", value: '0x10' },
    { name: 'a 100,000-digit string', value: '9'.repeat(100_000) },
    { name: 'an empty array', value: [] },
    { name: 'an array of 100,000 zeros', value: new Array(100_000).fill(0) },
    { name: 'an empty object', value: {} },
    { name: 'an object with __proto__', value: JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 1}') },
    { name: 'arrays nested 2000 deep', value: deep },
  ];
}

/** Paths to every value in a document (objects' keys, arrays' first, middle and last entries). */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    const picks = [...new Set([0, value.length >> 1, value.length - 1])].filter((i) => i >= 0 && i < value.length);
    for (const i of picks) paths(value[i], [...prefix, i], out);
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) paths((value as Record<string, Json>)[key], [...prefix, key], out);
  }
  return out;
}

const show = (path: (string | number)[]) => (path.length === 0 ? '(the document)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join(''));

function setAt(doc: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

export interface Mutation {
  name: string;
  value: Json;
}

/** `count` seeded mutations of `doc`: each a hostile value or a deletion at a random path. */
export function mutations(doc: Json, seed: number, count: number): Mutation[] {
  const rng = seededRng(seed);
  const all = paths(doc);
  const hostile = hostileValues();
  const out: Mutation[] = [];
  for (let k = 0; k < count; k++) {
    const path = all[Math.floor(rng() * all.length)]!;
    const pick = Math.floor(rng() * (hostile.length + 1));
    if (pick === hostile.length) {
      if (path.length > 0) out.push({ name: `${show(path)} removed`, value: setAt(doc, path, undefined) });
    } else {
      out.push({ name: `${show(path)} = ${hostile[pick]!.name}`, value: setAt(doc, path, hostile[pick]!.value) });
    }
  }
  return out;
}

/** Broken texts of a document: truncated at seeded places, a byte replaced, empty, not UTF-8 JSON. */
export function textMutations(text: string, seed: number, count: number): { name: string; text: string | Buffer }[] {
  const rng = seededRng(seed);
  const out: { name: string; text: string | Buffer }[] = [
    { name: 'an empty file', text: '' },
    { name: 'binary noise', text: Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) & 255)) },
    { name: 'a JSON string', text: '"hello"' },
  ];
  for (let k = 0; k < count; k++) {
    const at = Math.floor(rng() * text.length);
    out.push({ name: `truncated at ${at} of ${text.length}`, text: text.slice(0, at) });
    const flip = Math.floor(rng() * text.length);
    out.push({ name: `byte ${flip} replaced by '}'`, text: `${text.slice(0, flip)}}${text.slice(flip + 1)}` });
  }
  return out;
}
