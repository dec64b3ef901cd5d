/**
 * The fidelity report as one self-contained HTML page: inline CSS and inline SVG charts, nothing
 * fetched, so it opens anywhere and can be attached or archived as it is.
 */
import type { ErrorSummary } from '../model/quantize/fidelity.js';
import type { ReportData, SweepPoint } from './report.js';
import { maxOf, minOf } from '../core/numbers.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const percent = (f: number) => `${(100 * f).toFixed(2)}%`;

interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

const WIDTH = 560;
const HEIGHT = 300;
const PAD = { left: 70, right: 20, top: 30, bottom: 45 };

function ticks(lo: number, hi: number, count: number): number[] {
  if (hi === lo) return [lo];
  return Array.from({ length: count + 1 }, (_, i) => lo + ((hi - lo) * i) / count);
}

/** A line chart of several series over the same x values, with axes, ticks and a legend. */
function lineChart(id: string, title: string, xLabel: string, series: Series[], format: (y: number) => string, yCap = Infinity): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = [minOf(xs), maxOf(xs)];
  const [y0, y1] = [minOf(ys), maxOf(ys)];
  const margin = (y1 - y0) * 0.08 || Math.abs(y1) * 0.05 || 1;
  const [lo, hi] = [y0 - margin, Math.min(y1 + margin, Math.max(yCap, y1))];
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - PAD.left - PAD.right);
  const py = (y: number) => HEIGHT - PAD.bottom - ((y - lo) / (hi - lo)) * (HEIGHT - PAD.top - PAD.bottom);
  const grid = ticks(lo, hi, 4)
    .map((y) => `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${py(y)}" y2="${py(y)}" class="grid"/><text x="${PAD.left - 6}" y="${py(y) + 4}" text-anchor="end">${escape(format(y))}</text>`)
    .join('');
  const xTicks = [...new Set(xs)].map((x) => `<text x="${px(x)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${x}</text>`).join('');
  const lines = series
    .map(
      (s) =>
        `<polyline class="series" data-series="${escape(s.name)}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>` +
        s.points.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${escape(s.name)}: ${x}, ${escape(format(y))}</title></circle>`).join(''),
    )
    .join('');
  const legend = series.map((s, i) => `<rect x="${PAD.left + i * 170}" y="8" width="12" height="12" fill="${s.color}"/><text x="${PAD.left + 16 + i * 170}" y="18">${escape(s.name)}</text>`).join('');
  return `<figure><figcaption>${escape(title)}</figcaption><svg id="${id}" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escape(title)}">${grid}${xTicks}${lines}${legend}<text x="${(WIDTH + PAD.left) / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escape(xLabel)}</text></svg></figure>`;
}

/** Horizontal bars, two per layer (worst and mean error), on one linear scale. */
function errorChart(id: string, layers: ReportData['fidelity']['layers']): string {
  const rowHeight = 34;
  const height = PAD.top + layers.length * rowHeight + 20;
  const left = 170;
  const max = Math.max(maxOf(layers.map((l) => l.worst)), 1e-12);
  const width = (v: number) => (v / max) * (WIDTH - left - 90);
  const rows = layers
    .map((l, i) => {
      const y = PAD.top + i * rowHeight;
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(l.name)}</text>
<rect class="bar worst" x="${left}" y="${y + 2}" width="${width(l.worst).toFixed(1)}" height="12" fill="#d9534f"><title>worst ${l.worst.toPrecision(3)}</title></rect><text x="${left + width(l.worst) + 6}" y="${y + 12}">${l.worst.toPrecision(3)}</text>
<rect class="bar mean" x="${left}" y="${y + 16}" width="${width(l.mean).toFixed(1)}" height="12" fill="#5b8def"><title>mean ${l.mean.toPrecision(3)}</title></rect><text x="${left + width(l.mean) + 6}" y="${y + 26}">${l.mean.toPrecision(3)}</text>`;
    })
    .join('');
  const legend = `<rect x="${left}" y="8" width="12" height="12" fill="#d9534f"/><text x="${left + 16}" y="18">worst |float − quantized|</text><rect x="${left + 200}" y="8" width="12" height="12" fill="#5b8def"/><text x="${left + 216}" y="18">mean</text>`;
  return `<figure><figcaption>Error per layer (float units)</figcaption><svg id="${id}" class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="Error per layer">${legend}${rows}</svg></figure>`;
}

const precise = (y: number) => y.toPrecision(3);
const errors = (e: ErrorSummary) => `mean ${precise(e.mean)}, max ${precise(e.max)}`;

/** A classifier's agreement and accuracy against the width; a one-output model's error instead (it has no classes). */
function fidelityChart(data: ReportData): string {
  const classifier = data.fidelity.agreement !== undefined;
  if (!classifier) {
    const series: Series[] = [
      { name: 'max |float − quantized|', points: data.sweep.map((p): [number, number] => [p.bits, p.outputError.max]), color: '#d9534f' },
      { name: 'mean', points: data.sweep.map((p): [number, number] => [p.bits, p.outputError.mean]), color: '#5b8def' },
    ];
    return lineChart('error-vs-bits', 'Output error against activation bit width (float units)', 'activation bits (every layer)', series, precise);
  }
  const series: Series[] = [
    ...(data.sweep.every((p) => p.accuracy !== undefined) ? [{ name: 'quantized top-1', points: data.sweep.map((p): [number, number] => [p.bits, p.accuracy!]), color: '#2a7ae2' }] : []),
    { name: 'agreement with float', points: data.sweep.map((p): [number, number] => [p.bits, p.agreement!]), color: '#3c9d5d' },
    ...(data.floatAccuracy !== undefined ? [{ name: 'float top-1', points: data.sweep.map((p): [number, number] => [p.bits, data.floatAccuracy!]), color: '#888', dashed: true }] : []),
  ];
  return lineChart('accuracy-vs-bits', 'Accuracy against activation bit width', 'activation bits (every layer)', series, percent, 1);
}

export function renderReport(data: ReportData): string {
  const f = data.fidelity;
  const classifier = f.agreement !== undefined;
  const summary = [
    ['model', data.model],
    ['data', `${data.samples} inputs from ${data.data}`],
    ['constraints', data.constraints.toLocaleString('en-US')],
    ...(classifier
      ? [
          ['agreement with the float model', percent(f.agreement!)],
          ...(f.floatAccuracy !== undefined ? [['top-1 accuracy, float → quantized', `${percent(f.floatAccuracy)} → ${percent(f.quantizedAccuracy!)}`]] : []),
          ['largest logit error', precise(f.outputError.max)],
        ]
      : [
          ['output error against the float model (one output)', errors(f.outputError)],
          ...(f.targetError ? [['error against the targets, float model', errors(f.targetError.float)], ['error against the targets, quantized', errors(f.targetError.quantized)]] : []),
        ]),
  ];
  const sweepColumns = classifier ? ['agreement', ...(data.sweep[0]?.accuracy !== undefined ? ['top-1'] : [])] : ['mean error', 'max error'];
  const sweepCells = (p: SweepPoint) => (classifier ? [percent(p.agreement!), ...(p.accuracy !== undefined ? [percent(p.accuracy)] : [])] : [precise(p.outputError.mean), precise(p.outputError.max)]);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zkinfer fidelity report: ${escape(data.model)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
  h1 { font-size: 1.4rem; } table { border-collapse: collapse; margin: 1rem 0; }
  td, th { padding: 4px 12px; border-bottom: 1px solid #ddd; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .charts { display: flex; flex-wrap: wrap; gap: 1.5rem; } figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
  svg.chart { width: 560px; max-width: 100%; background: #fafafa; border: 1px solid #e4e4e4; } svg text { font-size: 11px; fill: #444; }
  .grid { stroke: #e2e2e2; } .muted { color: #777; }
</style>
</head>
<body>
<h1>Quantization fidelity: ${escape(data.model)}</h1>
<p class="muted">Generated by zkinfer on ${escape(data.generated)}. The quantized model is what the circuit proves, bit for bit.</p>
<table id="summary">${summary.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join('')}</table>
<div class="charts">
${fidelityChart(data)}
${lineChart('constraints-vs-bits', 'Constraints against activation bit width', 'activation bits (every layer)', [{ name: 'constraints', points: data.sweep.map((p): [number, number] => [p.bits, p.constraints]), color: '#8e44ad' }], (y) => Math.round(y).toLocaleString('en-US'))}
${errorChart('error-per-layer', f.layers)}
</div>
<table id="sweep"><tr><th>activation bits</th><th>constraints</th>${sweepColumns.map((c) => `<th>${c}</th>`).join('')}</tr>
${data.sweep.map((p) => `<tr><td class="n">${p.bits}</td><td class="n">${p.constraints.toLocaleString('en-US')}</td>${sweepCells(p).map((c) => `<td class="n">${c}</td>`).join('')}</tr>`).join('\n')}
</table>
</body>
</html>
`;
}
