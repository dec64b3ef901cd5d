/**
 * The page's prover, in a Web Worker: it fetches the model's files (web.json's list, each checked
 * against its size and SHA-256), loads the proving key once, and then for each input computes the
 * quantized input, the witness (circom's generator, or a directly compiled circuit's witness
 * program) and the Groth16 proof (prover/groth16.ts, on
 * Web Workers of its own when it has more than one thread). The input arrives by postMessage
 * and leaves only as the proof and its public signals: nothing here sends anything anywhere.
 */
import { readUintLE } from '../core/binfile.js';
import { ZkinferError, messageOf } from '../core/errors.js';
import { FIELD_MODULUS, parseCanonicalDecimal, randomScalar } from '../core/field.js';
import { circomCalculator } from '../circuits/circom-witness.js';
import { directCalculator, isDirectWitnessProgram, parseDirectWitnessGenerator } from '../circuits/direct/witness.js';
import type { WitnessCalculator } from '../circuits/witness.js';
import { quantizeInput } from '../model/ir.js';
import { Groth16Prover } from '../prover/groth16.js';
import { browserPlatform } from './platform.js';
import { WEB_MANIFEST, type WebFile, type WebManifest, parseWebManifest } from './site.js';
import type { FromWorker, ToWorker, WebProgress } from './worker-protocol.js';

const scope = self as unknown as { postMessage(message: FromWorker): void; onmessage: ((event: MessageEvent<ToWorker>) => void) | null };
const send = (message: FromWorker) => scope.postMessage(message);
const progress = (p: WebProgress) => send({ kind: 'progress', progress: p });

let loaded: { manifest: WebManifest; prover: Groth16Prover; witness: WitnessCalculator } | undefined;
/** Messages are handled one at a time, in order: a proof waits for the load before it. */
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(() => handle(message)).catch((error: unknown) => {
    const code = error instanceof ZkinferError ? error.code : 'INTERNAL';
    send({ kind: 'failed', ...(message.kind === 'prove' ? { id: message.id } : {}), code, message: messageOf(error) });
  });
};

async function handle(message: ToWorker): Promise<void> {
  if (message.kind === 'load') {
    if (loaded) throw new ZkinferError('USAGE', 'this prover is loaded already');
    await load(message);
    return;
  }
  if (!loaded) throw new ZkinferError('USAGE', 'prove was called before the prover loaded');
  const { manifest, prover, witness } = loaded;
  const started = performance.now();
  progress({ stage: 'witness', done: 0, total: 1 });
  const quantized = quantizeInput(message.values, manifest.input, 'input');
  const salt = manifest.takesSalt ? chosenSalt(message.salt) : undefined;
  if (!manifest.takesSalt && message.salt !== undefined) throw new ZkinferError('USAGE', 'this circuit takes no salt (it commits to neither its input nor its output)');
  const input = { ...manifest.fixedInput, in: quantized, ...(salt !== undefined ? { salt } : {}) } as Parameters<WitnessCalculator['calculateWtns']>[0];
  let wtns: Uint8Array;
  try {
    wtns = await witness.calculateWtns(input);
  } catch (error) {
    throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${messageOf(error).trim().split('\n')[0]}`, { cause: error });
  }
  const witnessMs = performance.now() - started;
  progress({ stage: 'prove', done: 0, total: 1 });
  const result = await prover.prove(wtns, { where: 'the witness' });
  wtns.fill(0);
  progress({ stage: 'prove', done: 1, total: 1 });
  send({
    kind: 'proved',
    id: message.id,
    info: { proof: result.proof, publicSignals: result.publicSignals, quantized, ...(salt !== undefined ? { salt: salt.toString() } : {}), witnessMs, proveMs: result.timings.totalMs },
  });
}

/** The salt given (a decimal below r), or a fresh secret one: a known salt would let anyone test guesses of the input against its commitment. */
function chosenSalt(given: string | undefined): bigint {
  if (given === undefined) return readUintLE(randomScalar());
  const salt = parseCanonicalDecimal(given, FIELD_MODULUS);
  if (salt === undefined) throw new ZkinferError('USAGE', `the salt must be a decimal string of a number below the field modulus, found ${JSON.stringify(given).slice(0, 80)}`);
  return salt;
}

async function load({ manifestUrl, threads, threadUrl, precompute }: Extract<ToWorker, { kind: 'load' }>): Promise<void> {
  const started = performance.now();
  const manifestResponse = await fetchOk(manifestUrl, WEB_MANIFEST);
  const manifestText = await manifestResponse.text();
  const manifest = parseWebManifest(JSON.parse(manifestText), manifestUrl);
  const usable = Math.min(threads, manifest.files.threads.length);
  const files = [manifest.files.circuit, manifest.files.zkey, ...(usable > 1 ? manifest.files.threads.slice(0, usable) : []), manifest.files.prover];
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  let done = 0;
  progress({ stage: 'download', done, total });
  const bytes = await Promise.all(
    files.map((file) =>
      download(new URL(file.path, manifestUrl).href, file, (n) => {
        done += n;
        progress({ stage: 'download', done, total });
      }),
    ),
  );
  const downloadMs = performance.now() - started;
  const loadStarted = performance.now();
  progress({ stage: 'load', done: 0, total: 1 });
  const [circuit, zkey] = bytes as [Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>];
  const single = await WebAssembly.compile(bytes[bytes.length - 1]! as Uint8Array<ArrayBuffer>);
  const shared = await Promise.all(bytes.slice(2, 2 + (usable > 1 ? usable : 0)).map((b) => WebAssembly.compile(b as Uint8Array<ArrayBuffer>)));
  const prover = await Groth16Prover.load(zkey, manifest.files.zkey.path, browserPlatform(single, shared, threadUrl), {
    threads: usable > 1 ? usable : 1,
    ...(precompute ? {} : { precomputeBudget: 0 }),
  });
  const witness = isDirectWitnessProgram(circuit) ? directCalculator(parseDirectWitnessGenerator(circuit, manifest.files.circuit.path)) : await circomCalculator(circuit, manifest.files.circuit.path);
  loaded = { manifest, prover, witness };
  progress({ stage: 'load', done: 1, total: 1 });
  send({
    kind: 'loaded',
    info: { manifest, threads: prover.threads, downloadBytes: total + manifestText.length, downloadMs, loadMs: performance.now() - loadStarted },
    module: single,
  });
}

async function fetchOk(url: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ZkinferError('ARTIFACT_MISSING', `${what}: could not fetch ${url}: ${messageOf(error)}`, { cause: error, details: { url } });
  }
  if (!response.ok) throw new ZkinferError('ARTIFACT_MISSING', `${what}: ${url} answered ${response.status} ${response.statusText}`, { details: { url, status: response.status } });
  return response;
}

/** A file of web.json, streamed with progress, refused unless its size and SHA-256 are web.json's. */
async function download(url: string, file: WebFile, onBytes: (n: number) => void): Promise<Uint8Array> {
  const response = await fetchOk(url, file.path);
  const out = new Uint8Array(file.bytes);
  let at = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.byteLength > out.byteLength) throw new ZkinferError('ARTIFACT_INVALID', `${file.path}: larger than the ${file.bytes} bytes web.json lists`, { details: { url } });
    out.set(value, at);
    at += value.byteLength;
    onBytes(value.byteLength);
  }
  if (at !== file.bytes) throw new ZkinferError('ARTIFACT_INVALID', `${file.path}: ${at} bytes, not the ${file.bytes} web.json lists`, { details: { url } });
  const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', out))].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (digest !== file.sha256) throw new ZkinferError('ARTIFACT_INVALID', `${file.path}: its SHA-256 is not the one web.json lists (changed after the export?)`, { details: { url } });
  return out;
}
