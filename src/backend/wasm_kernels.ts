/**
 * Training kernels the wasm backend lacks or runs slowly: Conv2DBackpropFilter (missing, tfjs #8474) and
 * Conv2DBackpropInput (naive, ~180 ms for the generator's first transposed convolution).
 *
 * Both are an im2col/col2im in plain JS over the wasm heap plus one untransposed BatchMatMul, the one
 * matmul form XNNPACK runs fast here (a transposed operand is 15-35x slower: docs/BENCHMARKS.md).
 * Kernels run with the gradient tape off; they compose the backend's own kernel functions and free
 * their intermediates with `disposeData`, as tfjs's own backends do.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type ConvInfo = tf.backend_util.Conv2DInfo;

function wasmKernel(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (config == null) throw new Error(`wasm backend has no ${name} kernel`);
  return config.kernelFunc;
}

/** The backend's own BatchMatMul, captured before the project's wrapper replaces it: its setupFunc binds
 * the wasm function and must still run when the backend initialises. */
const stockBatchMatMulConfig = tf.getKernel(tf.BatchMatMul, 'wasm')!;
const stockBatchMatMul = stockBatchMatMulConfig.kernelFunc;

/** A view of a tensor's float32 data on the wasm heap; invalid after any allocation (the heap may grow). */
function heap(backend: BackendWasm, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function matMul(backend: BackendWasm, a: Info, b: Info): Info {
  return stockBatchMatMul({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as Info;
}

function transpose2d(backend: BackendWasm, x: Info, rows: number, cols: number): Info {
  const view: Info = { dataId: x.dataId, shape: [rows, cols], dtype: 'float32' };
  return wasmKernel(tf.Transpose)({ inputs: { x: view }, backend, attrs: { perm: [1, 0] } }) as Info;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.Conv2DBackpropFilterAttrs | tf.Conv2DBackpropInputAttrs,
): ConvInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm training kernels support NHWC only, got ${attrs.dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * cols[m, (ky*kw + kx)*Ci + ci] = x[n, oy*sh - pt + ky, ox*sw - pl + kx, ci] (0 outside), m = (n, oy, ox).
 */
function im2col(x: Float32Array, cols: Float32Array, c: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight: kh, filterWidth: kw } = c;
  const pt = c.padInfo.top,
    pl = c.padInfo.left,
    sh = c.strideHeight,
    sw = c.strideWidth;
  const rowLen = kh * kw * ci;
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    const xBatch = n * inHeight * inWidth * ci;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, o += rowLen) {
        let p = o;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          for (let kx = 0; kx < kw; kx++, p += ci) {
            const ix = ox * sw - pl + kx;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) {
              cols.fill(0, p, p + ci);
            } else {
              const s = xBatch + (iy * inWidth + ix) * ci;
              if (ci === 1) cols[p] = x[s];
              else cols.set(x.subarray(s, s + ci), p);
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[n, iy, ix, ci] += cols[m, (ky*kw + kx)*Ci + ci]. dx must start zeroed. */
function col2im(cols: Float32Array, dx: Float32Array, c: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight: kh, filterWidth: kw } = c;
  const pt = c.padInfo.top,
    pl = c.padInfo.left,
    sh = c.strideHeight,
    sw = c.strideWidth;
  const rowLen = kh * kw * ci;
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    const xBatch = n * inHeight * inWidth * ci;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, o += rowLen) {
        let p = o;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= inHeight) {
            p += kw * ci;
            continue;
          }
          for (let kx = 0; kx < kw; kx++, p += ci) {
            const ix = ox * sw - pl + kx;
            if (ix < 0 || ix >= inWidth) continue;
            const d = xBatch + (iy * inWidth + ix) * ci;
            for (let k = 0; k < ci; k++) dx[d + k] += cols[p + k];
          }
        }
      }
    }
  }
}

/**
 * dW[kh, kw, Ci, Co] = im2col(x)ᵀ · dy. XNNPACK packs the right operand on every call, so the large
 * im2col matrix goes on the left (transposed explicitly) and dy, the smaller one, on the right.
 */
function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}): Info {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const c = convInfo(x.shape, attrs.filterShape, attrs);
  const m = c.batchSize * c.outHeight * c.outWidth;
  const k = c.filterHeight * c.filterWidth * c.inChannels;
  const co = c.outChannels;

  const cols = backend.makeOutput([m, k], 'float32');
  im2col(heap(backend, x), heap(backend, cols), c);
  const colsT = transpose2d(backend, cols, m, k);
  backend.disposeData(cols.dataId);
  const dw = matMul(backend, { ...colsT, shape: [1, k, m] }, { ...dy, shape: [1, m, co] });
  backend.disposeData(colsT.dataId);
  return { dataId: dw.dataId, shape: [...attrs.filterShape], dtype: 'float32' };
}

/** dx = col2im(dy · Wᵀ); also the forward pass of a transposed convolution. */
function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}): Info {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const c = convInfo(attrs.inputShape, filter.shape, attrs);
  const m = c.batchSize * c.outHeight * c.outWidth;
  const k = c.filterHeight * c.filterWidth * c.inChannels;
  const co = c.outChannels;

  const filterT = transpose2d(backend, filter, k, co);
  const cols = matMul(backend, { ...dy, shape: [1, m, co] }, { ...filterT, shape: [1, co, k] });
  const dx = backend.makeOutput([...attrs.inputShape], 'float32');
  const dxData = heap(backend, dx);
  dxData.fill(0);
  col2im(heap(backend, cols), dxData, c);
  for (const t of [filterT, cols]) backend.disposeData(t.dataId);
  return dx;
}

/**
 * BatchMatMul with a transposed operand: XNNPACK's matmul is 15-35x slower then, so transpose the operand
 * explicitly first (the wasm Transpose kernel costs ~1.3 ns an element) and multiply untransposed.
 */
function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): Info {
  const { backend } = args;
  let { a, b } = args.inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const temporaries: Info[] = [];
  const swapLastTwo = (t: Info): Info => {
    const perm = t.shape.map((_, i) => i);
    perm.splice(-2, 2, t.shape.length - 1, t.shape.length - 2);
    const out = wasmKernel(tf.Transpose)({ inputs: { x: t }, backend, attrs: { perm } }) as Info;
    temporaries.push(out);
    return out;
  };
  if (transposeA) a = swapLastTwo(a);
  if (transposeB) b = swapLastTwo(b);
  const out = stockBatchMatMul({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as Info;
  for (const t of temporaries) backend.disposeData(t.dataId);
  return out;
}

/**
 * Sum and Mean over all leading axes (bias and BatchNorm statistics and gradients of NHWC tensors): the stock
 * kernels transpose the whole tensor to put the reduced axes last; one pass in JS reads it in place, ~5x faster.
 */
const stockSumConfig = tf.getKernel(tf.Sum, 'wasm')!;
const stockMeanConfig = tf.getKernel(tf.Mean, 'wasm')!;
function reduceLeading(stock: tf.KernelConfig, mean: boolean) {
  return (args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): Info => {
    const { backend } = args;
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = rank >= 2 && x.dtype === 'float32' && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!leading) return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
    const channels = x.shape[rank - 1];
    const rows = tf.util.sizeFromShape(x.shape) / channels;
    const acc = new Float64Array(channels);
    const data = heap(backend, x);
    for (let r = 0, p = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++, p++) acc[c] += data[p];
    }
    if (mean) for (let c = 0; c < channels; c++) acc[c] /= rows;
    const shape = keepDims ? x.shape.map((d, i) => (i === rank - 1 ? d : 1)) : [channels];
    return backend.makeOutput(shape, 'float32', undefined, Float32Array.from(acc));
  };
}

/**
 * Tile as block copies (memcpy speed): the stock kernel walks the output element by element, and the
 * gradient of tfjs's batchNorm tiles per-channel values to the whole activation (43% of a classifier step).
 */
const stockTileConfig = tf.getKernel(tf.Tile, 'wasm')!;
function tile(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): Info {
  const { backend } = args;
  const { x } = args.inputs as { x: Info };
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  if (x.dtype === 'string' || x.shape.length === 0)
    return stockTileConfig.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  const inShape = x.shape;
  const rank = inShape.length;
  const outShape = inShape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const inStride = tf.util.computeStrides(inShape).concat(1);
  const outStride = tf.util.computeStrides(outShape).concat(1);
  // Writes input block `inOff` (axes ≥ axis) tiled, at `outOff`; each level copies its finished block reps times.
  const fill = (axis: number, inOff: number, outOff: number): void => {
    if (axis === rank - 1) dst.set(src.subarray(inOff, inOff + inShape[axis]), outOff);
    else
      for (let j = 0; j < inShape[axis]; j++) fill(axis + 1, inOff + j * inStride[axis], outOff + j * outStride[axis]);
    const block = inShape[axis] * outStride[axis];
    for (let k = 1; k < reps[axis]; k++) dst.copyWithin(outOff + k * block, outOff, outOff + block);
  };
  fill(0, 0, 0);
  return out;
}

/**
 * MaxPoolGrad as a scatter: each output's upstream gradient goes to its window's first maximum (the cpu
 * backend's choice on ties); the stock kernel took 16% of a classifier training step.
 */
const stockMaxPoolGradConfig = tf.getKernel(tf.MaxPoolGrad, 'wasm')!;
function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): Info {
  const { backend } = args;
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const c = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const x = heap(backend, input);
  const g = heap(backend, dy);
  const out = heap(backend, dx);
  out.fill(0);
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: channels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = c;
  const top = c.padInfo.top,
    left = c.padInfo.left;
  for (let b = 0, o = 0; b < batchSize; b++) {
    const base = b * inHeight * inWidth * channels;
    for (let r = 0; r < outHeight; r++) {
      const r0 = Math.max(0, r * strideHeight - top),
        r1 = Math.min(inHeight, r * strideHeight - top + filterHeight);
      for (let col = 0; col < outWidth; col++) {
        const c0 = Math.max(0, col * strideWidth - left),
          c1 = Math.min(inWidth, col * strideWidth - left + filterWidth);
        for (let d = 0; d < channels; d++, o++) {
          let best = -Infinity,
            at = -1;
          for (let wr = r0; wr < r1; wr++) {
            for (let wc = c0; wc < c1; wc++) {
              const p = base + (wr * inWidth + wc) * channels + d;
              if (x[p] > best) {
                best = x[p];
                at = p;
              }
            }
          }
          if (at >= 0) out[at] += g[o];
        }
      }
    }
  }
  return dx;
}

/**
 * Identity shares the input's data, as the cpu backend does, instead of copying it: the gradient tape
 * clones every tensor it saves for the backward pass, ~670 copies in one reference training step.
 * Safe because kernels never write into their inputs.
 */
function identity(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm }): Info {
  const { x } = args.inputs as { x: Info };
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Cast to the tensor's own dtype (ReLU's gradient casts a float mask to float) shares data like Identity. */
const stockCastConfig = tf.getKernel(tf.Cast, 'wasm')!;
function cast(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): Info {
  const { x } = args.inputs as { x: Info };
  if ((args.attrs as unknown as tf.CastAttrs).dtype !== x.dtype)
    return stockCastConfig.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  return identity(args);
}

/**
 * UnsortedSegmentSum (missing in tfjs-wasm): out[segmentIds[i]] += x[i] over rows of x. It is the gradient of
 * gather, which embeddings (conditional GANs) and DiffAugment's translation use. Ids outside [0, numSegments)
 * are dropped, as in TensorFlow.
 */
function unsortedSegmentSum(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}): Info {
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const { backend } = args;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length);
  const width = inner.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...inner], x.dtype);
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  dst.fill(0);
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  for (let r = 0; r < rows; r++) {
    const id = ids[r];
    if (id < 0 || id >= numSegments) continue;
    const from = r * width,
      to = id * width;
    for (let j = 0; j < width; j++) dst[to + j] += src[from + j];
  }
  return out;
}

const kernels: tf.KernelConfig[] = [
  {
    kernelName: tf.UnsortedSegmentSum,
    backendName: 'wasm',
    kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
  },
  { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identity as unknown as tf.KernelFunc },
  { kernelName: tf.Cast, backendName: 'wasm', kernelFunc: cast as unknown as tf.KernelFunc },
  {
    kernelName: tf.Sum,
    backendName: 'wasm',
    setupFunc: stockSumConfig.setupFunc,
    kernelFunc: reduceLeading(stockSumConfig, false) as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Mean,
    backendName: 'wasm',
    setupFunc: stockMeanConfig.setupFunc,
    kernelFunc: reduceLeading(stockMeanConfig, true) as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.MaxPoolGrad,
    backendName: 'wasm',
    setupFunc: stockMaxPoolGradConfig.setupFunc,
    kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Tile,
    backendName: 'wasm',
    setupFunc: stockTileConfig.setupFunc,
    kernelFunc: tile as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    setupFunc: stockBatchMatMulConfig.setupFunc,
    kernelFunc: batchMatMul as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  },
];

/** Registers (or replaces) the project's wasm kernels. Idempotent. */
export function registerWasmTrainingKernels(): void {
  for (const k of kernels) {
    if (tf.getKernel(k.kernelName, k.backendName) != null) tf.unregisterKernel(k.kernelName, k.backendName);
    tf.registerKernel(k);
  }
}
