/**
 * Activation ranges for choosing scales: measured on calibration inputs, or, without any,
 * derived from the weights as worst-case float bounds over the input range (much looser).
 */
import { type FloatLayer, type FloatModel, LINEAR, applyActivation, layerInputs, runConcat, runFloat, runLayer, sizeOf, walkLayers } from '../float.js';
import { convTerms, poolWindow, windowPositions } from '../geometry.js';
import { transposeSources } from '../ir.js';
import { maxOf } from '../../core/numbers.js';

/**
 * The largest |value| each layer output reaches, per element, for every layer of the float model;
 * for a layer with a table activation, its input's (the table's scale is chosen from it).
 */
export type LayerRanges = Float64Array[];

/** A layer with a table activation, without it: what the table's input is. */
function tableInputLayer(layer: FloatLayer): FloatLayer | undefined {
  return 'activation' in layer && layer.activation.kind === 'table' ? { ...layer, activation: LINEAR } : undefined;
}

export function calibrationRanges(model: FloatModel, inputs: readonly ArrayLike<number>[]): LayerRanges {
  const ranges: LayerRanges = [];
  for (const input of inputs) {
    const outputs = runFloat(model, input).layerOutputs;
    outputs.forEach((activated, l) => {
      const before = tableInputLayer(model.layers[l]!);
      const output = before ? runLayer(before, layerInputs(model, l).map((i) => (i < 0 ? Float64Array.from(input) : outputs[i]!))) : activated;
      const range = (ranges[l] ??= new Float64Array(output.length));
      for (let j = 0; j < output.length; j++) range[j] = Math.max(range[j], Math.abs(output[j]));
    });
  }
  return ranges;
}

interface Bounds {
  lo: Float64Array;
  hi: Float64Array;
}

/** Interval evaluation of each layer kind (activated() maps the intervals through the activation); `all` are its inputs' bounds. */
function layerBounds(layer: FloatLayer, { lo, hi }: Bounds, all: Bounds[]): Bounds {
  const dot = (bias: number, weight: (t: number) => number, inputs: readonly number[]): [number, number] => {
    let l = bias;
    let h = bias;
    inputs.forEach((i, t) => {
      if (i < 0) return;
      const w = weight(t);
      l += Math.min(w * lo[i], w * hi[i]);
      h += Math.max(w * lo[i], w * hi[i]);
    });
    return [l, h];
  };
  switch (layer.kind) {
    case 'dense': {
      const inputs = Array.from({ length: layer.inputSize }, (_, i) => i);
      const out = Array.from({ length: layer.units }, (_, j) => dot(layer.bias[j], (i) => layer.kernel[i * layer.units + j], inputs));
      return activated(out, layer.activation);
    }
    case 'conv2d': {
      const [oh, ow, oc] = layer.outShape;
      const rowLength = layer.weights.length / oc;
      const out: [number, number][] = [];
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let c = 0; c < oc; c++) out.push(dot(layer.bias[c], (t) => layer.weights[c * rowLength + t], convTerms(layer, oy, ox, c)));
      return activated(out, layer.activation);
    }
    case 'pool': {
      const [oh, ow, channels] = layer.outShape;
      const out: [number, number][] = [];
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const window = windowPositions(poolWindow(layer), oy, ox).filter((p) => p >= 0);
          for (let c = 0; c < channels; c++) {
            const l = window.map((p) => lo[p + c]);
            const h = window.map((p) => hi[p + c]);
            const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
            out.push(layer.op === 'max' ? [maxOf(l), maxOf(h)] : [mean(l), mean(h)]);
          }
        }
      }
      return { lo: Float64Array.from(out, (b) => b[0]), hi: Float64Array.from(out, (b) => b[1]) };
    }
    case 'pad': {
      const [h, w, c] = layer.inShape;
      const [, ow] = layer.outShape;
      const out = { lo: new Float64Array(sizeOf(layer.outShape)), hi: new Float64Array(sizeOf(layer.outShape)) };
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let ch = 0; ch < c; ch++) {
            const to = ((y + layer.padding[0]) * ow + x + layer.padding[1]) * c + ch;
            out.lo[to] = lo[(y * w + x) * c + ch];
            out.hi[to] = hi[(y * w + x) * c + ch];
          }
        }
      }
      return out;
    }
    case 'activation':
      return activated(Array.from(lo, (l, j) => [l, hi[j]!]), layer.activation);
    case 'reshape':
      return { lo, hi };
    case 'add': {
      const out = Array.from(lo, (_, j): [number, number] => {
        const ends = all.map((b, i) => [layer.coefficients[i] * b.lo[j], layer.coefficients[i] * b.hi[j]]);
        return [ends.reduce((s, e) => s + Math.min(...e), 0), ends.reduce((s, e) => s + Math.max(...e), 0)];
      });
      return activated(out, layer.activation);
    }
    case 'affine':
      return activated(Array.from(lo, (l, j) => { const [a, b] = [layer.multiplier[j] * l + layer.offset[j], layer.multiplier[j] * hi[j] + layer.offset[j]]; return [Math.min(a, b), Math.max(a, b)]; }), { kind: 'linear' });
    case 'concat': {
      const value = (pick: (b: Bounds) => Float64Array) => runConcat(layer, all.map(pick));
      return { lo: value((b) => b.lo), hi: value((b) => b.hi) };
    }
    case 'norm': {
      // |z| <= sqrt(size) (each deviation's square is at most the sum of them all).
      const reach = Math.sqrt(layer.size);
      return { lo: Float64Array.from(lo, (_, j) => -Math.abs(layer.gamma?.[j % layer.size] ?? 1) * reach + (layer.beta?.[j % layer.size] ?? 0)), hi: Float64Array.from(lo, (_, j) => Math.abs(layer.gamma?.[j % layer.size] ?? 1) * reach + (layer.beta?.[j % layer.size] ?? 0)) };
    }
    case 'matmul': {
      const b = all[1];
      const out: [number, number][] = [];
      for (let h = 0; h < layer.batch; h++) for (let i = 0; i < layer.rows; i++) for (let j = 0; j < layer.cols; j++) {
        let [l, u] = [0, 0];
        for (let t = 0; t < layer.inner; t++) {
          const [x, y] = [(h * layer.rows + i) * layer.inner + t, (h * layer.inner + t) * layer.cols + j];
          const ends = [lo[x] * b.lo[y], lo[x] * b.hi[y], hi[x] * b.lo[y], hi[x] * b.hi[y]];
          [l, u] = [l + Math.min(...ends), u + Math.max(...ends)];
        }
        out.push([l, u]);
      }
      return activated(out, { kind: 'linear' });
    }
    case 'transpose': {
      const sources = transposeSources(layer);
      return { lo: Float64Array.from(sources, (i) => lo[i]), hi: Float64Array.from(sources, (i) => hi[i]) };
    }
    case 'softmax':
      return { lo: new Float64Array(lo.length), hi: new Float64Array(lo.length).fill(1) };
    case 'mul': {
      const b = all[1];
      return activated(Array.from(lo, (l, j): [number, number] => { const ends = [l * b.lo[j], l * b.hi[j], hi[j] * b.lo[j], hi[j] * b.hi[j]]; return [Math.min(...ends), Math.max(...ends)]; }), { kind: 'linear' });
    }
  }
}

/** Through an activation: monotone ones map ends to ends; a table's (GELU, SiLU need not be monotone) is sampled. */
function activated(out: [number, number][], activation: Parameters<typeof applyActivation>[1]): Bounds {
  if (activation.kind === 'table') {
    const samples = out.map(([l, h]) => applyActivation(Float64Array.from({ length: 65 }, (_, k) => l + ((h - l) * k) / 64), activation));
    return { lo: Float64Array.from(samples, (v) => Math.min(...v)), hi: Float64Array.from(samples, (v) => Math.max(...v)) };
  }
  return {
    lo: applyActivation(Float64Array.from(out, (b) => b[0]), activation),
    hi: applyActivation(Float64Array.from(out, (b) => b[1]), activation),
  };
}

/** Worst-case |value| per element over all inputs in [min, max], by float interval arithmetic. */
export function weightDerivedRanges(model: FloatModel, inputMin: number, inputMax: number): LayerRanges {
  const n = sizeOf(model.inputShape);
  const input: Bounds = { lo: new Float64Array(n).fill(inputMin), hi: new Float64Array(n).fill(inputMax) };
  const values = walkLayers(model, input, (layer, inputs) => layerBounds(layer, inputs[0]!, inputs));
  return model.layers.map((layer, k) => {
    const before = tableInputLayer(layer);
    const inputs = before ? layerInputs(model, k).map((i) => (i < 0 ? input : values[i]!)) : [];
    const { lo, hi } = before ? layerBounds(before, inputs[0]!, inputs) : values[k]!;
    return lo.map((l, j) => Math.max(Math.abs(l), Math.abs(hi[j]!)));
  });
}
