/**
 * The building blocks networks are made of: a parameter store with stable names (what checkpoints save),
 * and layers as small classes over plain tfjs ops. Tensors are NHWC.
 *
 * Initialisation follows PyTorch's defaults, which the reference DCGAN relies on: weights and biases
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (kaiming_uniform with a = sqrt(5)), BatchNorm gamma 1 and beta 0.
 * Layers take `LayerOptions` for the other initialisations and for spectral normalisation.
 *
 * Everything a discriminator uses is differentiable twice (gradient penalties differentiate ∂D/∂x again):
 * pooling and upsampling are reshapes and reductions, not tfjs's pooling and resize ops, whose gradients have
 * no gradient of their own; training-mode BatchNorm takes plain ops when `RunMode.secondOrder` is set.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_KERNEL, LEAKY_RELU_KERNEL } from '../util/kernel_names.js';
import type { Rng } from '../util/random.js';

/** Weight initialisation: PyTorch's defaults (the reference), N(0, 0.02) (DCGAN paper), or orthogonal. */
export const INITS = ['pytorch', 'normal', 'orthogonal'] as const;
export type Init = (typeof INITS)[number];

/** How a network is being run. */
export interface RunMode {
  /** Batch statistics (true) or running statistics (false) in BatchNorm. */
  training: boolean;
  /** Whether a training-mode pass updates its buffers: BatchNorm's running statistics and spectral norm's u, v. */
  updateStats?: boolean;
  /**
   * Training-mode BatchNorm as plain tf ops differentiated by the tape, so that gradients of gradients are exact
   * (set it for passes inside a gradient penalty). The default hand-written BatchNorm gradient is faster but its
   * own derivative treats the batch statistics as constants.
   */
  secondOrder?: boolean;
  /**
   * Sums a small tensor over the processes of a data-parallel run (--sync-batchnorm): training-mode BatchNorm then
   * normalises with the global batch's moments, and its gradient uses the global sums. Not used by `secondOrder`
   * passes (penalties), which keep their process's batch statistics.
   */
  reduce?: (t: tf.Tensor) => tf.Tensor;
  /**
   * The running statistics' momentum for this pass instead of the layer's own: standing statistics (train/ema.ts)
   * pass 1/k at their k-th pass, which makes the running statistics the plain average over the passes.
   */
  statsMomentum?: number;
  /** Inference with a style-based G: ψ, how far w stays from the tracked mean w (1: untruncated, 0: the mean). */
  truncation?: number;
}

/** Per-layer options; the defaults are the reference behaviour (PyTorch init, no spectral norm). */
export interface LayerOptions {
  init?: Init;
  /** Divide the weight by its spectral norm, estimated by power iteration (Miyato et al. 2018). */
  spectralNorm?: boolean;
}

/** The named variables of one network: trainable parameters and non-trainable buffers, in creation order. */
export class ParamStore {
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();

  constructor(readonly rng: Rng) {}

  param(name: string, shape: number[], values: Float32Array): tf.Variable {
    return this.add(this.params, name, shape, values, true);
  }

  buffer(name: string, shape: number[], values: Float32Array): tf.Variable {
    return this.add(this.buffers, name, shape, values, false);
  }

  uniform(name: string, shape: number[], bound: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    return this.param(name, shape, this.rng.uniforms(size, -bound, bound));
  }

  /**
   * A weight: 'pytorch' U(−bound, bound), 'normal' N(0, 0.02), or 'orthogonal' over its matrix view
   * [size / last, last] (fanIn × fanOut for dense and conv kernels).
   */
  weight(name: string, shape: number[], init: Init, bound: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    if (init === 'pytorch') return this.uniform(name, shape, bound);
    if (init === 'normal')
      return this.param(
        name,
        shape,
        this.rng.normals(size).map((v) => v * 0.02),
      );
    const cols = shape[shape.length - 1];
    return this.param(name, shape, orthogonal(this.rng, size / cols, cols));
  }

  /** A bias: U(−bound, bound) with PyTorch's init, zeros with the others. */
  bias(name: string, size: number, init: Init, bound: number): tf.Variable {
    return init === 'pytorch' ? this.uniform(name, [size], bound) : this.param(name, [size], new Float32Array(size));
  }

  /** Every variable by name, parameters then buffers. */
  all(): Map<string, tf.Variable> {
    return new Map([...this.params, ...this.buffers]);
  }

  dispose(): void {
    for (const v of this.all().values()) v.dispose();
  }

  private add(
    into: Map<string, tf.Variable>,
    name: string,
    shape: number[],
    values: Float32Array,
    trainable: boolean,
  ): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const initial = tf.tensor(values, shape, 'float32');
    const v = tf.variable(initial, trainable);
    initial.dispose();
    into.set(name, v);
    return v;
  }
}

/**
 * A rows × cols matrix (row-major) with orthonormal columns (rows ≥ cols) or rows: modified Gram-Schmidt, run
 * twice, over seeded standard normal vectors.
 */
export function orthogonal(rng: Rng, rows: number, cols: number): Float32Array {
  const k = Math.min(rows, cols);
  const len = Math.max(rows, cols);
  const q: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const v = Float64Array.from(rng.normals(len));
    for (let pass = 0; pass < 2; pass++) {
      for (const b of q) {
        let dot = 0;
        for (let j = 0; j < len; j++) dot += v[j] * b[j];
        for (let j = 0; j < len; j++) v[j] -= dot * b[j];
      }
    }
    let norm = 0;
    for (let j = 0; j < len; j++) norm += v[j] * v[j];
    norm = Math.sqrt(norm);
    for (let j = 0; j < len; j++) v[j] /= norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows >= cols ? q[c][r] : q[r][c];
  }
  return out;
}

function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) + 1e-12;
  return v.map((x) => x / norm);
}

/** x / max(‖x‖, 1e-12) over a whole (column) tensor. */
function l2Normalise(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x), 1e-12));
}

/**
 * Spectral normalisation of one weight, as PyTorch's `spectral_norm`: W / σ with σ = vᵀ W u over the weight's
 * matrix view W [size / last, last] (a conv kernel as [kh·kw·in, out]). Each training-mode pass (that updates
 * buffers) takes one power-iteration step first; u and v are buffers (`${name}/sn_u`, `${name}/sn_v`), leaves of
 * the tape, so σ's gradient treats them as constants. Inference passes use the stored u and v.
 */
export class SpectralNorm {
  readonly u: tf.Variable;
  readonly v: tf.Variable;
  readonly rows: number;
  readonly cols: number;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly weight: tf.Variable,
  ) {
    this.cols = weight.shape[weight.rank - 1];
    this.rows = weight.size / this.cols;
    const u = normalise(store.rng.normals(this.cols));
    const w = weight.dataSync();
    const v = new Float32Array(this.rows);
    for (let r = 0; r < this.rows; r++) {
      let acc = 0;
      for (let c = 0; c < this.cols; c++) acc += w[r * this.cols + c] * u[c];
      v[r] = acc;
    }
    this.u = store.buffer(`${name}/sn_u`, [this.cols], u);
    this.v = store.buffer(`${name}/sn_v`, [this.rows], normalise(v));
  }

  /** σ as estimated by the current u and v. */
  sigma(): tf.Scalar {
    return tf.tidy(() => {
      const w2 = tf.reshape(this.weight, [this.rows, this.cols]) as tf.Tensor2D;
      return tf.sum(
        tf.mul(tf.matMul(w2, tf.reshape(this.u, [this.cols, 1]) as tf.Tensor2D), tf.reshape(this.v, [this.rows, 1])),
      );
    });
  }

  /** W / σ, after one power-iteration step in a training-mode pass. */
  apply(mode: RunMode): tf.Tensor {
    return tf.tidy(() => {
      if (mode.training && (mode.updateStats ?? true)) {
        const w2 = tf.reshape(this.weight, [this.rows, this.cols]) as tf.Tensor2D;
        const v = l2Normalise(tf.matMul(w2, tf.reshape(this.u, [this.cols, 1]) as tf.Tensor2D));
        const u = l2Normalise(tf.matMul(w2, v as tf.Tensor2D, true, false));
        this.v.assign(tf.reshape(v, [this.rows]));
        this.u.assign(tf.reshape(u, [this.cols]));
      }
      return tf.div(this.weight, this.sigma());
    });
  }
}

/** The layer's weight, or W / σ(W) with spectral norm; the spectral norm needs the run mode. */
function effectiveWeight(
  name: string,
  weight: tf.Variable,
  sn: SpectralNorm | null,
  mode: RunMode | undefined,
): tf.Tensor {
  if (sn == null) return weight;
  if (mode == null) throw new Error(`${name}: a spectrally normalised layer needs the run mode`);
  return sn.apply(mode);
}

/** Sum over the rows of x viewed as [M, C]. */
function channelSum(x2d: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(x2d, 0);
}

/**
 * LeakyReLU as relu(x) − α·relu(−x): the same function, 4-5x faster than tfjs's leakyRelu and its gradient
 * on the wasm backend here, and differentiable twice (gradient penalties need that).
 */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  // The native backend computes the same floats in one pass each way (src/backend/dnnl_kernels.ts).
  if (tf.getKernel(LEAKY_RELU_KERNEL, tf.getBackend()) != null)
    return tf.engine().runKernel(LEAKY_RELU_KERNEL, { x }, { alpha }) as T;
  return tf.tidy(() => tf.sub(tf.relu(x), tf.mul(tf.relu(tf.neg(x)), alpha)) as T);
}

export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly sn: SpectralNorm | null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerOptions = {},
  ) {
    const bound = 1 / Math.sqrt(inFeatures);
    const init = options.init ?? 'pytorch';
    this.kernel = store.weight(`${name}/kernel`, [inFeatures, outFeatures], init, bound);
    this.bias = store.bias(`${name}/bias`, outFeatures, init, bound);
    this.sn = options.spectralNorm ? new SpectralNorm(store, name, this.kernel) : null;
  }

  /** `mode` is needed with spectral norm. */
  apply(x: tf.Tensor2D, mode?: RunMode): tf.Tensor2D {
    if (this.sn == null) return tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias);
    return tf.tidy(() =>
      tf.add(tf.matMul(x, effectiveWeight(this.name, this.kernel, this.sn, mode) as tf.Tensor2D), this.bias),
    );
  }
}

export type Padding = 'same' | 'valid' | number;

function explicitPad(p: Padding): 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] {
  return typeof p === 'number'
    ? [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]
    : p;
}

/** A 2-D convolution; `padding` as a number pads every side by that much, as PyTorch's `padding=p`. */
export class Conv2d {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly sn: SpectralNorm | null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly inChannels: number,
    readonly filters: number,
    readonly kernelSize: number,
    readonly stride: number,
    readonly padding: Padding,
    options: LayerOptions = {},
  ) {
    const bound = 1 / Math.sqrt(inChannels * kernelSize * kernelSize);
    const init = options.init ?? 'pytorch';
    this.kernel = store.weight(`${name}/kernel`, [kernelSize, kernelSize, inChannels, filters], init, bound);
    this.bias = store.bias(`${name}/bias`, filters, init, bound);
    this.sn = options.spectralNorm ? new SpectralNorm(store, name, this.kernel) : null;
  }

  /** `mode` is needed with spectral norm. */
  apply(x: tf.Tensor4D, mode?: RunMode): tf.Tensor4D {
    if (x.shape[3] !== this.inChannels) {
      throw new Error(`${this.name}: expected [N, H, W, ${this.inChannels}], got [${x.shape}]`);
    }
    if (this.sn == null)
      return tf.add(tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, explicitPad(this.padding)), this.bias);
    return tf.tidy(() => {
      const kernel = effectiveWeight(this.name, this.kernel, this.sn, mode) as tf.Tensor4D;
      return tf.add(tf.conv2d(x, kernel, this.stride, explicitPad(this.padding)), this.bias);
    });
  }
}

/**
 * A transposed convolution. Output size is input·stride with 'same' padding; with kernel 4 and stride 2
 * that is PyTorch's ConvTranspose2d(k=4, s=2, p=1). The kernel is [k, k, out, in] (tfjs layout); its
 * initialisation bound uses fanIn = out·k·k, as PyTorch computes it for transposed convolutions.
 */
export class ConvTranspose2d {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly sn: SpectralNorm | null;

  constructor(
    store: ParamStore,
    readonly name: string,
    inChannels: number,
    readonly filters: number,
    readonly kernelSize: number,
    readonly stride: number,
    options: LayerOptions = {},
  ) {
    const bound = 1 / Math.sqrt(filters * kernelSize * kernelSize);
    const init = options.init ?? 'pytorch';
    this.kernel = store.weight(`${name}/kernel`, [kernelSize, kernelSize, filters, inChannels], init, bound);
    this.bias = store.bias(`${name}/bias`, filters, init, bound);
    this.sn = options.spectralNorm ? new SpectralNorm(store, name, this.kernel) : null;
  }

  /** `mode` is needed with spectral norm. */
  apply(x: tf.Tensor4D, mode?: RunMode): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const out: [number, number, number, number] = [n, h * this.stride, w * this.stride, this.filters];
    if (this.sn == null)
      return tf.add(tf.conv2dTranspose(x, this.kernel as tf.Tensor4D, out, this.stride, 'same'), this.bias);
    return tf.tidy(() => {
      const kernel = effectiveWeight(this.name, this.kernel, this.sn, mode) as tf.Tensor4D;
      return tf.add(tf.conv2dTranspose(x, kernel, out, this.stride, 'same'), this.bias);
    });
  }
}

/** What the BatchNorm variants share: running statistics with PyTorch's conventions. */
interface NormStats {
  readonly name: string;
  readonly channels: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
}

/**
 * Batch normalisation over every axis but the last, with PyTorch's conventions: running statistics
 * updated with momentum 0.1, the unbiased batch variance in the running variance, eps 1e-5.
 * The training-mode gradient is written out (one pass, no broadcasting Tile), not derived by the tape;
 * with `RunMode.secondOrder` the tape derives it instead, so that it can be differentiated again.
 */
export class BatchNorm implements NormStats {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly channels: number,
    readonly momentum = 0.1,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.param(`${name}/gamma`, [channels], new Float32Array(channels).fill(1));
    this.beta = store.param(`${name}/beta`, [channels], new Float32Array(channels));
    this.runningMean = store.buffer(`${name}/running_mean`, [channels], new Float32Array(channels));
    this.runningVar = store.buffer(`${name}/running_var`, [channels], new Float32Array(channels).fill(1));
  }

  apply<T extends tf.Tensor>(x: T, mode: RunMode): T {
    return batchNorm(this, x, this.gamma, this.beta, mode) as T;
  }
}

function batchNorm(s: NormStats, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, mode: RunMode): tf.Tensor {
  if (x.shape[x.rank - 1] !== s.channels) {
    throw new Error(`${s.name}: expected ${s.channels} channels, got shape [${x.shape}]`);
  }
  if (!mode.training) {
    return tf.tidy(() => {
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(s.runningVar, s.epsilon)));
      const shift = tf.sub(beta, tf.mul(s.runningMean, scale));
      return tf.add(tf.mul(x, scale), shift);
    });
  }
  // The running statistics' momentum for this pass, or null when the pass leaves them alone.
  const momentum = (mode.updateStats ?? true) ? (mode.statsMomentum ?? s.momentum) : null;
  return mode.secondOrder
    ? batchNormPlain(s, x, gamma, beta, momentum)
    : batchNormFast(s, x, gamma, beta, momentum, mode.reduce);
}

function updateRunning(s: NormStats, mean: tf.Tensor, variance: tf.Tensor, m: number, momentum: number): void {
  const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
  s.runningMean.assign(tf.add(tf.mul(s.runningMean, 1 - momentum), tf.mul(mean, momentum)));
  s.runningVar.assign(tf.add(tf.mul(s.runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
}

/** Training mode with plain ops: the tape derives the gradient, and the gradient's gradient. */
function batchNormPlain(
  s: NormStats,
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  momentum: number | null,
): tf.Tensor {
  return tf.tidy(() => {
    const c = s.channels;
    const m = x.size / c;
    const x2 = tf.reshape(x, [m, c]);
    const mean = tf.mean(x2, 0);
    const centered = tf.sub(x2, mean);
    const variance = tf.mean(tf.square(centered), 0);
    if (momentum != null) updateRunning(s, mean, variance, m, momentum);
    const normalized = tf.mul(centered, tf.rsqrt(tf.add(variance, s.epsilon)));
    return tf.reshape(tf.add(tf.mul(normalized, gamma), beta), x.shape);
  });
}

/** Training mode with the hand-written gradient: fast, but its own derivative misses the batch statistics' terms. */
function batchNormFast(
  s: NormStats,
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  momentum: number | null,
  reduce?: (t: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const c = s.channels;
  const local = x.size / c;
  if (!reduce && tf.getKernel(BATCH_NORM_KERNEL, tf.getBackend()) != null)
    return batchNormNative(s, x, gamma, beta, momentum);
  // With `reduce`, the moments and the gradient's sums are the global batch's (m images over all processes).
  const m = reduce ? reduce(tf.scalar(local)).dataSync()[0] : local;
  const total = (t: tf.Tensor) => (reduce ? reduce(t) : t);
  const eps = s.epsilon;
  const f = tf.customGrad((xIn, g, b, save) => {
    const x2 = tf.reshape(xIn as tf.Tensor, [local, c]) as tf.Tensor2D;
    const mean = tf.div(total(channelSum(x2)), m);
    const centered = tf.sub(x2, mean);
    const variance = tf.div(total(channelSum(tf.square(centered) as tf.Tensor2D)), m);
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const normalized = tf.mul(centered, invStd);
    if (momentum != null) updateRunning(s, mean, variance, m, momentum);
    (save as tf.GradSaveFunc)([normalized, invStd, g as tf.Tensor]);
    const y = tf.add(tf.mul(normalized, g as tf.Tensor), b as tf.Tensor);
    return {
      value: tf.reshape(y, (xIn as tf.Tensor).shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, inv, gam] = saved;
        const dy2 = tf.reshape(dy, [local, c]) as tf.Tensor2D;
        const dBeta = channelSum(dy2);
        const dGamma = channelSum(tf.mul(dy2, xhat) as tf.Tensor2D);
        // dx = gamma·invStd/m · (m·dy − Σdy − x̂·Σ(dy·x̂)), the sums over the global batch; γ's and β's gradients
        // stay this process's (they are averaged with the other parameters' gradients).
        const inner = tf.sub(tf.sub(tf.mul(dy2, m), total(dBeta)), tf.mul(xhat, total(dGamma)));
        const dx = tf.mul(inner, tf.div(tf.mul(gam, inv), m));
        return [tf.reshape(dx, dy.shape), dGamma, dBeta];
      },
    };
  });
  return f(x, gamma, beta);
}

/**
 * batchNormFast's arithmetic in two native kernels (forward: three passes over x; backward: two over dy), where the
 * native backend registers them: the same values up to float rounding (its sums accumulate per 64 rows in float,
 * then in double), a seventh of the kernels, and no [rows, c] temporaries but x̂.
 */
function batchNormNative(
  s: NormStats,
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  momentum: number | null,
): tf.Tensor {
  const c = s.channels;
  const rows = x.size / c;
  const f = tf.customGrad((xIn, g, b, save) => {
    const x2 = tf.reshape(xIn as tf.Tensor, [rows, c]);
    const [y, xhat, mean, variance, invStd] = tf.engine().runKernel(
      BATCH_NORM_KERNEL,
      { x: x2, gamma: g as tf.Tensor, beta: b as tf.Tensor },
      {
        epsilon: s.epsilon,
      },
    ) as tf.Tensor[];
    if (momentum != null) updateRunning(s, mean, variance, rows, momentum);
    (save as tf.GradSaveFunc)([xhat, g as tf.Tensor, invStd]);
    return {
      value: tf.reshape(y, (xIn as tf.Tensor).shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhatSaved, gam, inv] = saved;
        const inputs = { dy: tf.reshape(dy, [rows, c]), xhat: xhatSaved, gamma: gam, invStd: inv };
        const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs) as tf.Tensor[];
        return [tf.reshape(dx, dy.shape), dGamma, dBeta];
      },
    };
  });
  return f(x, gamma, beta);
}

/**
 * Conditional BatchNorm (de Vries et al. 2017, as in SNGAN's and BigGAN's generators): BatchNorm without its
 * own affine part, then a per-class scale and shift gathered from tables [K, C] (`${name}/gamma`, ones, and
 * `${name}/beta`, zeros).
 */
export class ConditionalBatchNorm implements NormStats {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly momentum = 0.1;
  readonly epsilon = 1e-5;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly channels: number,
    readonly numClasses: number,
  ) {
    this.gamma = store.param(`${name}/gamma`, [numClasses, channels], new Float32Array(numClasses * channels).fill(1));
    this.beta = store.param(`${name}/beta`, [numClasses, channels], new Float32Array(numClasses * channels));
    this.runningMean = store.buffer(`${name}/running_mean`, [channels], new Float32Array(channels));
    this.runningVar = store.buffer(`${name}/running_var`, [channels], new Float32Array(channels).fill(1));
  }

  /**
   * x [N, H, W, C], labels int32 [N]. `strength` (a [1] tensor, 0 to 1) blends each class's gain and shift with
   * their mean over the classes: at 0 every class gets the mean, as an unconditional BatchNorm would.
   */
  apply(x: tf.Tensor4D, mode: RunMode, labels: tf.Tensor1D, strength?: tf.Tensor): tf.Tensor4D {
    const n = x.shape[0];
    checkLabels(labels, n, this.name);
    return tf.tidy(() => {
      const h = batchNorm(this, x, tf.ones([this.channels]), tf.zeros([this.channels]), mode);
      const pick = (table: tf.Tensor) => {
        const own = tf.gather(table, labels);
        if (strength == null) return own;
        const mean = tf.mean(table, 0, true);
        return tf.add(mean, tf.mul(tf.sub(own, mean), strength));
      };
      const scale = tf.reshape(pick(this.gamma), [n, 1, 1, this.channels]);
      const shift = tf.reshape(pick(this.beta), [n, 1, 1, this.channels]);
      return tf.add(tf.mul(h, scale), shift);
    });
  }
}

/** Average pooling 2×2 (stride 2) as reshape and mean, differentiable twice; H and W must be even. */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`avgPool2: expected even height and width, got [${x.shape}]`);
  return tf.tidy(() => tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]) as tf.Tensor4D);
}

/**
 * Nearest-neighbour upsampling ×2 as a broadcast product with ones (tfjs's resize ops have no second-order
 * gradient): its gradient is one sum over the broadcast axes, where tiles' gradient (slices added up) cost as much as
 * a 3×3 convolution's backward pass on wasm.
 */
export function upsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(
    () =>
      tf.reshape(tf.mul(tf.reshape(x, [n * h, 1, w, 1, c]), tf.ones([1, 2, 1, 2, 1])), [
        n,
        2 * h,
        2 * w,
        c,
      ]) as tf.Tensor4D,
  );
}

/**
 * ProGAN's minibatch standard deviation: the mean over positions and channels of the per-position standard
 * deviation across a group of images, appended as one more channel. `groupSize` 0 takes the whole batch as one group
 * (one scalar for every image); otherwise image i joins the images i ± k·N/G (G = the largest divisor of N at most
 * `groupSize`), as StyleGAN2's layer does with groups of 4: each image then carries its own group's spread, a
 * signal G can answer per image.
 */
export function minibatchStd(x: tf.Tensor4D, groupSize = 0): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  let g = groupSize <= 0 ? n : Math.min(groupSize, n);
  while (n % g !== 0) g--;
  return tf.tidy(() => {
    const grouped = tf.reshape(x, [g, n / g, h, w, c]);
    const centered = tf.sub(grouped, tf.mean(grouped, 0));
    const std = tf.sqrt(tf.add(tf.mean(tf.square(centered), 0), 1e-8));
    const s = tf.reshape(tf.mean(std, [1, 2, 3]), [1, n / g, 1, 1, 1]);
    const channel = tf.reshape(tf.mul(tf.ones([g, n / g, h, w, 1]), s), [n, h, w, 1]);
    return tf.concat([x, channel], 3) as tf.Tensor4D;
  });
}

/** An embedding table [K, F] (N(0, 1) init, as nn.Embedding), optionally spectrally normalised. */
export class Embedding {
  readonly table: tf.Variable;
  readonly sn: SpectralNorm | null;

  /** `scale`: the standard deviation of the default N(0, scale²) table. */
  constructor(
    store: ParamStore,
    readonly name: string,
    numClasses: number,
    features: number,
    options: LayerOptions = {},
    scale = 1,
  ) {
    const init = options.init ?? 'pytorch';
    const shape = [numClasses, features];
    this.table =
      init === 'pytorch'
        ? store.param(
            `${name}/table`,
            shape,
            store.rng.normals(numClasses * features).map((v) => v * scale),
          )
        : store.weight(`${name}/table`, shape, init, 0);
    this.sn = options.spectralNorm ? new SpectralNorm(store, name, this.table) : null;
  }

  apply(labels: tf.Tensor1D, mode: RunMode): tf.Tensor2D {
    return tf.tidy(() => tf.gather(effectiveWeight(this.name, this.table, this.sn, mode), labels) as tf.Tensor2D);
  }
}

/** Throws unless a conditional network got int32 labels [n]. */
export function checkLabels(labels: tf.Tensor | undefined, n: number, what: string): tf.Tensor1D {
  if (labels == null) throw new Error(`${what} is class-conditional: apply(x, mode, labels) needs int32 labels [${n}]`);
  if (labels.rank !== 1 || labels.shape[0] !== n || labels.dtype !== 'int32') {
    throw new Error(`${what}: expected int32 labels [${n}], got ${labels.dtype} [${labels.shape}]`);
  }
  return labels as tf.Tensor1D;
}
