/** Tests cache powers of tau and compiled circuits in the repository's .cache/test (ignored by git). */
export default async function setup(): Promise<void> {
  process.env.ZKINFER_CACHE_DIR ??= new URL('../.cache/test', import.meta.url).pathname;
}
