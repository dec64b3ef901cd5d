/**
 * Which part of the model each R1CS constraint belongs to, from circom's symbol table. Emitted
 * circuits name every signal and component after its op (op<k>_...) or the input (input_...).
 * A constraint belongs to the part owning its highest-numbered wire: circom numbers main's own
 * signals first and each component's after, so the newest component in a constraint made it.
 */
import type { R1cs } from './r1cs.js';

export interface ConstraintsByPart {
  input: number;
  /** params hashed: the parameters' range checks and commitment. */
  params: number;
  /** output hashed: the outputs' commitment. */
  output: number;
  /** recipient public: the constraint binding the recipient. */
  recipient: number;
  ops: number[];
  /** Constraints that name no part (none in an emitted model circuit). */
  other: number;
}

/** Which op produces each of main's outputs: circom's optimizer may leave constraints on them alone. */
export interface OutputOwners {
  opCount: number;
  logitsOp: number;
  labelOp?: number;
}

/** Wire index → signal name (without the 'main.' prefix), from a .sym file's text. */
export function parseSymbols(sym: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of sym.split('\n')) {
    const [, wire, , name] = line.split(',');
    const w = Number(wire);
    if (name && w >= 0 && !names.has(w)) names.set(w, name.replace(/^main\./, ''));
  }
  return names;
}

type Part = 'input' | 'params' | 'output' | 'recipient';

function partOf(name: string, owners: OutputOwners): number | Part | undefined {
  const op = /^op(\d+)_/.exec(name);
  if (op && Number(op[1]) < owners.opCount) return Number(op[1]);
  if (/^(input_|in\[|salt$|inputCommitment$)/.test(name)) return 'input';
  if (/^(params_|paramsCommitment$)/.test(name)) return 'params';
  if (/^(output_|outputCommitment$)/.test(name)) return 'output';
  if (/^(recipient|recipientSquare)$/.test(name)) return 'recipient';
  if (/^logits\[/.test(name)) return owners.logitsOp;
  if (name === 'label') return owners.labelOp;
  return undefined;
}

export function attributeConstraints(r1cs: R1cs, sym: string, owners: OutputOwners): ConstraintsByPart {
  const names = parseSymbols(sym);
  const result: ConstraintsByPart = { input: 0, params: 0, output: 0, recipient: 0, ops: new Array(owners.opCount).fill(0), other: 0 };
  for (const constraint of r1cs.constraints) {
    let top = 0;
    for (const lc of constraint) for (const wire of lc.keys()) if (wire > top) top = wire;
    const part = partOf(names.get(top) ?? '', owners);
    if (typeof part === 'string') result[part]++;
    else if (part === undefined) result.other++;
    else result.ops[part]++;
  }
  return result;
}
