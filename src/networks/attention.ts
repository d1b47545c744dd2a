/**
 * SAGAN's self-attention block (Zhang et al. 2019) and where the families may put it.
 *
 * 1×1 convolutions f, g (C → C/8) and h (C → C/2), attention β = softmax over positions i of g(x_j)·f(x_i),
 * o_j = Σ_i β_ji h(x_i), a 1×1 convolution back to C, and y = γ·o + x with γ a parameter starting at 0.
 * The 1×1 convolutions are dense layers over the channel axis; everything is differentiable twice.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, type LayerOptions, type ParamStore, type RunMode } from './layers.js';
import type { NetworkSpec } from './network.js';

export class SelfAttention {
  readonly f: Dense;
  readonly g: Dense;
  readonly h: Dense;
  readonly out: Dense;
  readonly gamma: tf.Variable;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly channels: number,
    options: LayerOptions = {},
  ) {
    const key = Math.max(1, Math.floor(channels / 8));
    const value = Math.max(1, Math.floor(channels / 2));
    this.f = new Dense(store, `${name}/f`, channels, key, options);
    this.g = new Dense(store, `${name}/g`, channels, key, options);
    this.h = new Dense(store, `${name}/h`, channels, value, options);
    this.out = new Dense(store, `${name}/out`, value, channels, options);
    this.gamma = store.param(`${name}/gamma`, [1], new Float32Array(1));
  }

  apply(x: tf.Tensor4D, mode: RunMode): tf.Tensor4D {
    const [n, hh, ww, c] = x.shape;
    if (c !== this.channels)
      throw new Error(`${this.name}: expected ${this.channels} channels, got shape [${x.shape}]`);
    const p = hh * ww;
    return tf.tidy(() => {
      const flat = tf.reshape(x, [n * p, c]) as tf.Tensor2D;
      const perImage = (t: tf.Tensor2D) => tf.reshape(t, [n, p, t.shape[1]]) as tf.Tensor3D;
      const f = perImage(this.f.apply(flat, mode));
      const g = perImage(this.g.apply(flat, mode));
      const h = perImage(this.h.apply(flat, mode));
      const beta = tf.softmax(tf.matMul(g, f, false, true)); // [n, j, i], normalised over i
      const o = tf.reshape(tf.matMul(beta, h), [n * p, h.shape[2]]) as tf.Tensor2D;
      const y = tf.reshape(this.out.apply(o, mode), [n, hh, ww, c]);
      return tf.add(x, tf.mul(this.gamma, y)) as tf.Tensor4D;
    });
  }
}

/**
 * Feature-map sides at which a family puts attention: imageSize/4 and imageSize/2, where both its G and its D
 * have a feature map of that side. Throws, naming them, when `spec.attention` is none of them.
 */
export function checkAttention(spec: NetworkSpec, family: string): void {
  if (spec.attention === 0) return;
  const valid = [spec.imageSize / 4, spec.imageSize / 2];
  if (!valid.includes(spec.attention)) {
    throw new Error(
      `attention ${spec.attention}: the ${family} networks at ${spec.imageSize}×${spec.imageSize} have attention sizes ${valid.join(' or ')} (or 0 for none)`,
    );
  }
}
