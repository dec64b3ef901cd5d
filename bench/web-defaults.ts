/**
 * What `zkinfer bench --web` measures by default (apart from bench/web.ts, so that the CLI's help
 * loads without it). Warm-ups: a fresh page's first proofs are slower while its JavaScript and
 * WebAssembly are optimized (cnn_14_5_11_80_10 on 2 threads, under load: 5.8, 3.6, 2.4, 1.5,
 * 1.4 s), so both provers get three before the measured proofs.
 */
export const DEFAULT_WEB_BENCH = { models: ['cnn_14_5_11_80_10', 'mlp_196_25_10'], firstProofModel: 'mlp_196_25_10', proofs: 3, warmups: 3 } as const;
