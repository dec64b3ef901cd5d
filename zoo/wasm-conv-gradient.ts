/**
 * The one kernel TF.js's wasm backend lacks to train convolutions: Conv2DBackpropFilter, the
 * gradient of a Conv2D kernel (tfjs-backend-wasm 4.22 has Conv2D and Conv2DBackpropInput only).
 * train.ts registers it so the zoo's CNNs train on the same backend as its dense models.
 *
 * It is built from the backend's own Transpose and Conv2D kernels. For stride 1 and 'valid' padding
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh + kh, ow + kw, ci] · dy[b, oh, ow, co],
 * which is a 'valid' convolution of x with its batch and channel axes swapped ([ci, h, w, b]) by dy
 * read as a filter ([oh, ow, b, co]): its result [ci, kh, kw, co] is dW up to a transpose.
 * 'same' padding (stride 1: the output keeps the input's size) is the same sum over x padded with
 * zeros as TF.js pads it (kh - 1 rows in all, the extra one at the bottom): that convolution with
 * explicit padding of x's spatial axes.
 */
import * as tf from '@tensorflow/tfjs';
import { ZkinferError } from '../core/errors.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];

function kernelOf(name: string): KernelFunc {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new ZkinferError('INTERNAL', `the TF.js wasm backend has no ${name} kernel`);
  return kernel.kernelFunc;
}

const isOne = (value: number | readonly number[]) => (typeof value === 'number' ? value === 1 : value.every((v) => v === 1));

/** Register the kernel (once; the wasm backend must be initialised). */
export function registerConv2dFilterGradient(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const transpose = kernelOf('Transpose');
  const conv2d = kernelOf('Conv2D');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (!isOne(strides) || (pad !== 'valid' && pad !== 'same') || dataFormat !== 'NHWC') {
        throw new ZkinferError('INTERNAL', `zoo training supports Conv2D with stride 1, 'valid' or 'same' padding and channels last only`, {
          details: { strides, pad, dataFormat },
        });
      }
      const run = (kernel: KernelFunc, kernelInputs: Record<string, tf.TensorInfo>, kernelAttrs: Record<string, unknown>) =>
        kernel({ inputs: kernelInputs, backend, attrs: kernelAttrs as tf.NamedAttrMap }) as tf.TensorInfo;
      const xT = run(transpose, { x }, { perm: [3, 1, 2, 0] });
      const dyT = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
      const [kh, kw] = filterShape;
      const sides = (k: number) => [Math.floor((k - 1) / 2), k - 1 - Math.floor((k - 1) / 2)];
      const padding = pad === 'valid' ? 'valid' : [[0, 0], sides(kh), sides(kw), [0, 0]];
      const product = run(conv2d, { x: xT, filter: dyT }, { strides: [1, 1], pad: padding, dataFormat: 'NHWC', dilations: [1, 1] });
      const dW = run(transpose, { x: product }, { perm: [1, 2, 0, 3] });
      for (const intermediate of [xT, dyT, product]) (backend as tf.KernelBackend).disposeData(intermediate.dataId);
      if (dW.shape.join() !== filterShape.join()) {
        throw new ZkinferError('INTERNAL', `Conv2DBackpropFilter computed shape [${dW.shape}], expected [${filterShape}]`);
      }
      return dW;
    },
  });
}
