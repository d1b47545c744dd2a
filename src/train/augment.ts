/**
 * What D sees: DiffAugment (Zhao et al. 2020: colour, translation, cutout, differentiable, applied to real and
 * fake images alike so G learns through it) and instance noise. Random draws come from the run's seeded Rng
 * (checkpointed), so augmented runs stay deterministic and resumable. Images are NHWC in [−1, 1].
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';

/** Per-image brightness (±0.5), saturation (×[0, 2], colour images) and contrast (×[0.5, 1.5]), as in DiffAugment. */
function color(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const n = x.shape[0];
  const perImage = (low: number, high: number) => tf.tensor4d(rng.uniforms(n, low, high), [n, 1, 1, 1]);
  let y: tf.Tensor4D = tf.add(x, perImage(-0.5, 0.5));
  if (x.shape[3] > 1) {
    const mean = tf.mean(y, 3, true);
    y = tf.add(tf.mul(tf.sub(y, mean), perImage(0, 2)), mean);
  }
  const mean = tf.mean(y, [1, 2, 3], true);
  return tf.add(tf.mul(tf.sub(y, mean), perImage(0.5, 1.5)), mean);
}

/** Shifts each image by up to 1/8 of its size in each direction, filling with zeros (one gather). */
function translation(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const sh = Math.floor(h * 0.125 + 0.5),
    sw = Math.floor(w * 0.125 + 0.5);
  const hp = h + 2 * sh,
    wp = w + 2 * sw;
  const padded = tf.reshape(
    tf.pad(x, [
      [0, 0],
      [sh, sh],
      [sw, sw],
      [0, 0],
    ]),
    [n * hp * wp, c],
  );
  const index = new Int32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * sh + 1) - sh,
      dx = rng.int(2 * sw + 1) - sw;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) index[(i * h + y) * w + xx] = (i * hp + y + sh - dy) * wp + xx + sw - dx;
    }
  }
  return tf.reshape(tf.gather(padded, tf.tensor1d(index, 'int32')), [n, h, w, c]);
}

/** Zeroes a square of half the image size at a random place in each image (it may stick out of the image). */
function cutout(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const ch = Math.floor(h * 0.5 + 0.5),
    cw = Math.floor(w * 0.5 + 0.5);
  const mask = new Float32Array(n * h * w).fill(1);
  for (let i = 0; i < n; i++) {
    const cy = rng.int(h + (1 - (ch % 2))) - Math.floor(ch / 2),
      cx = rng.int(w + (1 - (cw % 2))) - Math.floor(cw / 2);
    for (let y = Math.max(0, cy); y < Math.min(h, cy + ch); y++) {
      for (let xx = Math.max(0, cx); xx < Math.min(w, cx + cw); xx++) mask[(i * h + y) * w + xx] = 0;
    }
  }
  return tf.mul(x, tf.tensor4d(mask, [n, h, w, 1]));
}

const POLICIES: Record<string, (x: tf.Tensor4D, rng: Rng) => tf.Tensor4D> = { color, translation, cutout };

/** Applies the policies of a `diffAugment` setting ('none' or e.g. 'color,translation,cutout'), in that order. */
export function diffAugment(x: tf.Tensor4D, policies: string, rng: Rng): tf.Tensor4D {
  if (policies === 'none') return x;
  return tf.tidy(() => policies.split(',').reduce((y, name) => POLICIES[name](y, rng), x));
}

/** x + σ·N(0, 1). */
export function instanceNoise(x: tf.Tensor4D, sigma: number, rng: Rng): tf.Tensor4D {
  if (sigma <= 0) return x;
  return tf.tidy(() => tf.add(x, tf.mul(tf.tensor(rng.normals(x.size), x.shape), sigma)));
}
