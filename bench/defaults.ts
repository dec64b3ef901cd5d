/**
 * What `zkinfer bench` runs unless told otherwise: plain values with no imports, so that the
 * command can describe its options without loading the benchmark.
 */

export const DEFAULT_BENCH_SAMPLES = 10;
/**
 * The setup comparison's circuit sizes (2^p rows): issue 8's targets are at 2^16 and 2^18, and
 * snarkjs's path is measured at 2^12 only, as it needs minutes there and grows ~4.5x per doubling.
 */
export const DEFAULT_SETUP_BENCH = { powers: [12, 16, 18], snarkjsPowers: [12] } as const;
/** What `--quick` runs (and the test suite with it): the smallest model, a few proofs, a small setup comparison. */
export const QUICK_BENCH = { models: ['mlp_196_25_10'], samples: 3, setup: { powers: [8], snarkjsPowers: [8] }, throughput: { proofs: 6, coldProofs: 1 } } as const;
/** Issue 9's throughput measure: on this model (when benchmarked), this many proofs. */
export const DEFAULT_THROUGHPUT_BENCH = { model: 'mlp_196_25_10', proofs: 60, coldProofs: 3 } as const;
/** Issue 20's target for a cold `zkinfer prove`: at most this many times a warm pool proof's CPU. */
export const COLD_PROVE_TARGET = 2;
/**
 * The setup comparison's sizes from those given: snarkjs's sizes, unless given, are its default
 * ones among the sizes measured, so that `--setup-powers none` (or sizes without 12) needs no
 * `--snarkjs-powers none` beside it. Sizes given for snarkjs alone are still refused (bench/run.ts).
 */
export function setupBenchSizes(
  given: { powers?: readonly number[]; snarkjsPowers?: readonly number[] },
  defaults: { powers: readonly number[]; snarkjsPowers: readonly number[] },
): { powers: number[]; snarkjsPowers: number[] } {
  const powers = [...(given.powers ?? defaults.powers)];
  return { powers, snarkjsPowers: [...(given.snarkjsPowers ?? defaults.snarkjsPowers.filter((p) => powers.includes(p)))] };
}
/** The smallest and largest domain the setup comparison's chain circuits are made for. */
export const SETUP_BENCH_POWERS = { min: 4, max: 20 } as const;

/**
 * `zkinfer bench --web` (bench/web.ts). Warm-ups: a fresh page's first proofs are slower while its
 * JavaScript and WebAssembly are optimized (cnn_14_5_11_80_10 on 2 threads, under load: 5.8, 3.6,
 * 2.4, 1.5, 1.4 s), so both provers get three before the measured proofs.
 */
export const DEFAULT_WEB_BENCH = { models: ['cnn_14_5_11_80_10', 'mlp_196_25_10'], firstProofModel: 'mlp_196_25_10', proofs: 3, warmups: 3 } as const;
