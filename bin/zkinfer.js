#!/usr/bin/env node
// The zkinfer command: the compiled CLI (npm install builds dist/ through the prepare script). A
// `zkinfer prove` runs from the one-file bundle of its modules that `npm run build` makes, while it
// matches dist/; everything else from dist/cli/main.js (cli/entry.ts).
import { entryPoint } from '../dist/cli/entry.js';

await import(entryPoint(process.argv.slice(2)));
