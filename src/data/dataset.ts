/**
 * An in-memory image data set (uint8 pixels, HWC) and its batching: a seeded order per epoch, so a
 * resumed run sees exactly the batches an uninterrupted one would, and batches as float tensors in [−1, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, Rng } from '../util/random.js';

export interface ImageDataset {
  name: string;
  /** n·height·width·channels bytes, image after image. */
  images: Uint8Array;
  labels: Uint8Array | null;
  classNames: string[] | null;
  count: number;
  height: number;
  width: number;
  channels: number;
  /**
   * A stable identifier per image, aligned with `images`: for image folders the path relative to the folder,
   * for the emoji sets the package's file name (e.g. "1f385-1f3fb.png"). Absent for IDX and bundled MNIST.
   */
  keys?: string[];
  /**
   * Paired data (image-to-image translation): `images` are the targets and `sources` the matching inputs,
   * image i of one paired with image i of the other; n·height·width·sourceChannels bytes, same height and width.
   */
  sources?: Uint8Array;
  /** Channels of `sources`; set exactly when `sources` is. */
  sourceChannels?: number;
}

/** How `--limit` picks its images: the first N, or N spread evenly over the set's order. */
export const SUBSETS = ['first', 'spread'] as const;
export type Subset = (typeof SUBSETS)[number];

/**
 * `limit` images of a data set (the whole set when limit is null): the first ones, or with 'spread' image
 * ⌊i·count/limit⌋ for i < limit — every part of an ordered set (the emoji sort by code point: their first 500 are
 * half flags) in proportion.
 */
export function limitDataset(data: ImageDataset, limit: number | null, subset: Subset = 'first'): ImageDataset {
  if (limit == null || limit >= data.count) return data;
  const at = subset === 'spread' ? (i: number) => Math.floor((i * data.count) / limit) : (i: number) => i;
  return pickImages(
    data,
    Array.from({ length: limit }, (_, i) => at(i)),
  );
}

/** The images at `indices` (in that order), with their labels, keys and sources. */
function pickImages(data: ImageDataset, indices: readonly number[]): ImageDataset {
  const size = data.height * data.width * data.channels;
  const images = new Uint8Array(indices.length * size);
  indices.forEach((k, i) => images.set(data.images.subarray(k * size, (k + 1) * size), i * size));
  const sourceSize = data.sources ? data.height * data.width * data.sourceChannels! : 0;
  const sources = data.sources ? new Uint8Array(indices.length * sourceSize) : undefined;
  if (sources)
    indices.forEach((k, i) =>
      sources.set(data.sources!.subarray(k * sourceSize, (k + 1) * sourceSize), i * sourceSize),
    );
  return {
    ...data,
    count: indices.length,
    images,
    labels: data.labels ? Uint8Array.from(indices, (k) => data.labels![k]) : null,
    ...(data.keys && { keys: indices.map((k) => data.keys![k]) }),
    ...(sources && { sources }),
  };
}

/** Steps in one epoch: every image once; the last batch is smaller when the batch size does not divide n. */
export function stepsPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/** The order images are visited in epoch `epoch` (1-based), a function of the seed alone. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return new Rng(deriveSeed(seed, 'data-order', epoch)).permutation(count);
}

/** Bytes to [−1, 1]. */
const TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/**
 * Batch `step` (1-based) of an epoch order, as [b, h, w, c] floats in [−1, 1]. Indices from `count` up
 * (with --mirror) stand for image index − count flipped horizontally. The last batch may be smaller.
 */
export function batchTensor(data: ImageDataset, order: Int32Array, step: number, batchSize: number): tf.Tensor4D {
  const start = (step - 1) * batchSize;
  const end = Math.min(start + batchSize, order.length);
  const { height: h, width: w, channels: c } = data;
  const size = h * w * c;
  const out = new Float32Array((end - start) * size);
  for (let i = start; i < end; i++) {
    const flip = order[i] >= data.count;
    const src = (flip ? order[i] - data.count : order[i]) * size;
    const dst = (i - start) * size;
    if (!flip) {
      for (let k = 0; k < size; k++) out[dst + k] = TO_UNIT[data.images[src + k]];
      continue;
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const from = src + (y * w + (w - 1 - x)) * c;
        const to = dst + (y * w + x) * c;
        for (let k = 0; k < c; k++) out[to + k] = TO_UNIT[data.images[from + k]];
      }
    }
  }
  return tf.tensor4d(out, [end - start, h, w, c]);
}

/** The class labels of batch `step`, as int32 [b] (flipped copies keep their label), or null without labels. */
export function batchLabels(
  data: ImageDataset,
  order: Int32Array,
  step: number,
  batchSize: number,
): tf.Tensor1D | null {
  if (data.labels == null) return null;
  const start = (step - 1) * batchSize;
  const end = Math.min(start + batchSize, order.length);
  const out = new Int32Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = data.labels[order[i] % data.count];
  return tf.tensor1d(out, 'int32');
}
