/** The benchmark as a Markdown report (bench/RESULTS.md is one): the table, the machine, and what each figure means. */
import { formatDuration } from './format.js';
import { benchTable, describeMachineLine, notesOf, setupTable, throughputTable } from './report.js';
import type { BenchResult } from './run.js';

function markdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, c) => (c === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export interface MarkdownOptions {
  /** The command that produced the results, shown so readers can rerun it. */
  command: string;
}

export function renderMarkdown(result: BenchResult, options: MarkdownOptions): string {
  const table = benchTable(result);
  const measured = result.models.find((m) => m.tools);
  const tools = [
    measured?.tools?.circom,
    result.versions.snarkjs,
    measured?.tools?.solc,
    measured?.tools?.tfjsBackend ? `TF.js backend ${measured.tools.tfjsBackend}` : undefined,
  ].filter(Boolean);
  const notes = notesOf(result);
  if (!result.complete) {
    const missing = result.plannedModels.filter((name) => !result.models.some((m) => m.name === name));
    notes.unshift(`Partial run, written part way: ${missing.length > 0 ? `not measured (yet): ${missing.join(', ')}` : 'every model measured'}${result.setup.length === 0 ? '; the setup comparison not (yet) run' : ''}.`);
  }
  const { cores, loadAverage } = result.machine;
  const peakLoad = Math.max(loadAverage.start, loadAverage.end ?? 0, loadAverage.max ?? 0);
  if (peakLoad > cores / 2) {
    notes.push(`Other work ran on the machine during the benchmark (the 1-minute load average reached ${peakLoad.toFixed(2)} on ${cores} cores): times are wall-clock under that load, higher than on an idle machine.`);
  }
  const setup = setupTable(result.setup);
  const { samples } = result;
  return [
    '# zkinfer benchmark',
    '',
    `Measured with \`${options.command}\` on ${result.date.slice(0, 10)} (${result.date}); zkinfer ${result.versions.zkinfer}; the whole run took ${formatDuration(result.ms)}.`,
    'Regenerate with `npm run bench:results`.',
    '',
    `- **Machine:** ${describeMachineLine(result.machine)}`,
    `- **Tools:** ${tools.join(', ')}`,
    '',
    markdownTable(table.headers, table.rows),
    '',
    ...(notes.length > 0 ? [...notes.map((n) => `- ${n}`), ''] : []),
    ...(result.setup.length > 0
      ? [
          '## Groth16 setup by circuit size',
          '',
          "zkinfer's development setup (`zkinfer setup --dev`: the proving key straight from the R1CS, written to disk) against snarkjs's path (generate a development powers of tau, then `newZKey` and one phase-2 contribution), on chain circuits of 2^p rows (s[i+1] = s[i]² + i). snarkjs is measured only at the sizes where it takes minutes, not hours. Issue 8's targets for the development setup: at most 30 s at 2^16 and 2 min at 2^18.",
          '',
          markdownTable(setup.headers, setup.rows),
          '',
        ]
      : []),
    ...(result.throughput
      ? (() => {
          const t = throughputTable(result.throughput);
          return [
            '## Proving throughput',
            '',
            "Many proofs of one model (issue 9): zkinfer's warm pool (`createProver`, `prove --batch`, `serve`: worker processes holding the witness generator and the proving key, one single-threaded worker per core, each key's window multiples precomputed at start-up) against a plain warm loop of snarkjs's `fullProve` in one process and the cold CLI path. Random inputs over the model's whole input range; CPU time per proof is beside the wall time because the machine may be shared.",
            '',
            markdownTable(t.headers, t.rows),
            '',
            ...t.lines.map((line) => `- ${line}`),
            '',
          ];
        })()
      : []),
    '## Models',
    '',
    ...result.models.map((m) => `- \`${m.name}\`: ${m.architecture}${m.parameters !== undefined ? `; ${m.parameters.toLocaleString('en-US')} parameters` : ''}`),
    '',
    '## What is measured',
    '',
    `- **Accuracy**: top-1 on all ${result.testImages.toLocaleString('en-US')} Fashion-MNIST test images. Float: the TF.js model as trained. Quantized: the integer reference interpreter, which defines what the circuit computes (the proven samples check that it does), so *quantized − float* is the accuracy the circuit loses to quantization.`,
    `- **circuit = reference**: the first ${samples} test image${samples === 1 ? '' : 's'} are proven; a sample agrees when the proof file's label and every logit equal the reference interpreter's (\`proveStep\` itself refuses a proof whose public signals differ, which would fail the model).`,
    '- **Times** are measured inside this one process, each step after the previous one, on the same artifacts folder as `zkinfer` verbs use. *compile*: `compileStep` with `--backend auto` (circom\'s process for the two small MLPs; the direct path, in this process, for the others: docs/ARCHITECTURE.md). *setup*: `setupStep` as a whole, a development setup (single party, no ceremony); *setup size* is its domain (2^N rows, N from the constraint count), marked *cached* when it reused something made before. The *CPU* rows are user + system time, which a loaded machine does not inflate as it does wall time: of the circom process (sampled every 100 ms) or of this process for a direct compile, and of this process with all its threads during setup. *proving key*: the .zkey file as written.',
    `- **Proving** runs in one prover worker process. The first proof is *cold* (the worker starts, reads the key and builds its prover); then each sample is proven in the warm worker, and the median (min–max) of the ${samples} witness and proof times the worker measured are shown.`,
    '- **verify**: `verifyStep` on the first proof as `zkinfer verify` runs it (*cold*: it builds the curve), then on each proof with the curve already built.',
    '- **Proof size**: snarkjs\'s proof object as compact JSON, and the ABI-encoded calldata of one `verifyProof` call (proof and public signals).',
    '- **Gas**: `eth_estimateGas` of a `verifyProof` transaction on Hardhat\'s in-process network (including the 21,000 of any transaction and the calldata); *deploy gas* is the verifier contract\'s deployment.',
    '- **Peak RSS**: the largest resident memory (VmHWM in /proc) of the benchmark process while it handled the model (quantize, accuracy, setup, verification, chain) and of the prover worker (witness and proofs), and of the compiler (circom: a child process of its own, sampled while it runs; the direct path: this process).',
    '',
  ].join('\n');
}
