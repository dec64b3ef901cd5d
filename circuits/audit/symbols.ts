/**
 * Wire names from circom's symbol table (.sym), and the template each belongs to. The .sym file
 * names signals by component path (main.op3_rq[2].bits[5]) but not by template, so templates
 * come from the Circom sources: each template's `component` declarations say which template a
 * local component name instantiates (op3_rq[j] = Requantize(...), clip = ClipMax(...)).
 */

export interface WireSymbol {
  /** The signal's full name without 'main.', e.g. 'op3_rq[2].clip.bits[1]'. */
  name: string;
  /** The component path ('' for the main template's own signals), e.g. 'op3_rq[2].clip'. */
  component: string;
  /** The template of that component, e.g. 'ClipMax'. */
  template: string;
  /** The component path without indices, cut to two levels: how reports group wires. */
  group: string;
}

/** Split 'a[1].b.c[2][3]' at the dots outside brackets. */
function segments(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === '.' && depth === 0) {
      out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  out.push(path.slice(start));
  return out;
}

const baseName = (segment: string) => segment.replace(/\[.*$/, '');

/** Template name → (local component name → template name), and the main template. */
export interface TemplateTable {
  main: string;
  components: Map<string, Map<string, string>>;
}

/** The body of each `template Name(...) { ... }` in Circom source (comments removed). */
function templateBodies(source: string): Map<string, string> {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const bodies = new Map<string, string>();
  const header = /\btemplate\s+(?:parallel\s+)?(\w+)\s*\([^)]*\)\s*\{/g;
  for (let m = header.exec(text); m; m = header.exec(text)) {
    let depth = 1;
    let i = header.lastIndex;
    while (i < text.length && depth > 0) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
      i++;
    }
    bodies.set(m[1]!, text.slice(header.lastIndex, i - 1));
  }
  return bodies;
}

/** Read which template each component of each template instantiates, from all the sources a circuit includes. */
export function readTemplateTable(sources: readonly string[]): TemplateTable {
  const components = new Map<string, Map<string, string>>();
  let main = 'main';
  for (const source of sources) {
    const m = /\bcomponent\s+main\s*(?:\{[^}]*\})?\s*=\s*(\w+)\s*\(/.exec(source.replace(/\/\/[^\n]*/g, ' '));
    if (m) main = m[1]!;
    for (const [name, body] of templateBodies(source)) {
      const declared = new Set([...body.matchAll(/\bcomponent\s+(\w+)/g)].map((d) => d[1]!));
      const table = new Map<string, string>();
      for (const a of body.matchAll(/\b(\w+)\s*(?:\[[^\]=;]*\]\s*)*=\s*([A-Za-z_]\w*)\s*\(/g)) {
        if (declared.has(a[1]!) && !table.has(a[1]!)) table.set(a[1]!, a[2]!);
      }
      components.set(name, table);
    }
  }
  return { main, components };
}

/** The template of a component path; unknown steps keep the last template known, marked with '/'. */
export function templateOf(table: TemplateTable, component: string): string {
  let template = table.main;
  if (component === '') return template;
  for (const segment of segments(component)) {
    const next = table.components.get(template)?.get(baseName(segment));
    if (!next) return `${template}/${baseName(segment)}`;
    template = next;
  }
  return template;
}

/** Wire → symbol, for every wire the .sym file names (the first name of each wire, as circom lists them). */
export function readSymbols(sym: string, nWires: number, table: TemplateTable): (WireSymbol | undefined)[] {
  const symbols: (WireSymbol | undefined)[] = new Array(nWires);
  const templates = new Map<string, string>();
  for (const line of sym.split('\n')) {
    const [, wireText, , fullName] = line.split(',');
    const wire = Number(wireText);
    if (!fullName || !Number.isInteger(wire) || wire < 0 || wire >= nWires || symbols[wire]) continue;
    const name = fullName.trim().replace(/^main\./, '');
    const parts = segments(name);
    const component = parts.slice(0, -1).join('.');
    let template = templates.get(component);
    if (template === undefined) templates.set(component, (template = templateOf(table, component)));
    const group = parts.length === 1 ? '' : parts.slice(0, Math.min(2, parts.length - 1)).map(baseName).join('.');
    symbols[wire] = { name, component, template, group };
  }
  return symbols;
}

/** The name of a wire for reports: its signal name, or 'wire N' when the symbol table has none. */
export function wireName(symbols: readonly (WireSymbol | undefined)[], wire: number): string {
  return wire === 0 ? 'the constant 1' : (symbols[wire]?.name ?? `wire ${wire}`);
}

/** Every signal name in the symbol table (without 'main.') → its wire, or -1 when the optimizer removed it. */
export function readSignals(sym: string): Map<string, number> {
  const signals = new Map<string, number>();
  for (const line of sym.split('\n')) {
    const [, wireText, , fullName] = line.split(',');
    if (!fullName) continue;
    const name = fullName.trim().replace(/^main\./, '');
    const wire = Number(wireText);
    if (!signals.has(name) || (signals.get(name)! < 0 && wire >= 0)) signals.set(name, Number.isInteger(wire) ? wire : -1);
  }
  return signals;
}
