/**
 * The exponential moving average of G's weights (Karras et al. 2018, Yazıcı et al. 2019): a second generator whose
 * parameters follow G's, ema ← β·ema + (1 − β)·θ after every G step, and whose buffers (BatchNorm's running
 * statistics, spectral-norm vectors) are copied. Sampling, evaluation and export use it when it is on.
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../networks/network.js';

export function updateEma(ema: Network, source: Network, decay: number): void {
  tf.tidy(() => {
    for (const [name, p] of source.store.params) {
      const e = ema.store.params.get(name)!;
      e.assign(tf.add(tf.mul(e, decay), tf.mul(p, 1 - decay)));
    }
    for (const [name, b] of source.store.buffers) ema.store.buffers.get(name)!.assign(b);
  });
}

/** Makes `ema` an exact copy of `source` (at the start of a run). */
export function copyWeights(ema: Network, source: Network): void {
  tf.tidy(() => {
    for (const [name, v] of source.store.all()) ema.store.all().get(name)!.assign(v);
  });
}
