/** Circom source text helpers shared by the emitters. */

/** A Circom array literal; nested arrays become nested literals, one row per line. */
export function arrayLiteral(values: readonly (number | bigint)[] | readonly (readonly (number | bigint)[])[]): string {
  if (values.length > 0 && Array.isArray(values[0])) {
    return `[\n${(values as readonly (readonly (number | bigint)[])[]).map((row) => `        [${row.join(',')}]`).join(',\n')}\n    ]`;
  }
  return `[${(values as readonly (number | bigint)[]).join(',')}]`;
}

/** A Circom function returning a constant array: how weights reach a template without unrolling. */
export function constantFunction(name: string, values: Parameters<typeof arrayLiteral>[0]): string {
  return `function ${name}() {\n    return ${arrayLiteral(values)};\n}\n`;
}

/** Make a name safe for a Circom comment. */
export function commentText(text: string): string {
  return text.replace(/[\r\n*/]+/g, ' ');
}

/** The comment each op's code opens with; opAtLine reads it back to name the layer of a compiler error. */
export function opHeader(index: number, op: { kind: string; name: string }): string {
  return `// op ${index}: ${op.kind} '${commentText(op.name)}'`;
}

/**
 * The op a line (1-based) of generated source belongs to: the op whose `opN_` names the line uses,
 * else the op whose header comes last before it. Undefined outside any op (the input, the outputs).
 */
export function opAtLine(source: string, line: number): { index: number; kind: string; name: string } | undefined {
  const lines = source.split('\n');
  const headers = new Map<number, { index: number; kind: string; name: string }>();
  let before: number | undefined;
  lines.forEach((text, i) => {
    const m = /^\s*\/\/ op (\d+): (\w+) '(.*)'/.exec(text);
    if (!m) return;
    headers.set(Number(m[1]), { index: Number(m[1]), kind: m[2], name: m[3] });
    if (i < line) before = Number(m[1]);
  });
  const named = /\bop(\d+)_/.exec(lines[line - 1] ?? '');
  const index = named ? Number(named[1]) : before;
  return index === undefined ? undefined : headers.get(index);
}
