/**
 * A worker thread of the development setup: fixed-base multiplications on its own instance of the
 * bn128 WebAssembly. It imports neither snarkjs nor ffjavascript (whose thread package crashes off
 * the main thread); tables are built on first use and kept for the worker's life.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FixedBaseTable } from './fixed-base.js';
import type { FixedBaseWorkerData, MultiplyRequest, MultiplyResponse, PrepareRequest } from './fixed-base-messages.js';
import type { GroupName } from '../bn128-layout.js';
import { WasmArena } from '../wasm-arena.js';

const data = workerData as FixedBaseWorkerData;
const arena = WasmArena.create(data.module);
const tables = new Map<string, FixedBaseTable>();

function tableFor(group: GroupName, window: number): FixedBaseTable {
  const key = `${group}/${window}`;
  let table = tables.get(key);
  if (!table) {
    table = new FixedBaseTable(arena, group, data.generators[group], window);
    tables.set(key, table);
  }
  return table;
}

parentPort!.on('message', (request: MultiplyRequest | PrepareRequest) => {
  if (request.kind === 'prepare') {
    // A failure here resurfaces, with a response, on the first job that needs the table.
    try {
      tableFor(request.group, request.window);
    } catch {}
    return;
  }
  let response: MultiplyResponse;
  try {
    const result = tableFor(request.group, request.window).multiply(request.scalars, request);
    response = { id: request.id, ok: true, ...result };
  } catch (error) {
    response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    request.scalars.fill(0);
  }
  const transfer = response.ok ? [response.lem, response.uncompressed].flatMap((buffer) => (buffer ? [buffer.buffer as ArrayBuffer] : [])) : [];
  parentPort!.postMessage(response, transfer);
});
