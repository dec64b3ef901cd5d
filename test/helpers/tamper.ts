/** Single-wire tampering for circuit tests: the library's (circuits/audit/tamper.ts). */
export { unconstrainedWires } from '../../circuits/audit/tamper.js';
