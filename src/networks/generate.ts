/**
 * Running a generator for pictures: latent noise from a seed, class labels, images as bytes, and image-to-image
 * inputs in chunks. Node-free: the CLI, the evaluation during training and the studio's browser code all run G
 * through these, so a seed gives the same picture everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { toBytes } from '../util/pixels.js';
import { Rng } from '../util/random.js';
import type { Network } from './network.js';

/** n latent vectors from `seed`; the same seed gives the same vectors (and the first k of n are those of k). */
export function latentNoise(seed: number, n: number, latentDim: number): Float32Array {
  return new Rng(seed).normals(n * latentDim);
}

/**
 * Runs G in inference mode (BatchNorm running statistics) on z, in chunks, and returns the images as bytes.
 * A conditional G needs one class label per image (`generationLabels`). `truncation` ψ: a style-based G pulls w
 * toward its mean w (1: untruncated; other families ignore it).
 */
export function generateImages(
  generator: Network,
  z: Float32Array,
  latentDim: number,
  labels: Int32Array | null = null,
  truncation = 1,
  chunk = 256,
): Uint8Array {
  const n = z.length / latentDim;
  const size = generator.outputShape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * size);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const images = tf.tidy(() => {
      const y = labels ? tf.tensor1d(labels.subarray(start, end), 'int32') : undefined;
      return generator.apply(
        tf.tensor2d(z.subarray(start * latentDim, end * latentDim), [end - start, latentDim]),
        { training: false, truncation },
        y,
      );
    });
    out.set(toBytes(images.dataSync() as Float32Array), start * size);
    images.dispose();
  }
  return out;
}

/**
 * Class labels for n generated images of a run: null for an unconditional one; all `classIndex` when given,
 * else the classes in turn (0, 1, …, K−1, 0, …) so every class is drawn equally.
 */
export function generationLabels(
  config: { conditioning: string; numClasses: number },
  n: number,
  classIndex?: number,
): Int32Array | null {
  const k = config.conditioning === 'none' ? 0 : config.numClasses;
  if (k === 0) {
    if (classIndex != null)
      throw new UsageError('--class: this run is not class-conditional (train with --preset cgan or --conditioning)');
    return null;
  }
  if (classIndex != null && (classIndex < 0 || classIndex >= k))
    throw new UsageError(`--class must be between 0 and ${k - 1} for this run, got ${classIndex}`);
  return Int32Array.from({ length: n }, (_, i) => classIndex ?? i % k);
}

/** Runs G in inference mode on [n, s, s, cIn] inputs, in chunks; returns [n, s, s, c] floats. */
export function runGenerator(generator: Network, input: Float32Array, n: number, chunk = 64): Float32Array {
  const [s, , cIn] = generator.inputShape;
  const size = generator.outputShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * size);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const y = tf.tidy(() =>
      generator.apply(tf.tensor4d(input.subarray(start * s * s * cIn, end * s * s * cIn), [end - start, s, s, cIn]), {
        training: false,
      }),
    );
    out.set(y.dataSync() as Float32Array, start * size);
    y.dispose();
  }
  return out;
}
