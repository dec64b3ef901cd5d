/**
 * Window geometry of convolutions and pooling, with TF.js/Keras semantics, in one place: the
 * float interpreter, the reference interpreter, the bounds and the circuit planner all walk
 * windows through these functions. Tensors are flat, row-major [H, W, C] (channels last).
 */

export type Shape3 = [number, number, number];
/** Padding rows and columns: [top, left, bottom, right]. */
export type Padding4 = [number, number, number, number];

export interface WindowSpec {
  inShape: Shape3;
  outShape: Shape3;
  /** [height, width] of the kernel or pool. */
  window: [number, number];
  strides: [number, number];
  padding: Padding4;
}

/** Output size and padding along one axis, as TF computes them for 'valid' and 'same'. */
export function axisPadding(size: number, window: number, stride: number, mode: 'valid' | 'same'): { out: number; before: number; after: number } {
  if (mode === 'valid') return { out: Math.floor((size - window) / stride) + 1, before: 0, after: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  // TF puts the odd padding unit after (bottom/right).
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

export function resolvePadding(inShape: Shape3, window: [number, number], strides: [number, number], mode: 'valid' | 'same'): { padding: Padding4; outHW: [number, number] } {
  const rows = axisPadding(inShape[0], window[0], strides[0], mode);
  const cols = axisPadding(inShape[1], window[1], strides[1], mode);
  return { padding: [rows.before, cols.before, rows.after, cols.after], outHW: [rows.out, cols.out] };
}

/** The output size a window spec implies: floor((in + pads - window) / stride) + 1 per axis. */
export function windowOutput(inShape: Shape3, window: [number, number], strides: [number, number], padding: Padding4): [number, number] {
  return [
    Math.floor((inShape[0] + padding[0] + padding[2] - window[0]) / strides[0]) + 1,
    Math.floor((inShape[1] + padding[1] + padding[3] - window[1]) / strides[1]) + 1,
  ];
}

/**
 * The input positions under output position (oy, ox), in row-major window order, as flat indices
 * of channel 0 (add the channel), or -1 where the window lies over padding.
 */
export function windowPositions(spec: Pick<WindowSpec, 'inShape' | 'window' | 'strides' | 'padding'>, oy: number, ox: number): number[] {
  const [h, w, c] = spec.inShape;
  const positions: number[] = [];
  for (let ky = 0; ky < spec.window[0]; ky++) {
    const iy = oy * spec.strides[0] + ky - spec.padding[0];
    for (let kx = 0; kx < spec.window[1]; kx++) {
      const ix = ox * spec.strides[1] + kx - spec.padding[1];
      positions.push(iy >= 0 && iy < h && ix >= 0 && ix < w ? (iy * w + ix) * c : -1);
    }
  }
  return positions;
}

export interface ConvGeometry {
  inShape: Shape3;
  outShape: Shape3;
  kernel: [number, number];
  strides: [number, number];
  padding: Padding4;
  groups: number;
}

export interface PoolGeometry {
  inShape: Shape3;
  outShape: Shape3;
  pool: [number, number];
  strides: [number, number];
  padding: Padding4;
}

export function poolWindow(pool: PoolGeometry): WindowSpec {
  return { inShape: pool.inShape, outShape: pool.outShape, window: pool.pool, strides: pool.strides, padding: pool.padding };
}

/** Input channels each output channel reads: its group's. */
export function groupInputChannels(conv: ConvGeometry): { perGroup: number; outPerGroup: number } {
  return { perGroup: conv.inShape[2] / conv.groups, outPerGroup: conv.outShape[2] / conv.groups };
}

/**
 * The terms of output element (oy, ox, oc) of a convolution, in weight-row order (ky, kx, g):
 * for each, the flat input index or -1 over padding. Weight row oc has the same length and order.
 */
export function convTerms(conv: ConvGeometry, oy: number, ox: number, oc: number): number[] {
  const { perGroup, outPerGroup } = groupInputChannels(conv);
  const first = Math.floor(oc / outPerGroup) * perGroup;
  const terms: number[] = [];
  for (const position of windowPositions({ ...conv, window: conv.kernel }, oy, ox)) {
    for (let g = 0; g < perGroup; g++) terms.push(position < 0 ? -1 : position + first + g);
  }
  return terms;
}

/**
 * A dilated convolution's weights as the undilated kernel it equals: rows [oc][ky][kx][g] of a
 * `kernel` whose taps lie `dilation` apart become rows of the whole window they span, with zero
 * weights between the taps. Exact, and free in a circuit (a zero weight costs no constraint).
 */
export function dilateKernel(weights: Float64Array, outChannels: number, kernel: [number, number], perGroup: number, dilation: [number, number]): { window: [number, number]; weights: Float64Array } {
  const window: [number, number] = [(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1];
  const taps = kernel[0] * kernel[1] * perGroup;
  const rowLength = window[0] * window[1] * perGroup;
  const out = new Float64Array(outChannels * rowLength);
  for (let oc = 0; oc < outChannels; oc++) {
    for (let ky = 0; ky < kernel[0]; ky++) {
      for (let kx = 0; kx < kernel[1]; kx++) {
        for (let g = 0; g < perGroup; g++) {
          out[oc * rowLength + (ky * dilation[0] * window[1] + kx * dilation[1]) * perGroup + g] = weights[oc * taps + (ky * kernel[1] + kx) * perGroup + g];
        }
      }
    }
  }
  return { window, weights: out };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * An average pool as exact integers: output = multiplier[pos] * (sum of the window's valid inputs),
 * at scale inputScale / lcm. multiplier = lcm / count, where count is the number of valid (not
 * padding) inputs under the window, as TF divides by; with 'valid' pooling every count is the
 * window's area and the multiplier is 1.
 */
export function averageMultipliers(pool: PoolGeometry): { lcm: number; multipliers: number[] } {
  let found = multiplierCache.get(pool);
  if (!found) {
    const counts = poolWindowTable(pool).map((window) => window.length);
    const lcm = counts.reduce((l, n) => (l / gcd(l, n)) * n, 1);
    found = { lcm, multipliers: counts.map((n) => lcm / n) };
    multiplierCache.set(pool, found);
  }
  return found;
}

const multiplierCache = new WeakMap<PoolGeometry, { lcm: number; multipliers: number[] }>();

const convTables = new WeakMap<ConvGeometry, Int32Array>();

/**
 * convTerms for every output, computed once per convolution (the reference interpreter runs it
 * on thousands of inputs): row (oy * OW + ox) * OC + oc holds that output's input indices.
 */
export function convTermTable(conv: ConvGeometry): { table: Int32Array; rowLength: number } {
  const [oh, ow, oc] = conv.outShape;
  const rowLength = conv.kernel[0] * conv.kernel[1] * groupInputChannels(conv).perGroup;
  let table = convTables.get(conv);
  if (!table) {
    table = new Int32Array(oh * ow * oc * rowLength);
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let c = 0; c < oc; c++) table.set(convTerms(conv, oy, ox, c), ((oy * ow + ox) * oc + c) * rowLength);
    convTables.set(conv, table);
  }
  return { table, rowLength };
}

const poolTables = new WeakMap<PoolGeometry, number[][]>();

/** The valid input positions (channel 0) under each output position (oy * OW + ox), computed once per pool. */
export function poolWindowTable(pool: PoolGeometry): number[][] {
  let table = poolTables.get(pool);
  if (!table) {
    table = [];
    for (let oy = 0; oy < pool.outShape[0]; oy++) for (let ox = 0; ox < pool.outShape[1]; ox++) table.push(windowPositions(poolWindow(pool), oy, ox).filter((p) => p >= 0));
    poolTables.set(pool, table);
  }
  return table;
}
