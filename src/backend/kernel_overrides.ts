/**
 * What the native backend's two kernel sets share: ONNX Runtime's (native_kernels.ts) and oneDNN's
 * (dnnl_kernels.ts) both register over the wasm backend's kernels with `overrideKernels` and put them back with
 * `restoreKernels`, run with the same intra-op thread count, and time their calls into one table
 * (`timeNativeCalls`). Neither kernel set imports the other.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/** One intra-op thread by default: on the 2-core machine we measure on, a second thread gave no reliable gain on
 * the large convolutions and slowed the small ones (docs/BENCHMARKS.md). GANTRY_NATIVE_THREADS overrides it. */
let threads = Number(process.env.GANTRY_NATIVE_THREADS) > 0 ? Math.floor(Number(process.env.GANTRY_NATIVE_THREADS)) : 1;

/** Intra-op threads of the native libraries. */
export const nativeThreads = (): number => threads;

/** Sets the count `nativeThreads` returns; applying it to each library is the caller's job (`setOrtThreads`,
 * `setNativeThreads`). */
export function setNativeThreadCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`native threads must be a positive integer, got ${n}`);
  threads = n;
}

let callTimes: Map<string, { calls: number; ms: number }> | null = null;

/** Starts timing every native call by op signature (`npm run bench -- --profile`); returns the live table.
 * `timeNativeCalls(false)` stops it. */
export function timeNativeCalls(enabled = true): Map<string, { calls: number; ms: number }> {
  const table = new Map<string, { calls: number; ms: number }>();
  callTimes = enabled ? table : null;
  return table;
}

/** Runs one native call, timed under `key` while `timeNativeCalls` is on. */
export function timedCall(key: string, call: () => void): void {
  if (callTimes == null) return call();
  const start = performance.now();
  call();
  const entry = callTimes.get(key) ?? { calls: 0, ms: 0 };
  entry.calls++;
  entry.ms += performance.now() - start;
  callTimes.set(key, entry);
}

/**
 * Registers `funcs` over the wasm backend's kernels of the same names, remembering each replaced one in
 * `replaced` (the fallback, and what `restoreKernels` puts back). Idempotent.
 */
export function overrideKernels(
  funcs: Record<string, (args: KernelArgs) => Info>,
  replaced: Map<string, tf.KernelConfig>,
): void {
  for (const [name, func] of Object.entries(funcs)) {
    const current = tf.getKernel(name, 'wasm');
    if (current == null) throw new Error(`the wasm backend has no ${name} kernel to fall back on`);
    if (current.kernelFunc === (func as unknown)) continue;
    replaced.set(name, current);
    tf.unregisterKernel(name, 'wasm');
    // The replaced kernel's setupFunc binds the wasm functions the fallback calls.
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      setupFunc: current.setupFunc,
      kernelFunc: func as unknown as tf.KernelFunc,
    });
  }
}

/** Puts back the kernels `overrideKernels` replaced. */
export function restoreKernels(replaced: Map<string, tf.KernelConfig>): void {
  for (const [name, config] of replaced) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  replaced.clear();
}

/** Calls the kernel an override set replaced: the fallback for what the set does not take (NCHW, other attrs). */
export function callReplaced(replaced: Map<string, tf.KernelConfig>, name: string, args: KernelArgs): Info {
  return replaced.get(name)!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
}

/** tfjs's convolution geometry for NHWC tensors. */
export function conv2dInfo(
  xShape: number[],
  filterShape: number[],
  strides: tf.Conv2DAttrs['strides'],
  dilations: tf.Conv2DAttrs['dilations'],
  pad: tf.Conv2DAttrs['pad'],
  rounding: tf.Conv2DAttrs['dimRoundingMode'],
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    rounding,
    false,
    'channelsLast',
  );
}
