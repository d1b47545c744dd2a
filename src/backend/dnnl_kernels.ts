/**
 * The native backend's convolutions on oneDNN (gantry's addon over Debian's libdnnl, the library PyTorch's CPU
 * convolutions use): Conv2D and FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter. Registered over the ONNX
 * Runtime kernels (or the wasm ones), which stay the fallback for what this module does not take (NCHW, PReLU,
 * paddings oneDNN cannot express). Inputs and output are views of the wasm heap, as for ORT: no copies.
 * Measured per op and per step in docs/BENCHMARKS.md.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  ADAM_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_KERNEL,
  LEAKY_RELU_KERNEL,
  LEAKY_RELU_SLOPE_KERNEL,
} from '../util/kernel_names.js';
import { type Dnnl, DnnlOp } from './dnnl.js';
import {
  callReplaced,
  conv2dInfo,
  type Info,
  type KernelArgs,
  nativeThreads,
  overrideKernels,
  restoreKernels,
  timedCall,
} from './kernel_overrides.js';

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 2, elu: 3, sigmoid: 4 };
const replaced = new Map<string, tf.KernelConfig>();
let dnnl: Dnnl | null = null;

const fallback = (name: string, args: KernelArgs): Info => callReplaced(replaced, name, args);

/** The addon's params for a tfjs convolution, or null when oneDNN's output-size rule disagrees with tfjs's. */
function convParams(c: tf.backend_util.Conv2DInfo, activation: number): number[] | null {
  const { top, left, bottom, right } = c.padInfo;
  const fits = (
    size: number,
    before: number,
    after: number,
    kernel: number,
    dilation: number,
    stride: number,
    out: number,
  ) =>
    before >= 0 &&
    after >= 0 &&
    Math.floor((size + before + after - ((kernel - 1) * dilation + 1)) / stride) + 1 === out;
  if (!fits(c.inHeight, top, bottom, c.filterHeight, c.dilationHeight, c.strideHeight, c.outHeight)) return null;
  if (!fits(c.inWidth, left, right, c.filterWidth, c.dilationWidth, c.strideWidth, c.outWidth)) return null;
  return [
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    top,
    left,
    bottom,
    right,
    c.outHeight,
    c.outWidth,
    activation,
  ];
}

/** Runs one pass into a new wasm tensor of `shape`; views are taken after the allocation (which may move the heap). */
function run(
  backend: BackendWasm,
  op: DnnlOp,
  params: number[],
  a: Info,
  b: Info,
  bias: Info | null,
  alpha: number,
  shape: number[],
): Info {
  const out = backend.makeOutput(shape, 'float32');
  if (tf.util.sizeFromShape(shape) === 0) return out;
  const view = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  timedCall(`dnnl ${op} ${params}`, () =>
    dnnl!.conv(op, params, view(a), view(b), bias ? view(bias) : null, view(out), alpha),
  );
  return out;
}

function conv2D(fused: boolean) {
  const name = fused ? tf.FusedConv2D : tf.Conv2D;
  return (args: KernelArgs): Info => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as {
      x: Info;
      filter: Info;
      bias?: Info;
      preluActivationWeights?: Info;
    };
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const activation = ACTIVATIONS[(fused ? attrs.activation : undefined) ?? 'linear'];
    const plainBias = bias == null || tf.util.sizeFromShape(bias.shape) === filter.shape[3];
    if (
      attrs.dataFormat !== 'NHWC' ||
      activation == null ||
      preluActivationWeights != null ||
      !plainBias ||
      x.dtype !== 'float32'
    )
      return fallback(name, args);
    const c = conv2dInfo(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
    const params = convParams(c, activation);
    if (params == null) return fallback(name, args);
    return run(args.backend, DnnlOp.Forward, params, x, filter, bias ?? null, attrs.leakyreluAlpha ?? 0.2, c.outShape);
  };
}

function conv2DBackpropInput(args: KernelArgs): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (attrs.dataFormat !== 'NHWC') return fallback(tf.Conv2DBackpropInput, args);
  const c = conv2dInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const params = convParams(c, 0);
  if (params == null || !tf.util.arraysEqual(c.outShape, dy.shape)) return fallback(tf.Conv2DBackpropInput, args);
  return run(args.backend, DnnlOp.BackwardData, params, dy, filter, null, 0, attrs.inputShape);
}

function conv2DBackpropFilter(args: KernelArgs): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat !== 'NHWC') return fallback(tf.Conv2DBackpropFilter, args);
  const c = conv2dInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const params = convParams(c, 0);
  if (params == null || !tf.util.arraysEqual(c.outShape, dy.shape)) return fallback(tf.Conv2DBackpropFilter, args);
  return run(args.backend, DnnlOp.BackwardWeights, params, x, dy, null, 0, attrs.filterShape);
}

const kernelFuncs: Record<string, (args: KernelArgs) => Info> = {
  [tf.Conv2D]: conv2D(false),
  [tf.FusedConv2D]: conv2D(true),
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
};

/** Adam's update of one variable in one native pass (tfjs's ops take ten passes over the heap). */
function adam({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { p, m, v, g } = inputs as Record<string, Info>;
  const outputs = [p, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  // Views only after the allocations above, which may have grown (and so replaced) the heap.
  const view = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  const scalars = attrs.scalars as number[];
  dnnl!.adam(view(p), view(m), view(v), view(g), view(outputs[0]), view(outputs[1]), view(outputs[2]), scalars);
  return outputs;
}

/** BatchNorm's training forward in three native passes (tfjs's ops: eleven kernels). */
function batchNorm({ inputs, backend, attrs }: KernelArgs): Info[] {
  const { x, gamma, beta } = inputs as Record<string, Info>;
  const [rows, c] = x.shape;
  const outputs = [x.shape, x.shape, [c], [c], [c]].map((shape) => backend.makeOutput(shape, 'float32'));
  const view = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  const [y, xhat, mean, variance, invStd] = outputs.map(view);
  dnnl!.batchNorm(view(x), view(gamma), view(beta), y, xhat, mean, variance, invStd, [
    rows,
    c,
    attrs.epsilon as number,
  ]);
  return outputs;
}

/** Its backward in two native passes. */
function batchNormGrad({ inputs, backend }: KernelArgs): Info[] {
  const { dy, xhat, gamma, invStd } = inputs as Record<string, Info>;
  const [rows, c] = dy.shape;
  const outputs = [dy.shape, [c], [c]].map((shape) => backend.makeOutput(shape, 'float32'));
  const view = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
  const [dx, dGamma, dBeta] = outputs.map(view);
  dnnl!.batchNormGrad(view(dy), view(xhat), view(gamma), view(invStd), dx, dGamma, dBeta, [rows, c]);
  return outputs;
}

/** LeakyReLU, or its derivative, in one native pass (tfjs's ops: five kernels forward, nine backward). */
function leakyRelu(slope: 0 | 1) {
  return ({ inputs, backend, attrs }: KernelArgs): Info => {
    const { x } = inputs as Record<string, Info>;
    const y = backend.makeOutput(x.shape, 'float32');
    const view = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array;
    dnnl!.leakyRelu(view(x), view(y), [attrs.alpha as number, slope]);
    // One output, returned alone: runKernel then hands back a tensor, not a list.
    return y;
  };
}

const ownKernels: Record<string, (args: KernelArgs) => Info | Info[]> = {
  [ADAM_KERNEL]: adam,
  [BATCH_NORM_KERNEL]: batchNorm,
  [BATCH_NORM_GRAD_KERNEL]: batchNormGrad,
  [LEAKY_RELU_KERNEL]: leakyRelu(0),
  [LEAKY_RELU_SLOPE_KERNEL]: leakyRelu(1),
};

/** LeakyReLU's gradient is dy times its derivative; the derivative's own gradient is zero (as relu's step). */
const ownGradients: tf.GradConfig[] = [
  {
    kernelName: LEAKY_RELU_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({
      x: () =>
        tf.mul(dy as tf.Tensor, tf.engine().runKernel(LEAKY_RELU_SLOPE_KERNEL, { x: saved[0] }, attrs) as tf.Tensor),
    }),
  },
  { kernelName: LEAKY_RELU_SLOPE_KERNEL, gradFunc: (dy) => ({ x: () => tf.zerosLike(dy as tf.Tensor) }) },
];

/** Replaces the wasm backend's convolution kernels (as registered now: ORT's or wasm's) with oneDNN ones. */
export function registerDnnlKernels(addon: Dnnl): void {
  dnnl = addon;
  addon.setThreads(nativeThreads());
  overrideKernels(kernelFuncs, replaced);
  for (const [kernelName, f] of Object.entries(ownKernels))
    if (tf.getKernel(kernelName, 'wasm') == null)
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: f as unknown as tf.KernelFunc });
  // Gradients are per kernel name, not per backend: registered once, used only where the kernels run.
  for (const g of ownGradients) if (tf.getGradient(g.kernelName) == null) tf.registerGradient(g);
}

/** Puts back the kernels `registerDnnlKernels` replaced (call before `unregisterNativeKernels`). */
export function unregisterDnnlKernels(): void {
  restoreKernels(replaced);
  for (const kernelName of Object.keys(ownKernels))
    if (tf.getKernel(kernelName, 'wasm') != null) tf.unregisterKernel(kernelName, 'wasm');
}
