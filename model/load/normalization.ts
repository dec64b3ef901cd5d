/**
 * Keras's Normalization layer, which TF.js does not have: registered with TF.js under its Keras
 * class name, so that models that start with one (the Keras tutorials' default) load, and TF.js's
 * predict computes what Keras does:
 *   y = (x - mean) / max(sqrt(variance), 1e-7), or with invert: y = mean + x * max(sqrt(variance), 1e-7),
 * with one mean and variance per index of the `axis` axes (default -1, the channels; null: one for all).
 * The statistics come from the config (Normalization({mean, variance})) or, after adapt(), from the
 * weights 'mean' and 'variance' (and the int32 'count', unused), as the TF.js converter writes them.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { quoted } from '../../core/errors.js';

type Tf = typeof import('@tensorflow/tfjs');

/** Keras's backend.epsilon(): the least standard deviation Normalization divides by. */
export const KERAS_EPSILON = 1e-7;

export interface NormalizationArgs {
  axis?: number | number[] | null;
  mean?: number | number[] | null;
  variance?: number | number[] | null;
  invert?: boolean;
  name?: string;
  inputShape?: number[];
}

/**
 * The axes (counted with the batch axis first, so 1..rank) that have statistics of their own, in
 * order, or a message saying what is wrong with `axis` for an input of `rank` axes (batch excluded).
 */
export function normalizationAxes(axis: unknown, rank: number): number[] | string {
  const list = axis === null ? [] : Array.isArray(axis) ? axis : [axis ?? -1];
  if (!list.every((a) => Number.isInteger(a))) return `axis must be an integer, a list of integers or null, found ${quoted(axis)}`;
  const axes = (list as number[]).map((a) => (a < 0 ? a + rank + 1 : a));
  if (axes.some((a) => a < 1 || a > rank)) return `axis ${quoted(axis)} is not an axis of a [batch, ${rank} more] input (the batch axis 0 cannot have statistics)`;
  if (new Set(axes).size !== axes.length) return `axis ${quoted(axis)} names an axis twice`;
  return axes.sort((a, b) => a - b);
}

let registered: (new (args: NormalizationArgs) => tfTypes.layers.Layer) | undefined;

/** Register Normalization with TF.js (once) and return its class. */
export function registerNormalization(tf: Tf): new (args: NormalizationArgs) => tfTypes.layers.Layer {
  if (registered) return registered;
  class Normalization extends tf.layers.Layer {
    static className = 'Normalization';
    private readonly axis: number | number[] | null;
    private readonly mean: number | number[] | null;
    private readonly variance: number | number[] | null;
    private readonly invert: boolean;
    private statistics?: { mean: tfTypes.Tensor; variance: tfTypes.Tensor };
    private meanWeight?: tfTypes.LayerVariable;
    private varianceWeight?: tfTypes.LayerVariable;

    constructor(args: NormalizationArgs) {
      super(args);
      this.axis = args.axis === undefined ? -1 : args.axis;
      this.mean = args.mean ?? null;
      this.variance = args.variance ?? null;
      this.invert = args.invert ?? false;
    }

    override build(inputShape: tfTypes.Shape | tfTypes.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfTypes.Shape;
      const axes = normalizationAxes(this.axis, shape.length - 1);
      if (typeof axes === 'string') throw new Error(`Normalization: ${axes}`);
      const kept = axes.map((a) => shape[a] as number);
      // Statistics broadcast against [batch, ...]: size 1 on the axes without statistics of their own.
      const broadcast = shape.map((d, a) => (axes.includes(a) ? (d as number) : 1));
      if (this.mean !== null && this.variance !== null) {
        const size = kept.reduce((p, d) => p * d, 1);
        const full = (v: number | number[]) => (Array.isArray(v) ? v : new Array<number>(size).fill(v));
        this.statistics = { mean: tf.keep(tf.tensor(full(this.mean), broadcast)), variance: tf.keep(tf.tensor(full(this.variance), broadcast)) };
      } else {
        this.meanWeight = this.addWeight('mean', kept, 'float32', tf.initializers.zeros(), undefined, false);
        this.varianceWeight = this.addWeight('variance', kept, 'float32', tf.initializers.ones(), undefined, false);
        this.addWeight('count', [], 'int32', tf.initializers.zeros(), undefined, false);
      }
      this.built = true;
    }

    override call(inputs: tfTypes.Tensor | tfTypes.Tensor[]): tfTypes.Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const broadcast = x.shape.map((d, a) => (a === 0 ? 1 : d));
        const axes = normalizationAxes(this.axis, x.shape.length - 1) as number[];
        const shaped = (t: tfTypes.Tensor) => t.reshape(broadcast.map((d, a) => (axes.includes(a) ? d : 1)));
        const mean = this.statistics?.mean ?? shaped(this.meanWeight!.read());
        const variance = this.statistics?.variance ?? shaped(this.varianceWeight!.read());
        const deviation = tf.maximum(tf.sqrt(variance), KERAS_EPSILON);
        return this.invert ? tf.add(mean, tf.mul(x, deviation)) : tf.div(tf.sub(x, mean), deviation);
      });
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { ...super.getConfig(), axis: this.axis, mean: this.mean, variance: this.variance, invert: this.invert };
    }
  }
  tf.serialization.registerClass(Normalization);
  registered = Normalization;
  return Normalization;
}
