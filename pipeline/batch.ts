/**
 * `zkinfer prove --batch`: many inputs, one per line of a JSON Lines file, proved on a warm pool.
 * Each line succeeds or fails on its own; every proof file and the summary are written atomically.
 * The file is read as a stream and only a few lines per worker are in flight, so memory stays
 * bounded whatever the batch's length.
 */
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { mkdir } from 'node:fs/promises';
import { ArtifactError, ZkinferError, messageOf } from '../core/errors.js';
import { exists, writeJsonAtomic } from '../core/files.js';
import type { OnProgress } from '../core/progress.js';
import { type CreateProverOptions, type Prover, createProver } from './prover.js';

export const BATCH_SUMMARY_FORMAT = 'zkinfer-batch/1';
export const BATCH_SUMMARY_FILE = 'summary.json';

export interface ProveBatchOptions extends CreateProverOptions {
  /** A JSON Lines file: one input document `{ "input": [...], "salt"?: "...", "recipient"?: "0x…" }` per line; blank lines are skipped. */
  batch: string;
  /** The folder for the proof files and summary.json. */
  out: string;
  /** A prover to use (and leave open); without one, one is made and closed for this batch. */
  prover?: Prover;
  onProgress?: OnProgress;
}

export interface BatchFailure {
  /** The line of the batch file (from 1). */
  line: number;
  code: string;
  reason: string;
}

export interface BatchSummary {
  format: typeof BATCH_SUMMARY_FORMAT;
  model: string;
  verificationKey: string;
  batch: string;
  /** Inputs in the file (non-blank lines). */
  count: number;
  proved: number;
  failed: number;
  failures: BatchFailure[];
  /** Proof files, by line, relative to the summary. */
  proofs: { line: number; file: string }[];
  seconds: number;
  proofsPerMinute: number;
  pool: { size: number; threadsPerWorker: number; reason: string; workerPeakRssBytes: number[] };
}

export interface ProveBatchResult {
  summary: BatchSummary;
  summaryFile: string;
}

/** The proof file of a line: proof-000042.json (zero-padded so that listings sort by line). */
export function batchProofName(line: number): string {
  return `proof-${String(line).padStart(6, '0')}.json`;
}

/** Batches of at least this many inputs precompute the key's window multiples (see createProver). */
export const PRECOMPUTE_FROM_PROOFS = 200;

async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim() !== '') count += 1;
  return count;
}

export async function proveBatchStep(dir: string, options: ProveBatchOptions): Promise<ProveBatchResult> {
  const batchFile = path.resolve(options.batch);
  if (!(await exists(batchFile))) throw new ArtifactError('ARTIFACT_MISSING', `batch file not found: ${batchFile}`, batchFile);
  const outDir = path.resolve(options.out);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw new ZkinferError('USAGE', `cannot use ${outDir} as the proofs folder: ${messageOf(error)}`, { cause: error });
  }
  const total = await countLines(batchFile);
  // Precomputing the key's window multiples costs seconds at start-up and saves a fifth of each
  // proof: worth it for long batches only.
  const prover = options.prover ?? (await createProver(dir, { precompute: total >= PRECOMPUTE_FROM_PROOFS, ...options }));
  try {
    const started = performance.now();
    const failures: BatchFailure[] = [];
    const proofs: { line: number; file: string }[] = [];
    let done = 0;
    const report = () => options.onProgress?.({ step: 'prove', message: `${proofs.length} proved, ${failures.length} failed`, done, total });
    report();

    const proveLine = async (text: string, line: number): Promise<void> => {
      const where = `${batchFile}:${line}`;
      try {
        const input = prover.parseInputText(text, where);
        const { bundle } = await prover.prove(input, where);
        const name = batchProofName(line);
        await writeJsonAtomic(path.join(outDir, name), bundle);
        proofs.push({ line, file: name });
      } catch (error) {
        const code = error instanceof ZkinferError ? error.code : 'INTERNAL';
        failures.push({ line, code, reason: messageOf(error) });
      } finally {
        done += 1;
        report();
      }
    };

    // A few lines per worker in flight: the workers never wait for the reader, and memory stays bounded.
    const limit = Math.max(2, prover.shape.size * 3);
    const inFlight = new Set<Promise<void>>();
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(batchFile), crlfDelay: Infinity })) {
      line += 1;
      if (text.trim() === '') continue;
      const job = proveLine(text, line).finally(() => inFlight.delete(job));
      inFlight.add(job);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);

    const seconds = (performance.now() - started) / 1000;
    proofs.sort((a, b) => a.line - b.line);
    failures.sort((a, b) => a.line - b.line);
    const stats = prover.stats();
    const summary: BatchSummary = {
      format: BATCH_SUMMARY_FORMAT,
      model: prover.model.name,
      verificationKey: prover.verificationKey,
      batch: batchFile,
      count: proofs.length + failures.length,
      proved: proofs.length,
      failed: failures.length,
      failures,
      proofs,
      seconds,
      proofsPerMinute: seconds > 0 ? (proofs.length * 60) / seconds : 0,
      pool: { size: stats.size, threadsPerWorker: stats.threadsPerWorker, reason: prover.shape.reason, workerPeakRssBytes: stats.workers.map((w) => w.peakRss) },
    };
    const summaryFile = path.join(outDir, BATCH_SUMMARY_FILE);
    await writeJsonAtomic(summaryFile, summary);
    return { summary, summaryFile };
  } finally {
    if (!options.prover) await prover.close();
  }
}
