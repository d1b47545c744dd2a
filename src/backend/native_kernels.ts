/**
 * ONNX Runtime kernels for the `native` backend: the wasm backend with its heavy ops (Conv2D and FusedConv2D,
 * Conv2DBackpropInput, Conv2DBackpropFilter, BatchMatMul and _FusedMatMul, large Sum and Mean) run by ONNX Runtime's
 * CPU kernels (MLAS: AVX2/AVX-512 on x64, NEON on arm64) instead of XNNPACK-in-wasm. Everything else stays on wasm.
 *
 * No copies in or out: ORT reads its inputs and writes its output through Float32Array views of the wasm heap
 * (the output is allocated by the wasm backend first; no JS runs during the synchronous call, so the heap cannot
 * move under it). Each op signature (op, shapes, attributes) compiles one ORT session, cached for the process.
 * Layout: tfjs is NHWC, ONNX's Conv is NCHW; the transposes are nodes of the same graph, one call with the op
 * (they cost ~10% of the largest convolution: docs/BENCHMARKS.md).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  callReplaced,
  conv2dInfo,
  type Info,
  type KernelArgs,
  nativeThreads,
  overrideKernels,
  restoreKernels,
  setNativeThreadCount,
  timedCall,
} from './kernel_overrides.js';
import { type OnnxGraph, type OnnxNode, onnxModel } from './onnx.js';
import type { OrtRuntime, OrtSession } from './ort.js';

/** The wasm kernels the native ones replaced: the fallback for what ONNX cannot express, and restored by
 * `unregisterNativeKernels`. */
const replaced = new Map<string, tf.KernelConfig>();

let ort: OrtRuntime | null = null;
const sessions = new Map<string, OrtSession>();

/** Intra-op threads of ORT sessions (recompiles them); `setNativeThreads` sets oneDNN's as well. */
export function setOrtThreads(n: number): void {
  setNativeThreadCount(n);
  for (const s of sessions.values()) s.dispose();
  sessions.clear();
}

/** Runs the graph `build()` (cached under `key`) on wasm-heap inputs, into a new wasm tensor of `shape`. */
function runGraph(
  backend: BackendWasm,
  key: string,
  build: () => OnnxGraph,
  inputs: Record<string, Info>,
  shape: number[],
): Info {
  let session = sessions.get(key);
  if (session == null) {
    session = ort!.session(onnxModel(build()), nativeThreads());
    sessions.set(key, session);
  }
  const out = backend.makeOutput(shape, 'float32');
  if (tf.util.sizeFromShape(shape) === 0) return out;
  // Views only after the allocation above, which may have grown (and so replaced) the heap.
  const feeds: Record<string, ReturnType<OrtRuntime['tensor']>> = {};
  for (const [name, t] of Object.entries(inputs))
    feeds[name] = ort!.tensor(backend.typedArrayFromHeap(t) as Float32Array, t.shape);
  timedCall(key, () => session.run(feeds, { y: ort!.tensor(backend.typedArrayFromHeap(out) as Float32Array, shape) }));
  return out;
}

const transpose = (input: string, output: string, perm: number[]): OnnxNode => ({
  op: 'Transpose',
  inputs: [input],
  outputs: [output],
  attributes: { perm },
});
const float = (name: string, shape: number[]) => ({ name, shape });

/** The ONNX nodes of a fused activation applied to `input`, or null when ONNX has no single op for it. */
function activationNodes(
  activation: string | undefined,
  alpha: number | undefined,
  input: string,
  output: string,
): OnnxNode[] | null {
  switch (activation ?? 'linear') {
    case 'linear':
      return [{ op: 'Identity', inputs: [input], outputs: [output] }];
    case 'relu':
      return [{ op: 'Relu', inputs: [input], outputs: [output] }];
    case 'elu':
      return [{ op: 'Elu', inputs: [input], outputs: [output] }];
    case 'sigmoid':
      return [{ op: 'Sigmoid', inputs: [input], outputs: [output] }];
    case 'leakyrelu':
      return [{ op: 'LeakyRelu', inputs: [input], outputs: [output], attributes: { alpha: { float: alpha ?? 0.2 } } }];
    default:
      return null;
  }
}

const fallback = (name: string, args: KernelArgs): Info => callReplaced(replaced, name, args);

/** ONNX pads [top, left, bottom, right] of a tfjs convolution. */
const onnxPads = (c: tf.backend_util.Conv2DInfo) => [c.padInfo.top, c.padInfo.left, c.padInfo.bottom, c.padInfo.right];

/** Conv2D and FusedConv2D (bias of one value per channel; linear, relu, elu, sigmoid or leakyrelu). */
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
    const act = fused
      ? activationNodes(attrs.activation, attrs.leakyreluAlpha, 'z', 'yt')
      : activationNodes('linear', 0, 'z', 'yt');
    const channels = filter.shape[3];
    if (
      attrs.dataFormat !== 'NHWC' ||
      act == null ||
      preluActivationWeights != null ||
      (bias != null && tf.util.sizeFromShape(bias.shape) !== channels)
    )
      return fallback(name, args);
    const c = conv2dInfo(x.shape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
    const key = `conv ${x.shape} ${filter.shape} ${onnxPads(c)} ${c.strideHeight},${c.strideWidth} ${c.dilationHeight},${c.dilationWidth} ${bias != null} ${attrs.activation} ${attrs.leakyreluAlpha}`;
    const build = (): OnnxGraph => ({
      nodes: [
        transpose('x', 'xt', [0, 3, 1, 2]),
        transpose('w', 'wt', [3, 2, 0, 1]),
        ...(bias ? [{ op: 'Reshape', inputs: ['b', 'channels'], outputs: ['bt'] }] : []),
        {
          op: 'Conv',
          inputs: bias ? ['xt', 'wt', 'bt'] : ['xt', 'wt'],
          outputs: ['z'],
          attributes: {
            kernel_shape: [c.filterHeight, c.filterWidth],
            strides: [c.strideHeight, c.strideWidth],
            dilations: [c.dilationHeight, c.dilationWidth],
            pads: onnxPads(c),
          },
        },
        ...act,
        transpose('yt', 'y', [0, 2, 3, 1]),
      ],
      inputs: [float('x', x.shape), float('w', filter.shape), ...(bias ? [float('b', bias.shape)] : [])],
      outputs: [float('y', c.outShape)],
      constants: bias ? { channels: [channels] } : {},
    });
    return runGraph(args.backend, key, build, bias ? { x, w: filter, b: bias } : { x, w: filter }, c.outShape);
  };
}

/** dx of a convolution: ONNX ConvTranspose, its output cropped or zero-extended to the input's size. */
function conv2DBackpropInput(args: KernelArgs): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (attrs.dataFormat !== 'NHWC') return fallback(tf.Conv2DBackpropInput, args);
  const c = conv2dInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  // ConvTranspose's full output spans (out − 1)·stride + kernel; crop the top/left padding, then the
  // bottom/right down to the input size, or extend it with zeros (rows the convolution never read).
  const full = [(c.outHeight - 1) * c.strideHeight + c.filterHeight, (c.outWidth - 1) * c.strideWidth + c.filterWidth];
  const tail = [full[0] - c.padInfo.top - c.inHeight, full[1] - c.padInfo.left - c.inWidth];
  const key = `convT ${dy.shape} ${filter.shape} ${attrs.inputShape} ${onnxPads(c)} ${c.strideHeight},${c.strideWidth}`;
  const build = (): OnnxGraph => ({
    nodes: [
      transpose('dy', 'dyt', [0, 3, 1, 2]),
      transpose('w', 'wt', [3, 2, 0, 1]),
      {
        op: 'ConvTranspose',
        inputs: ['dyt', 'wt'],
        outputs: ['dxt'],
        attributes: {
          kernel_shape: [c.filterHeight, c.filterWidth],
          strides: [c.strideHeight, c.strideWidth],
          pads: [c.padInfo.top, c.padInfo.left, Math.max(0, tail[0]), Math.max(0, tail[1])],
          output_padding: [Math.max(0, -tail[0]), Math.max(0, -tail[1])],
        },
      },
      transpose('dxt', 'y', [0, 2, 3, 1]),
    ],
    inputs: [float('dy', dy.shape), float('w', filter.shape)],
    outputs: [float('y', attrs.inputShape)],
  });
  return runGraph(args.backend, key, build, { dy, w: filter }, attrs.inputShape);
}

/**
 * dfilter of a convolution, itself a convolution: with batch and channels swapped, x (Ci, N, H, W) convolved
 * with dy (Co, N, outH, outW) dilated by the stride gives (Ci, Co, kh', kw'), cropped to the filter's size.
 */
function conv2DBackpropFilter(args: KernelArgs): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat !== 'NHWC') return fallback(tf.Conv2DBackpropFilter, args);
  const c = conv2dInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const reach = [
    c.inHeight + c.padInfo.top + c.padInfo.bottom - c.strideHeight * (c.outHeight - 1),
    c.inWidth + c.padInfo.left + c.padInfo.right - c.strideWidth * (c.outWidth - 1),
  ];
  const crop = reach[0] > c.filterHeight || reach[1] > c.filterWidth;
  const key = `convW ${x.shape} ${dy.shape} ${attrs.filterShape} ${onnxPads(c)} ${c.strideHeight},${c.strideWidth}`;
  const build = (): OnnxGraph => ({
    nodes: [
      transpose('x', 'xt', [3, 0, 1, 2]),
      transpose('dy', 'dyt', [3, 0, 1, 2]),
      {
        op: 'Conv',
        inputs: ['xt', 'dyt'],
        outputs: ['full'],
        attributes: {
          kernel_shape: [c.outHeight, c.outWidth],
          dilations: [c.strideHeight, c.strideWidth],
          pads: onnxPads(c),
        },
      },
      ...(crop ? [{ op: 'Slice', inputs: ['full', 'starts', 'ends', 'axes'], outputs: ['dw'] }] : []),
      transpose(crop ? 'dw' : 'full', 'y', [2, 3, 0, 1]),
    ],
    inputs: [float('x', x.shape), float('dy', dy.shape)],
    outputs: [float('y', attrs.filterShape)],
    constants: crop ? { starts: [0, 0], ends: [c.filterHeight, c.filterWidth], axes: [2, 3] } : {},
  });
  return runGraph(args.backend, key, build, { x, dy }, attrs.filterShape);
}

/** BatchMatMul and _FusedMatMul (bias, activation as for convolutions); transposes fold into ORT's MatMul. */
function batchMatMul(fused: boolean) {
  const name = fused ? tf._FusedMatMul : tf.BatchMatMul;
  return (args: KernelArgs): Info => {
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: Info;
      b: Info;
      bias?: Info;
      preluActivationWeights?: Info;
    };
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const act = activationNodes(fused ? attrs.activation : 'linear', attrs.leakyreluAlpha, bias ? 'z' : 'p', 'y');
    if (
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      act == null ||
      preluActivationWeights != null ||
      a.shape.length < 2 ||
      b.shape.length < 2
    )
      return fallback(name, args);
    const m = attrs.transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
    const n = attrs.transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const shape = [...batch, m, n];
    const swapLast = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];
    const key = `matmul ${a.shape} ${b.shape} ${attrs.transposeA} ${attrs.transposeB} ${bias?.shape} ${attrs.activation} ${attrs.leakyreluAlpha}`;
    const build = (): OnnxGraph => ({
      nodes: [
        ...(attrs.transposeA ? [transpose('a', 'at', swapLast(a.shape.length))] : []),
        ...(attrs.transposeB ? [transpose('b', 'bt', swapLast(b.shape.length))] : []),
        { op: 'MatMul', inputs: [attrs.transposeA ? 'at' : 'a', attrs.transposeB ? 'bt' : 'b'], outputs: ['p'] },
        ...(bias ? [{ op: 'Add', inputs: ['p', 'bias'], outputs: ['z'] }] : []),
        ...act,
      ],
      inputs: [float('a', a.shape), float('b', b.shape), ...(bias ? [float('bias', bias.shape)] : [])],
      outputs: [float('y', shape)],
    });
    return runGraph(args.backend, key, build, bias ? { a, b, bias } : { a, b }, shape);
  };
}

/** Below this many elements a reduction costs less on wasm than one ORT call. */
const MIN_NATIVE_REDUCTION = 4096;

/** Sum and Mean (ORT's ReduceSum/ReduceMean: vectorised, ~15x the wasm Sum over the batch axes of an activation). */
function reduce(op: 'ReduceSum' | 'ReduceMean') {
  const name = op === 'ReduceSum' ? tf.Sum : tf.Mean;
  return (args: KernelArgs): Info => {
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < MIN_NATIVE_REDUCTION) return fallback(name, args);
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const shape = x.shape
      .filter((_, i) => !axes.includes(i) || keepDims)
      .map((d, i) => (keepDims && axes.includes(i) ? 1 : d));
    const key = `${op} ${x.shape} ${axes} ${keepDims}`;
    const build = (): OnnxGraph => ({
      // Opset 17: ReduceSum takes its axes as an input, ReduceMean as an attribute.
      nodes:
        op === 'ReduceSum'
          ? [{ op, inputs: ['x', 'axes'], outputs: ['y'], attributes: { keepdims: keepDims ? 1 : 0 } }]
          : [{ op, inputs: ['x'], outputs: ['y'], attributes: { keepdims: keepDims ? 1 : 0, axes } }],
      inputs: [float('x', x.shape)],
      outputs: [float('y', shape)],
      constants: op === 'ReduceSum' ? { axes } : {},
    });
    return runGraph(args.backend, key, build, { x }, shape);
  };
}

const kernelFuncs: Record<string, (args: KernelArgs) => Info> = {
  [tf.Conv2D]: conv2D(false),
  [tf.FusedConv2D]: conv2D(true),
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
  [tf.BatchMatMul]: batchMatMul(false),
  [tf._FusedMatMul]: batchMatMul(true),
  [tf.Sum]: reduce('ReduceSum'),
  [tf.Mean]: reduce('ReduceMean'),
};

/** Replaces the wasm backend's heavy kernels (as registered now) with ONNX Runtime ones. Idempotent. */
export function registerNativeKernels(runtime: OrtRuntime): void {
  ort = runtime;
  overrideKernels(kernelFuncs, replaced);
}

/** Puts back the kernels `registerNativeKernels` replaced. */
export function unregisterNativeKernels(): void {
  restoreKernels(replaced);
}
