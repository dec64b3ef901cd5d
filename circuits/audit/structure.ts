/**
 * The R1CS's shape, independent of any witness: wires no constraint mentions, public outputs
 * tied to nothing, and per template (grouped by component path) how many wires and constraints
 * it has and how its wires are determined (dataflow.ts).
 */
import { type ConstraintIndex, inputWires } from './constraints.js';
import type { Dataflow, Definition } from './dataflow.js';
import { type TemplateTable, type WireSymbol, templateOf, wireName } from './symbols.js';

export interface GroupCounts {
  /** Component path without indices, two levels at most ('' for the main template's own signals). */
  group: string;
  template: string;
  instances: number;
  wires: number;
  /** Constraints whose highest-numbered wire is here (as circuits/attribution.ts counts them). */
  constraints: number;
  /** How the wires are determined: solved from one constraint, bits of a decomposition, a linear system, hints. */
  determined: Record<Definition['kind'], number>;
  /** Wires that appear in no constraint. */
  unconstrained: number;
  /** Widths of the bit decompositions here, smallest and largest. */
  widths?: [number, number];
}

export interface OutputStatus {
  name: string;
  wire: number;
  /** How the constraints determine it: 'hint' outputs are held only by checks (the argmax), 'free' by nothing. */
  determinedBy: Definition['kind'] | 'free';
  /** It shares a constraint with some other wire. */
  tied: boolean;
}

export interface Structure {
  groups: GroupCounts[];
  outputs: OutputStatus[];
  /** Non-input wires in no constraint: each is a value nobody checks. */
  unconstrained: number[];
  /** Inputs in no constraint (private ones harmless, but suspicious; public ones the audit reports in model circuits). */
  unusedInputs: number[];
}

/** The component path of a wire cut to its group's depth, indices kept: one instance of the group. */
function instanceOf(s: WireSymbol | undefined): string {
  if (!s || s.group === '') return '';
  const depth = s.group.split('.').length;
  return s.component.split(/\.(?![^[]*\])/).slice(0, depth).join('.');
}

export function analyzeStructure(index: ConstraintIndex, flow: Dataflow, symbols: readonly (WireSymbol | undefined)[], table: TemplateTable): Structure {
  const { r1cs, byWire } = index;
  const { first, end } = inputWires(r1cs);
  const groups = new Map<string, GroupCounts & { components: Set<string> }>();
  const counts = (wire: number) => {
    const group = symbols[wire]?.group ?? '?';
    let g = groups.get(group);
    if (!g) {
      const template = group === '?' ? 'unknown' : templateOf(table, group);
      g = { group, template, instances: 0, wires: 0, constraints: 0, determined: { linear: 0, bits: 0, system: 0, hint: 0 }, unconstrained: 0, components: new Set() };
      groups.set(group, g);
    }
    return g;
  };
  const unconstrained: number[] = [];
  const unusedInputs: number[] = [];
  for (let w = 1; w < r1cs.nWires; w++) {
    const g = counts(w);
    g.wires++;
    g.components.add(instanceOf(symbols[w]));
    const d = flow.definitionOf[w]!;
    if (d >= 0) g.determined[flow.definitions[d]!.kind]++;
    if ((byWire[w]?.length ?? 0) === 0) {
      if (w >= first && w < end) unusedInputs.push(w);
      else {
        unconstrained.push(w);
        g.unconstrained++;
      }
    }
  }
  r1cs.constraints.forEach((constraint) => {
    let top = 0;
    for (const lc of constraint) for (const w of lc.keys()) if (w > top) top = w;
    counts(top).constraints++;
  });
  for (const def of flow.definitions) {
    if (def.kind !== 'bits') continue;
    const g = counts(def.wires[0]!);
    g.widths = g.widths ? [Math.min(g.widths[0], def.width), Math.max(g.widths[1], def.width)] : [def.width, def.width];
  }
  const outputs: OutputStatus[] = [];
  for (let w = 1; w <= r1cs.nPubOut; w++) {
    const tied = (byWire[w] ?? []).some((c) => r1cs.constraints[c]!.some((lc) => [...lc.keys()].some((x) => x !== 0 && x !== w)));
    const d = flow.definitionOf[w]!;
    outputs.push({ name: wireName(symbols, w), wire: w, determinedBy: d >= 0 ? flow.definitions[d]!.kind : 'free', tied });
  }
  const list = [...groups.values()].map(({ components, ...g }) => ({ ...g, instances: components.size }));
  list.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group, 'en', { numeric: true })));
  return { groups: list, outputs, unconstrained, unusedInputs };
}

