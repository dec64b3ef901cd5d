/**
 * The page `zkinfer web` serves and `zkinfer export-web` writes: draw or pick an input, prove it
 * in this browser (createBrowserProver), verify the proof here, and record it on chain if asked.
 * The artifacts are in ./artifacts/ beside index.html. For automation the page exposes
 * window.zkinfer: setInput(values), input() and prover() (the BrowserProver, once loaded).
 */
import { type BrowserProof, type BrowserProver, createBrowserProver } from './index.js';
import { recordProof } from './record.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const canvas = $<HTMLCanvasElement>('canvas');
const proveButton = $<HTMLButtonElement>('prove');
const recordButton = $<HTMLButtonElement>('record');
const progressBar = $<HTMLProgressElement>('progress');
const stage = $('stage');

const STAGE_TEXT = { download: 'Downloading the circuit and the key', load: 'Loading the key', witness: 'Computing the witness', prove: 'Proving', verify: 'Verifying' };

let prover: BrowserProver | undefined;
let side = 0;
/** The input being edited, the model's float values (side × side, in [0, 1]). */
let values: number[] = [];
let last: BrowserProof | undefined;

function paint(target: HTMLCanvasElement, pixels: readonly number[]): void {
  const context = target.getContext('2d')!;
  const cell = target.width / side;
  context.fillStyle = '#000';
  context.fillRect(0, 0, target.width, target.height);
  pixels.forEach((v, i) => {
    const level = Math.round(Math.max(0, Math.min(1, v)) * 255);
    context.fillStyle = `rgb(${level},${level},${level})`;
    context.fillRect((i % side) * cell, Math.floor(i / side) * cell, cell, cell);
  });
}

function setInput(pixels: readonly number[]): void {
  if (pixels.length !== values.length) throw new Error(`the input has ${values.length} values, not ${pixels.length}`);
  values = [...pixels];
  paint(canvas, values);
}

/** Drawing: a soft brush that raises the cells around the pointer. */
function enableDrawing(): void {
  let drawing = false;
  const brush = (event: PointerEvent) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * side;
    const y = ((event.clientY - box.top) / box.height) * side;
    for (let row = Math.floor(y - 1.5); row <= y + 1.5; row++) {
      for (let col = Math.floor(x - 1.5); col <= x + 1.5; col++) {
        if (row < 0 || col < 0 || row >= side || col >= side) continue;
        const distance = Math.hypot(col + 0.5 - x, row + 0.5 - y);
        const i = row * side + col;
        if (i >= values.length) continue;
        values[i] = Math.min(1, values[i]! + Math.max(0, 1 - distance / 1.6));
      }
    }
    paint(canvas, values);
  };
  canvas.addEventListener('pointerdown', (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    brush(event);
  });
  canvas.addEventListener('pointermove', (event) => drawing && brush(event));
  canvas.addEventListener('pointerup', () => (drawing = false));
  $('clear').addEventListener('click', () => setInput(values.map(() => 0)));
}

function showSamples(current: BrowserProver): void {
  const box = $('samples');
  current.manifest.samples.forEach((sample, k) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.title = `test image ${k}: ${current.manifest.labels?.[sample.label] ?? sample.label}`;
    button.dataset.sample = String(k);
    const thumb = document.createElement('canvas');
    thumb.width = thumb.height = side * 3;
    paint(thumb, sample.values);
    button.append(thumb);
    button.addEventListener('click', () => {
      box.querySelectorAll('button').forEach((b) => b.classList.remove('chosen'));
      button.classList.add('chosen');
      setInput(sample.values);
    });
    box.append(button);
  });
}

async function prove(): Promise<void> {
  if (!prover) return;
  proveButton.disabled = true;
  recordButton.disabled = true;
  $('verified').textContent = '–';
  $('verified').className = '';
  try {
    last = await prover.prove(values);
    const name = last.labelName ?? (last.label !== undefined ? `class ${last.label}` : 'see the logits');
    $('prediction').textContent = name;
    $('timings').textContent = `witness ${last.witnessMs.toFixed(0)} ms, proof ${last.proveMs.toFixed(0)} ms on ${prover.threads} thread${prover.threads > 1 ? 's' : ''}`;
    $('proof').textContent = JSON.stringify({ proof: last.proof, publicSignals: last.publicSignals }, null, 1);
    const ok = await prover.verify(last.proof, last.publicSignals);
    $('verified').textContent = ok ? 'valid proof' : 'INVALID proof';
    $('verified').className = ok ? 'ok' : 'bad';
    stage.textContent = 'Done';
    recordButton.disabled = false;
  } catch (error) {
    stage.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
    stage.className = 'bad';
  } finally {
    proveButton.disabled = false;
  }
}

async function record(): Promise<void> {
  if (!prover || !last) return;
  const out = $('record-status');
  out.className = 'note';
  out.textContent = 'Recording…';
  try {
    const rpc = $<HTMLInputElement>('rpc').value.trim();
    const key = $<HTMLInputElement>('key').value.trim();
    out.textContent = await recordProof(prover.manifest, last, { rpcUrl: rpc || undefined, privateKey: key || undefined });
  } catch (error) {
    out.textContent = error instanceof Error ? error.message : String(error);
    out.className = 'bad';
  }
}

async function start(): Promise<void> {
  const opened = performance.now();
  try {
    const query = new URLSearchParams(location.search);
    prover = await createBrowserProver(new URL('artifacts/', location.href), {
      // ?threads=N and ?precompute=1 for comparisons (zkinfer bench --web).
      ...(query.has('threads') ? { threads: Number(query.get('threads')) } : {}),
      precompute: query.get('precompute') === '1',
      onProgress: (p) => {
        stage.className = 'note';
        stage.textContent = `${STAGE_TEXT[p.stage]}${p.stage === 'download' ? ` (${(p.done / 2 ** 20).toFixed(1)} of ${(p.total / 2 ** 20).toFixed(1)} MiB)` : '…'}`;
        progressBar.value = p.total > 0 ? p.done / p.total : 0;
      },
    });
  } catch (error) {
    status.textContent = `Could not load the prover: ${error instanceof Error ? error.message : String(error)}`;
    status.className = 'bad';
    return;
  }
  const { manifest, loaded } = prover;
  $('model').textContent = manifest.model;
  const size = manifest.input.shape.reduce((a, b) => a * b, 1);
  // A square image for 14×14 or 28×28 inputs; other inputs fill the rows of the smallest square that holds them.
  side = Math.ceil(Math.sqrt(size));
  values = new Array(size).fill(0);
  paint(canvas, values);
  enableDrawing();
  showSamples(prover);
  if (manifest.samples.length > 0) setInput(manifest.samples[0]!.values);
  status.textContent =
    `Ready in ${((performance.now() - opened) / 1000).toFixed(1)} s: ${(loaded.downloadBytes / 2 ** 20).toFixed(1)} MiB downloaded in ${(loaded.downloadMs / 1000).toFixed(1)} s, key loaded in ${(loaded.loadMs / 1000).toFixed(1)} s; ` +
    `proofs on ${prover.threads} thread${prover.threads > 1 ? 's' : ''}` +
    (prover.crossOriginIsolated ? '' : ' (this page is not cross-origin isolated: serve it with COOP/COEP headers, as zkinfer web does, for more)');
  stage.textContent = '';
  proveButton.disabled = false;
  proveButton.addEventListener('click', () => void prove());
  recordButton.addEventListener('click', () => void record());
}

(window as unknown as { zkinfer: unknown }).zkinfer = { setInput, input: () => [...values], prover: () => prover };
void start();
