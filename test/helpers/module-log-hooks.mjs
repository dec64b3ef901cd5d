// The resolve hook of module-log.mjs: every resolved ES module URL, one a line.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.ZKINFER_MODULE_LOG, `${result.url}\n`);
  return result;
}
