/** Generating images from a generator: latent noise from a seed, and images as bytes. */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseSavedConfig, type TrainConfig } from '../config.js';
import { UsageError } from '../cli/options.js';
import { CheckpointError, readCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng, tileImages, toBytes } from '../io/png.js';
import type { Network } from '../networks/network.js';
import { Rng } from '../util/random.js';
import { assignVariables, buildGenerator } from './gan.js';
import { CHECKPOINT_FILE, type TrainState } from './state.js';

/** n latent vectors from `seed`; the same seed gives the same vectors (and the first k of n are those of k). */
export function latentNoise(seed: number, n: number, latentDim: number): Float32Array {
  return new Rng(seed).normals(n * latentDim);
}

/**
 * Runs G in inference mode (BatchNorm running statistics) on z, in chunks, and returns the images as bytes.
 * A conditional G needs one class label per image (`generationLabels`).
 */
export function generateImages(generator: Network, z: Float32Array, latentDim: number, labels: Int32Array | null = null, chunk = 256): Uint8Array {
  const n = z.length / latentDim;
  const size = generator.outputShape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * size);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const images = tf.tidy(() => {
      const y = labels ? tf.tensor1d(labels.subarray(start, end), 'int32') : undefined;
      return generator.apply(tf.tensor2d(z.subarray(start * latentDim, end * latentDim), [end - start, latentDim]), { training: false }, y);
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
export function generationLabels(config: TrainConfig, n: number, classIndex?: number): Int32Array | null {
  const k = config.conditioning === 'none' ? 0 : config.numClasses;
  if (k === 0) {
    if (classIndex != null) throw new UsageError('--class: this run is not class-conditional (train with --preset cgan or --conditioning)');
    return null;
  }
  if (classIndex != null && (classIndex < 0 || classIndex >= k)) throw new UsageError(`--class must be between 0 and ${k - 1} for this run, got ${classIndex}`);
  return Int32Array.from({ length: n }, (_, i) => classIndex ?? i % k);
}

export interface SampleOptions {
  runDir: string;
  count: number;
  seed: number;
  /** Folder for one PNG per image (NNNN.png). */
  outDir?: string;
  /** One grid PNG of all images. */
  gridFile?: string;
  /** Conditional runs: draw only this class (default: the classes in turn). */
  classIndex?: number;
}

/** Loads a run's generator from its checkpoint (so it needs nothing but the run folder). */
export function loadRunGenerator(runDir: string): { generator: Network; config: TrainConfig } {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new CheckpointError(`${runDir} is not a gantry run folder (no ${CHECKPOINT_FILE})`);
  const { state, tensors } = readCheckpoint<TrainState>(path);
  const config = parseSavedConfig(state.config, path);
  const generator = buildGenerator(config);
  // A run that keeps the moving average of G's weights samples with it.
  const prefix = tensors.has(`G_ema/${generator.store.params.keys().next().value}`) ? 'G_ema' : 'G';
  const prefixed = new Map([...generator.store.all()].map(([name, v]) => [`${prefix}/${name}`, v]));
  try {
    assignVariables(prefixed, tensors, path);
  } catch (err) {
    generator.store.dispose();
    throw new CheckpointError((err as Error).message);
  }
  return { generator, config };
}

/** Writes `count` generated images from `seed` as PNG files and/or a grid; returns the files written. */
export function sampleRun(options: SampleOptions): string[] {
  const { generator, config } = loadRunGenerator(options.runDir);
  try {
    const z = latentNoise(options.seed, options.count, config.latentDim);
    const images = generateImages(generator, z, config.latentDim, generationLabels(config, options.count, options.classIndex));
    const [h, w, c] = generator.outputShape;
    const size = h * w * c;
    const written: string[] = [];
    if (options.outDir != null) {
      const digits = Math.max(4, String(options.count - 1).length);
      for (let i = 0; i < options.count; i++) {
        const file = join(options.outDir, `${String(i).padStart(digits, '0')}.png`);
        writeFileAtomic(file, encodePng(w, h, c as 1 | 3, images.subarray(i * size, (i + 1) * size)));
        written.push(file);
      }
    }
    if (options.gridFile != null) {
      const grid = tileImages(images, options.count, h, w, c, Math.ceil(Math.sqrt(options.count)));
      writeFileAtomic(options.gridFile, encodePng(grid.width, grid.height, c as 1 | 3, grid.pixels));
      written.push(options.gridFile);
    }
    return written;
  } finally {
    generator.store.dispose();
  }
}
