// Preloaded into a child process (NODE_OPTIONS=--import) by test/helpers/node-script.ts's
// loadedModules: appends to $ZKINFER_MODULE_LOG every module the process loads, the ES modules
// as they are resolved (through module-log-hooks.mjs) and the CommonJS ones when it exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.ZKINFER_MODULE_LOG;
if (!log) throw new Error('module-log.mjs needs ZKINFER_MODULE_LOG');
register('./module-log-hooks.mjs', import.meta.url);
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(log, Object.keys(require.cache).map((file) => `${file}\n`).join('')));
