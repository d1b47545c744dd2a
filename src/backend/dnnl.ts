/**
 * The one place that loads gantry's oneDNN addon (native/gantry_dnnl.cc, built at install time by
 * scripts/build-native.mjs when Debian's libdnnl-dev is present). oneDNN is the library behind PyTorch's CPU
 * convolutions; where the addon is missing the native backend runs its convolutions on ONNX Runtime instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Which convolution pass `conv` runs. */
export const DnnlOp = { Forward: 0, BackwardData: 1, BackwardWeights: 2 } as const;
export type DnnlOp = (typeof DnnlOp)[keyof typeof DnnlOp];

export interface Dnnl {
  version: string;
  /**
   * Runs one convolution pass synchronously on caller-owned memory (views of the wasm heap work).
   * params: n h w c o kh kw sh sw dh dw padTop padLeft padBottom padRight outH outW activation.
   * Forward: a = x (NHWC), b = filter (HWIO), out = y. BackwardData: a = dy, b = filter, out = dx.
   * BackwardWeights: a = x, b = dy, out = dfilter.
   */
  conv(
    op: DnnlOp,
    params: number[],
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    alpha: number,
  ): void;
  setThreads(n: number): void;
  /** One Adam update in one pass, bit-identical to src/train/adam.ts's tfjs ops (scalars as that file lists them). */
  adam(
    p: Float32Array,
    m: Float32Array,
    v: Float32Array,
    g: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    scalars: number[],
  ): void;
  /** BatchNorm's training forward over [rows, c] (src/networks/layers.ts's batchNormFast), in three passes. */
  batchNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    xhat: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    invStd: Float32Array,
    scalars: [rows: number, c: number, epsilon: number],
  ): void;
  /** Its backward: dx, dγ and dβ from dy, x̂, γ and invStd, in two passes. */
  batchNormGrad(
    dy: Float32Array,
    xhat: Float32Array,
    gamma: Float32Array,
    invStd: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
    scalars: [rows: number, c: number],
  ): void;
  /** LeakyReLU, or with slope 1 its derivative, in one pass. */
  leakyRelu(x: Float32Array, y: Float32Array, scalars: [alpha: number, slope: 0 | 1]): void;
}

export const DNNL_ADDON = fileURLToPath(new URL('../../../native/build/Release/gantry_dnnl.node', import.meta.url));

let loaded: Dnnl | null = null;

/** Loads the addon, or throws an Error saying why it cannot. */
export function loadDnnl(): Dnnl {
  if (loaded) return loaded;
  if (!existsSync(DNNL_ADDON))
    throw new Error('the oneDNN addon is not built (apt-get install libdnnl-dev, then npm run build:native)');
  const addon = createRequire(import.meta.url)(DNNL_ADDON) as Omit<Dnnl, 'version'> & { version(): string };
  loaded = {
    version: addon.version(),
    conv: addon.conv,
    setThreads: addon.setThreads,
    adam: addon.adam,
    batchNorm: addon.batchNorm,
    batchNormGrad: addon.batchNormGrad,
    leakyRelu: addon.leakyRelu,
  };
  return loaded;
}
