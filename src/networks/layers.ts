/**
 * The building blocks networks are made of: a parameter store with stable names (what checkpoints save),
 * and layers as small classes over plain tfjs ops. Tensors are NHWC.
 *
 * Initialisation follows PyTorch's defaults, which the reference DCGAN relies on: weights and biases
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (kaiming_uniform with a = sqrt(5)), BatchNorm gamma 1 and beta 0.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/** How a network is being run. */
export interface RunMode {
  /** Batch statistics (true) or running statistics (false) in BatchNorm. */
  training: boolean;
  /** Whether a training-mode pass updates BatchNorm's running statistics. */
  updateStats?: boolean;
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

  /** Every variable by name, parameters then buffers. */
  all(): Map<string, tf.Variable> {
    return new Map([...this.params, ...this.buffers]);
  }

  dispose(): void {
    for (const v of this.all().values()) v.dispose();
  }

  private add(into: Map<string, tf.Variable>, name: string, shape: number[], values: Float32Array, trainable: boolean): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const initial = tf.tensor(values, shape, 'float32');
    const v = tf.variable(initial, trainable);
    initial.dispose();
    into.set(name, v);
    return v;
  }
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
  return tf.tidy(() => tf.sub(tf.relu(x), tf.mul(tf.relu(tf.neg(x)), alpha)) as T);
}

export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(store: ParamStore, readonly name: string, readonly inFeatures: number, readonly outFeatures: number) {
    const bound = 1 / Math.sqrt(inFeatures);
    this.kernel = store.uniform(`${name}/kernel`, [inFeatures, outFeatures], bound);
    this.bias = store.uniform(`${name}/bias`, [outFeatures], bound);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias);
  }
}

export type Padding = 'same' | 'valid' | number;

function explicitPad(p: Padding): 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] {
  return typeof p === 'number' ? [[0, 0], [p, p], [p, p], [0, 0]] : p;
}

/** A 2-D convolution; `padding` as a number pads every side by that much, as PyTorch's `padding=p`. */
export class Conv2d {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(store: ParamStore, readonly name: string, inChannels: number, readonly filters: number,
    readonly kernelSize: number, readonly stride: number, readonly padding: Padding) {
    const bound = 1 / Math.sqrt(inChannels * kernelSize * kernelSize);
    this.kernel = store.uniform(`${name}/kernel`, [kernelSize, kernelSize, inChannels, filters], bound);
    this.bias = store.uniform(`${name}/bias`, [filters], bound);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.add(tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, explicitPad(this.padding)), this.bias);
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

  constructor(store: ParamStore, readonly name: string, inChannels: number, readonly filters: number,
    readonly kernelSize: number, readonly stride: number) {
    const bound = 1 / Math.sqrt(filters * kernelSize * kernelSize);
    this.kernel = store.uniform(`${name}/kernel`, [kernelSize, kernelSize, filters, inChannels], bound);
    this.bias = store.uniform(`${name}/bias`, [filters], bound);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const out: [number, number, number, number] = [n, h * this.stride, w * this.stride, this.filters];
    return tf.add(tf.conv2dTranspose(x, this.kernel as tf.Tensor4D, out, this.stride, 'same'), this.bias);
  }
}

/**
 * Batch normalisation over every axis but the last, with PyTorch's conventions: running statistics
 * updated with momentum 0.1, the unbiased batch variance in the running variance, eps 1e-5.
 * The training-mode gradient is written out (one pass, no broadcasting Tile), not derived by the tape.
 */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(store: ParamStore, readonly name: string, readonly channels: number,
    readonly momentum = 0.1, readonly epsilon = 1e-5) {
    this.gamma = store.param(`${name}/gamma`, [channels], new Float32Array(channels).fill(1));
    this.beta = store.param(`${name}/beta`, [channels], new Float32Array(channels));
    this.runningMean = store.buffer(`${name}/running_mean`, [channels], new Float32Array(channels));
    this.runningVar = store.buffer(`${name}/running_var`, [channels], new Float32Array(channels).fill(1));
  }

  apply<T extends tf.Tensor>(x: T, mode: RunMode): T {
    if (x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`${this.name}: expected ${this.channels} channels, got shape [${x.shape}]`);
    }
    if (!mode.training) {
      return tf.tidy(() => {
        const scale = tf.mul(this.gamma, tf.rsqrt(tf.add(this.runningVar, this.epsilon)));
        const shift = tf.sub(this.beta, tf.mul(this.runningMean, scale));
        return tf.add(tf.mul(x, scale), shift) as T;
      });
    }
    return this.train(x, this.gamma, this.beta, mode.updateStats ?? true) as T;
  }

  private train(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, updateStats: boolean): tf.Tensor {
    const c = this.channels;
    const m = x.size / c;
    const eps = this.epsilon;
    const f = tf.customGrad((xIn, g, b, save) => {
      const x2 = tf.reshape(xIn as tf.Tensor, [m, c]) as tf.Tensor2D;
      const mean = tf.div(channelSum(x2), m);
      const centered = tf.sub(x2, mean);
      const variance = tf.div(channelSum(tf.square(centered) as tf.Tensor2D), m);
      const invStd = tf.rsqrt(tf.add(variance, eps));
      const normalized = tf.mul(centered, invStd);
      if (updateStats) {
        const unbiased = m > 1 ? tf.mul(variance, m / (m - 1)) : variance;
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(mean, this.momentum)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(unbiased, this.momentum)));
      }
      (save as tf.GradSaveFunc)([normalized, invStd, g as tf.Tensor]);
      const y = tf.add(tf.mul(normalized, g as tf.Tensor), b as tf.Tensor);
      return {
        value: tf.reshape(y, (xIn as tf.Tensor).shape),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xhat, inv, gam] = saved;
          const dy2 = tf.reshape(dy, [m, c]) as tf.Tensor2D;
          const dBeta = channelSum(dy2);
          const dGamma = channelSum(tf.mul(dy2, xhat) as tf.Tensor2D);
          // dx = gamma·invStd/m · (m·dy − Σdy − x̂·Σ(dy·x̂))
          const inner = tf.sub(tf.sub(tf.mul(dy2, m), dBeta), tf.mul(xhat, dGamma));
          const dx = tf.mul(inner, tf.div(tf.mul(gam, inv), m));
          return [tf.reshape(dx, dy.shape), dGamma, dBeta];
        },
      };
    });
    return f(x, gamma, beta);
  }
}
