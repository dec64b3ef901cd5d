#!/usr/bin/env node
// The zkinfer command: the compiled CLI (npm install builds dist/ through the prepare script).
import "../dist/cli/main.js";
