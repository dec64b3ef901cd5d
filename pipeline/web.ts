/**
 * `zkinfer export-web DIR --out SITE` and `zkinfer web DIR`: the browser page for a compiled
 * model. The export writes the page (dist/web, bundled by `npm run build`), the circuit's witness
 * generator, the proving and verification keys, the prover's WebAssembly (one module for one
 * thread, one per thread for proofs on several) and web.json listing them with their SHA-256
 * (web/site.ts), plus a few Fashion-MNIST test images when the data set is installed. `zkinfer web`
 * exports into a temporary folder and serves it on 127.0.0.1 with the headers that make the page
 * cross-origin isolated, which a proof on several threads (a shared WebAssembly memory) needs.
 */
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { ZkinferError } from '../core/errors.js';
import { sha256 } from '../core/files.js';
import { distFile } from '../core/paths.js';
import { bindsRecipient, takesSalt } from '../circuits/visibility.js';
import { witnessInput } from '../circuits/signals.js';
import { inputSize, quantizeInput } from '../model/ir.js';
import { DEFAULT_FASHION_MNIST_DIR, loadFashionMnist, toModelInput } from '../model/data/fashion-mnist.js';
import { proverModuleBytes, proverThreadModuleBytes } from '../prover/wasm-module.js';
import { WEB_FORMAT, WEB_MANIFEST, type WebFile, type WebManifest, type WebSample } from '../web/site.js';
import { WEB_STATIC } from '../web/bundle.js';
import { artifactPath, openArtifacts, readCircuit } from './artifacts.js';
import { FILES, latestDeployment, witnessGeneratorPath } from './manifest.js';

export interface ExportWebOptions {
  /** Thread modules to ship: the most threads a browser proof can use (default 8). */
  maxThreads?: number;
  /** Test images to embed when the data set is installed (default 8). */
  samples?: number;
}

export interface ExportedSite {
  out: string;
  manifest: WebManifest;
  /** Bytes of the files the page downloads before its first proof on one thread (web.json's files but the thread modules). */
  firstDownloadBytes: number;
}

/** The headers that make the page cross-origin isolated (COOP + COEP), and let its own files load under them (CORP). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** Write the page for the model in `dir` into `out`, whole or not at all (a folder a previous export wrote is replaced). */
export async function exportWeb(dir: string, out: string, options: ExportWebOptions = {}): Promise<ExportedSite> {
  const maxThreads = options.maxThreads ?? 8;
  if (!Number.isInteger(maxThreads) || maxThreads < 1 || maxThreads > 64) throw new ZkinferError('USAGE', `--max-threads must be an integer from 1 to 64, got ${maxThreads}`);
  const manifest = await openArtifacts(dir, ['quantize', 'compile', 'setup']);
  const generator = witnessGeneratorPath(dir, manifest);
  if (generator.endsWith(FILES.directWitnessV1)) {
    throw new ZkinferError('MODEL_UNSUPPORTED', `${dir}: this circuit's witness generator is the direct path's first format (${FILES.directWitnessV1}), which only Node reads: run \`zkinfer compile ${dir}\` again to export it`);
  }
  const circuit = await readCircuit(dir, manifest);
  if (bindsRecipient(circuit.plan.visibility)) {
    throw new ZkinferError('MODEL_UNSUPPORTED', `${dir}: this circuit binds each proof to a recipient (--recipient public), which the page does not ask for yet: compile without it to export the page`);
  }
  const bundle = distFile('web');
  if (!(await exists(path.join(bundle, 'assets', 'page.js')))) {
    throw new ZkinferError('INTERNAL', `the page's bundle is missing: ${bundle} (run \`npm run build\`)`, { details: { path: bundle } });
  }
  const previous = await fs.stat(out).catch(() => undefined);
  if (previous && !(await exists(path.join(out, 'artifacts', WEB_MANIFEST)))) {
    if (!previous.isDirectory() || (await fs.readdir(out)).length > 0) {
      throw new ZkinferError('USAGE', `--out ${out} exists and is not a page zkinfer exported: give a new or empty folder`, { details: { path: out } });
    }
  }

  const parent = path.dirname(path.resolve(out));
  await fs.mkdir(parent, { recursive: true });
  const staging = await fs.mkdtemp(path.join(parent, `.${path.basename(out)}.tmp-`));
  try {
    // The bundles, the HTML and the CSS (dist/web also holds tsc's output of web/, for the library's types).
    await fs.cp(path.join(bundle, 'assets'), path.join(staging, 'assets'), { recursive: true });
    for (const name of WEB_STATIC) await fs.copyFile(path.join(bundle, name), path.join(staging, name));
    const artifacts = path.join(staging, 'artifacts');
    const put = async (rel: string, bytes: Uint8Array): Promise<WebFile> => {
      await fs.mkdir(path.dirname(path.join(artifacts, rel)), { recursive: true });
      await fs.writeFile(path.join(artifacts, rel), bytes);
      return { path: rel, bytes: bytes.byteLength, sha256: sha256(bytes) };
    };
    const copy = async (rel: string) => put(rel, await fs.readFile(artifactPath(dir, rel)));
    const threads: WebFile[] = [];
    for (let k = 0; k < maxThreads; k++) threads.push(await put(`prover/thread-${k}.wasm`, proverThreadModuleBytes(k)));
    const files = {
      circuit: await copy(path.relative(dir, generator)),
      zkey: await copy(FILES.zkey),
      verificationKey: await copy(FILES.vk),
      prover: await put('prover/prover.wasm', proverModuleBytes()),
      threads,
    };
    const { model, plan, layout } = circuit;
    // The witness generator's input but the image and the salt, which the page fills in.
    const { in: _input, salt: _salt, ...fixed } = witnessInput(model, plan, new Array<number>(inputSize(model.input)).fill(0), 0n);
    const deployment = latestDeployment(manifest, (d) => d.registry !== undefined && d.modelId !== undefined);
    const web: WebManifest = {
      format: WEB_FORMAT,
      model: model.name,
      ...(model.labels ? { labels: model.labels } : {}),
      input: model.input,
      fixedInput: JSON.parse(JSON.stringify(fixed, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))) as Record<string, unknown>,
      takesSalt: takesSalt(plan.visibility),
      layout,
      files,
      samples: await testImages(model.input, options.samples ?? 8),
      ...(deployment ? { registry: { address: deployment.registry!, chainId: Number(deployment.chainId), modelId: deployment.modelId! } } : {}),
    };
    await fs.writeFile(path.join(artifacts, WEB_MANIFEST), JSON.stringify(web) + '\n');
    // For static hosts that read it (Netlify, Cloudflare Pages): the same headers `zkinfer web` sends.
    await fs.writeFile(path.join(staging, '_headers'), `/*\n${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
    await fs.rm(out, { recursive: true, force: true });
    await fs.rename(staging, out);
    const firstDownloadBytes = [files.circuit, files.zkey, files.prover].reduce((sum, f) => sum + f.bytes, 0);
    return { out, manifest: web, firstDownloadBytes };
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** The first `count` Fashion-MNIST test images the model accepts, when its input is a 14×14 or 28×28 image and the data set is installed. */
async function testImages(input: WebManifest['input'], count: number): Promise<WebSample[]> {
  const size = inputSize(input);
  const side = size === 196 ? 14 : size === 784 ? 28 : undefined;
  if (side === undefined || count === 0 || !(await exists(DEFAULT_FASHION_MNIST_DIR))) return [];
  const test = await loadFashionMnist('test');
  const samples: WebSample[] = [];
  for (let i = 0; samples.length < count && i < 100; i++) {
    const values = [...toModelInput(test.images, i, side)].map((v) => Math.round(v * 1e6) / 1e6);
    try {
      quantizeInput(values, input);
    } catch {
      continue; // outside this model's input range
    }
    samples.push({ label: test.labels[i]!, values });
  }
  return samples;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.zkey': 'application/octet-stream',
  '.map': 'application/json',
};

export interface WebServerOptions extends ExportWebOptions {
  port?: number;
  host?: string;
  /** Send COOP/COEP (default true): without them the page proves on one thread. */
  isolate?: boolean;
}

export interface WebServer {
  url: string;
  site: ExportedSite;
  close(): Promise<void>;
}

/** Export the page into a temporary folder and serve it (GET and HEAD of its files only); close() stops and removes it. */
export async function serveWeb(dir: string, options: WebServerOptions = {}): Promise<WebServer> {
  const temporary = await fs.mkdtemp(path.join(os.tmpdir(), 'zkinfer-web-'));
  try {
    const site = await exportWeb(dir, path.join(temporary, 'site'), options);
    const server = await serveFolder(site.out, options);
    return {
      ...server,
      site,
      close: async () => {
        await server.close();
        await fs.rm(temporary, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** A static server of `root` on `host:port` (default 127.0.0.1, any free port). */
export async function serveFolder(root: string, options: Pick<WebServerOptions, 'port' | 'host' | 'isolate'> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const headers = options.isolate === false ? {} : ISOLATION_HEADERS;
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      response.writeHead(400).end();
      return;
    }
    const file = path.join(root, path.normalize(pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    if (!file.startsWith(root + path.sep) || pathname.includes('\0')) {
      response.writeHead(404).end();
      return;
    }
    fs.stat(file).then(
      (stats) => {
        if (!stats.isFile()) throw new Error('not a file');
        response.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': stats.size, 'Cache-Control': 'no-cache', ...headers });
        if (request.method === 'HEAD') response.end();
        else createReadStream(file).pipe(response);
      },
      () => response.writeHead(404, headers).end('not found'),
    ).catch(() => response.writeHead(404, headers).end('not found'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ZkinferError('USAGE', `cannot listen on ${host}:${options.port ?? 0}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`, { cause: error })),
    );
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
