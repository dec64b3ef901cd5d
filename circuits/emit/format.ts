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
