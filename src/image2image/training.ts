/**
 * What the training loop needs for an image-to-image run (`--task`): the data with a fixed held-out split, each
 * step's G input made from the real batch, G's extra loss terms (L1 to the truth, feature matching), and at each
 * epoch's end a grid of input | output | truth rows and PSNR/SSIM on the held-out images against the baseline.
 */

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { batchTensor, type ImageDataset } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import { type LoadHooks, loadData } from '../data/index.js';
import { loadPairedFolders, selectImages } from '../data/paired.js';
import { DATASET_NAMES, DATASETS, isDatasetName } from '../data/registry.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng } from '../io/png.js';
import { meanPsnr, meanSsim } from '../metrics/image_quality.js';
import { runGenerator } from '../networks/generate.js';
import type { Network } from '../networks/network.js';
import { paired } from '../networks/parts.js';
import { fnv1a } from '../util/hash.js';
import { tileImages, toBytes } from '../util/pixels.js';
import { deriveSeed, Rng } from '../util/random.js';
import { finishOutput, type ImageTask, inputPicture, makePairs, type PairShape } from './task.js';

export interface TaskData {
  train: ImageDataset;
  heldOut: ImageDataset;
}

/** About one image in ten, chosen by a hash of its file name (so adding files does not reshuffle the rest). */
export function splitHeldOut(data: ImageDataset): TaskData {
  const train: number[] = [];
  const heldOut: number[] = [];
  for (let i = 0; i < data.count; i++) (fnv1a(data.keys?.[i] ?? String(i)) % 10 === 0 ? heldOut : train).push(i);
  if (heldOut.length === 0 || train.length === 0)
    throw new DataError(`${data.name}: ${data.count} image(s) are too few to hold some out for evaluation`);
  return {
    train: selectImages(data, train, data.name),
    heldOut: selectImages(data, heldOut, `${data.name} (held out)`),
  };
}

/** The named sets that pair with another style of the same pictures (translation). */
const pairedSets = () => DATASET_NAMES.filter((name) => DATASETS[name].pairs != null);

export async function loadTaskData(config: TrainConfig, hooks: LoadHooks & { cacheDir: string }): Promise<TaskData> {
  if (config.task === 'translate') {
    let { source, target } = config;
    // A named set with a partner style translates from it by default (--dataset emoji-google: twitter → google).
    const partner = config.data == null ? DATASETS[config.dataset].pairs?.partner : undefined;
    if (source == null && partner != null) {
      target = config.dataset;
      source = partner;
    }
    if (source == null || target == null)
      throw new DataError(
        `--task translate needs --source and --target (two folders matched by file name, or two named sets of the same pictures: ${pairedSets().join(', ')}), or --dataset ${pairedSets().join('|')}`,
      );
    const named = isDatasetName(target) ? DATASETS[target].pairs : undefined;
    const context = { ...hooks, cacheDir: hooks.cacheDir };
    const train = named?.load(source, 'train', context);
    if (named != null && train != null)
      return { train: await train, heldOut: (await named.load(source, 'test', context))! };
    const pairs = await loadPairedFolders(source, target, {
      resolution: config.imageSize,
      channels: config.channels as 1 | 3,
      fit: config.fit,
      background: config.background,
      strict: config.strict,
      cacheDir: hooks.cacheDir,
      progress: hooks.progress,
      warn: hooks.warn,
    });
    return splitHeldOut(pairs);
  }
  if (config.data != null) return splitHeldOut(await loadData(config, hooks));
  const train = await loadData({ ...config, split: 'train' }, hooks);
  const heldOut = await loadData({ ...config, split: 'test' }, hooks);
  // A test split inside 'train' (the bundled digits' last 2,000): train on the rest.
  if (DATASETS[config.dataset].heldOut === 'test-within-train')
    return { train: selectImages(train, [...Array(train.count - heldOut.count).keys()], train.name), heldOut };
  return { train, heldOut };
}

const shapeOf = (config: TrainConfig, n: number): PairShape => ({
  n,
  size: config.imageSize,
  channels: config.channels,
});

/** The batch of source images aligned with `batchTensor`'s batch (translation). */
function sourceBatch(data: ImageDataset, order: Int32Array, step: number, batchSize: number): Float32Array | null {
  if (data.sources == null) return null;
  const view = { ...data, images: data.sources, channels: data.sourceChannels ?? data.channels };
  const t = batchTensor(view, order, step, batchSize);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** G's input for one training step, made from the real batch with the run's Rng. */
export function taskInput(
  config: TrainConfig,
  data: ImageDataset,
  order: Int32Array,
  step: number,
  real: tf.Tensor4D,
  rng: Rng,
): tf.Tensor4D {
  const n = real.shape[0];
  const pairs = makePairs(
    config,
    real.dataSync() as Float32Array,
    sourceBatch(data, order, step, config.batchSize),
    shapeOf(config, n),
    rng,
  );
  const c = pairs.input.length / (n * config.imageSize * config.imageSize);
  return tf.tensor4d(pairs.input, [n, config.imageSize, config.imageSize, c]);
}

/** λ·L1(G(x), y), plus feature matching: the mean L1 distance of D's features on the real and the fake pair. */
export function taskGeneratorTerm(
  discriminator: Network,
  config: TrainConfig,
): (fake: tf.Tensor4D, real: tf.Tensor4D, condition: tf.Tensor4D | undefined) => tf.Scalar {
  return (fake, real, condition) => {
    let term = tf.mul(config.l1Weight, tf.mean(tf.abs(tf.sub(fake, real)))) as tf.Scalar;
    const features = discriminator.features;
    if (config.featureMatching > 0 && features != null) {
      const mode = { training: true, updateStats: false };
      const realMaps = features(paired(real, condition), mode);
      const fakeMaps = features(paired(fake, condition), mode);
      const distances = realMaps.map((r, i) => tf.mean(tf.abs(tf.sub(r, fakeMaps[i]))));
      term = tf.add(term, tf.mul(config.featureMatching / distances.length, tf.addN(distances)));
    }
    return term;
  };
}

/** An image-to-image run's scores on held-out images (its G against the truth, and the degraded input's). */
export interface HeldOutScores {
  /** Held-out images scored. */
  count: number;
  /** Mean PSNR of G's output against the truth, in dB. */
  psnr: number;
  /** Mean SSIM of G's output against the truth. */
  ssim: number;
  /** Mean PSNR of the degraded input (G's condition) against the truth, in dB: what G has to beat. */
  baseline_psnr: number;
  /** Mean SSIM of the degraded input against the truth. */
  baseline_ssim: number;
}

/**
 * `count` held-out images as floats (the first ones, or spread evenly over the set), their pairs (the same masks
 * and noise every time) and G's finished output.
 */
export function heldOutPass(
  generator: Network,
  config: TrainConfig,
  heldOut: ImageDataset,
  count: number,
  spread = false,
) {
  const order = Int32Array.from({ length: count }, (_, i) => (spread ? Math.floor((i * heldOut.count) / count) : i));
  const truthTensor = batchTensor(heldOut, order, 1, count);
  const truth = truthTensor.dataSync() as Float32Array;
  truthTensor.dispose();
  const shape = shapeOf(config, count);
  const pairs = makePairs(
    config,
    truth,
    sourceBatch(heldOut, order, 1, count),
    shape,
    new Rng(deriveSeed(config.seed, 'held-out-pairs')),
  );
  const output = finishOutput(
    config.task as ImageTask,
    runGenerator(generator, pairs.input, count),
    truth,
    pairs.masks,
    shape,
  );
  return { truth, pairs, output, shape };
}

/** PSNR and SSIM of G and of the baseline against the truth on the first `evalCount` held-out images, as 8-bit pictures. */
export function evaluateHeldOut(generator: Network, config: TrainConfig, heldOut: ImageDataset): HeldOutScores {
  const count = Math.min(config.evalCount, heldOut.count);
  const { truth, pairs, output } = heldOutPass(generator, config, heldOut, count);
  const image = { height: config.imageSize, width: config.imageSize, channels: config.channels };
  const t = toBytes(truth),
    o = toBytes(output),
    b = toBytes(pairs.baseline);
  return {
    count,
    psnr: meanPsnr(o, t, image),
    ssim: meanSsim(o, t, image),
    baseline_psnr: meanPsnr(b, t, image),
    baseline_ssim: meanSsim(b, t, image),
  };
}

/** samples/epoch-NNN.png: rows of inputs, G's outputs and the truth for held-out images from across the set. */
export function writePairGrid(
  generator: Network,
  config: TrainConfig,
  heldOut: ImageDataset,
  runDir: string,
  epoch: number,
): void {
  const k = Math.min(heldOut.count, 2 * Math.round(Math.sqrt(config.sampleGridSize)));
  const { truth, pairs, output, shape } = heldOutPass(generator, config, heldOut, k, true);
  const s = config.imageSize,
    c = config.channels;
  const rows = new Uint8Array(3 * k * s * s * c);
  rows.set(toBytes(inputPicture(config.task as ImageTask, pairs.input, shape)), 0);
  rows.set(toBytes(output), k * s * s * c);
  rows.set(toBytes(truth), 2 * k * s * s * c);
  const grid = tileImages(rows, 3 * k, s, s, c, k);
  writeFileAtomic(
    join(runDir, 'samples', `epoch-${String(epoch).padStart(3, '0')}.png`),
    encodePng(grid.width, grid.height, c as 1 | 3, grid.pixels),
  );
}
