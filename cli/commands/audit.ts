import type { Command } from 'commander';
import type { AuditStepResult } from '../../index.js';
import { integerOption } from '../options.js';
import { formatMs, print, printJson, progressReporter, table } from '../terminal.js';
import type { Globals } from './index.js';

function printReport(r: AuditStepResult): void {
  const a = Object.values(r.attacks).reduce(
    (s, c) => ({ total: s.total + c.total, rejected: s.rejected + c.rejected, identical: s.identical + c.identical, absorbed: s.absorbed + c.absorbed, accepted: s.accepted + c.accepted }),
    { total: 0, rejected: 0, identical: 0, absorbed: 0, accepted: 0 },
  );
  print(`${r.ok ? 'sound' : 'UNSOUND'}: ${r.model} (${r.dir}), ${r.constraints} constraints, ${r.wires} wires, ${r.witnesses.length} honest witnesses, ${formatMs(r.ms)}`);
  print(`  attacks: ${a.total} tried, ${a.rejected} refused by a constraint, ${a.identical} the same field elements written otherwise, ${a.absorbed} accepted with every public output unchanged, ${a.accepted} accepted with a changed output`);
  print(`  outputs: ${r.outputs.map((o) => `${o.name} ${o.tied ? o.determinedBy : 'UNTIED'}`).join(', ')}`);
  print('');
  print(
    table(
      ['part', 'template', 'instances', 'wires', 'constraints', 'unconstrained', 'bits', 'attacks', 'refused', 'accepted'],
      r.templates.map((t) => [t.group || '(main)', t.template, t.instances, t.wires, t.constraints, t.unconstrained, t.widths ? (t.widths[0] === t.widths[1] ? `${t.widths[0]}` : `${t.widths[0]}-${t.widths[1]}`) : '-', t.attacks.total, t.attacks.rejected, t.attacks.accepted]),
    ),
  );
  if (r.findings.length === 0) return;
  print('');
  print('findings:');
  for (const f of r.findings) print(`  ${f.kind}: template ${f.template || '?'}, signal ${f.signal || '?'}${f.attack ? `, attack: ${f.attack}` : ''}${f.witness ? ` (on witness '${f.witness}')` : ''}\n    ${f.message}`);
  if (r.moreFindings > 0) print(`  … and ${r.moreFindings} more (--max-findings N lists more)`);
}

export function register(program: Command, globals: Globals): void {
  program
    .command('audit')
    .description('soundness audit of compiled circuits: tamper with honest witnesses (every wire, remainders, signs, ranges, argmax) and check the R1CS; exit 1 on any finding')
    .argument('<dirs...>', 'artifacts folders')
    .option('-i, --input <file...>', 'input files to build honest witnesses from, besides the edge cases and random ones')
    .option('--random <n>', 'seeded random inputs per folder', integerOption('--random', 0, 1000), 2)
    .option('--seed <n>', 'seed of the random inputs', integerOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--max-findings <n>', 'findings to list in full', integerOption('--max-findings', 1, 100000), 50)
    .option('--json', 'print the reports as JSON')
    .action(async (dirs: string[], flags) => {
      const { auditStep } = await import('../../pipeline/audit.js');
      const results: AuditStepResult[] = [];
      for (const dir of dirs) {
        const progress = progressReporter(!globals().quiet && process.stderr.isTTY === true);
        const result = await auditStep(dir, { inputs: flags.input ?? [], random: flags.random, seed: flags.seed, maxFindings: flags.maxFindings, onProgress: progress.onProgress }).finally(progress.done);
        results.push(result);
        if (!flags.json) {
          if (results.length > 1) print('');
          printReport(result);
        }
      }
      if (results.some((r) => !r.ok)) process.exitCode = 1;
      if (flags.json) printJson(dirs.length === 1 ? results[0] : results);
    });
}
