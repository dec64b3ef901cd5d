/** What `zkinfer bench --web` measures by default (apart from bench/web.ts, so that the CLI's help loads without it). */
export const DEFAULT_WEB_BENCH = { models: ['cnn_14_5_11_80_10', 'mlp_196_25_10'], firstProofModel: 'mlp_196_25_10', proofs: 3 } as const;
