/**
 * Data by name or path: the bundled MNIST digits (default), the standard IDX sets (mnist-full,
 * fashion-mnist), the emoji sets (emoji-twitter, emoji-google: 64×64 RGB on white, see emoji.ts), a folder of
 * IDX files, or a folder of images. Also the content hash a run records so a resumed run refuses other data.
 */
import { createHash } from 'node:crypto';
import type { ImageDataset } from './dataset.js';
import { EMOJI_SIZE, loadEmoji } from './emoji.js';
import { DataError } from './errors.js';
import { loadImageFolder } from './folder.js';
import { defaultCacheDir, IDX_SETS, isIdxFolder, loadIdxFolder, locateIdxSet, type Split } from './idx_sets.js';
import { loadBundledMnist } from './mnist.js';

export const DATASET_NAMES = ['mnist', 'mnist-full', 'fashion-mnist', 'emoji-twitter', 'emoji-google'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface DataSource {
  /** A named data set; ignored when `data` is set. */
  dataset: DatasetName;
  /** A folder of images or of IDX files. */
  data: string | null;
  split: Split;
  /** For image folders: the square size, channels, fit and background. */
  imageSize: number;
  channels: number;
  fit: 'crop' | 'pad';
  background: 'black' | 'white';
  strict: boolean;
}

export interface LoadHooks {
  cacheDir?: string;
  progress?: (done: number, total: number) => void;
  warn?: (message: string) => void;
}

/** IDX and emoji data sets come in one shape; --resolution and --channels cannot change it. */
function checkShape(name: string, size: number, channels: number, source: DataSource): void {
  if (source.imageSize !== size || source.channels !== channels) {
    throw new DataError(`${name} images are ${size}×${size} with ${channels} channel(s); --resolution and --channels apply to image folders`);
  }
}

function checkFixedShape(d: ImageDataset, source: DataSource): ImageDataset {
  checkShape(d.name, d.height, d.channels, source);
  return d;
}

export async function loadData(source: DataSource, hooks: LoadHooks = {}): Promise<ImageDataset> {
  const cacheDir = hooks.cacheDir ?? defaultCacheDir();
  if (source.data != null) {
    if (isIdxFolder(source.data)) return checkFixedShape(loadIdxFolder(source.data, source.split, source.data, null), source);
    return loadImageFolder(source.data, {
      resolution: source.imageSize, channels: source.channels as 1 | 3, fit: source.fit, background: source.background,
      strict: source.strict, cacheDir, progress: hooks.progress, warn: hooks.warn,
    });
  }
  if (source.dataset === 'emoji-twitter' || source.dataset === 'emoji-google') {
    // Always composited on white (--background applies to image folders); split by a hash of the emoji.
    checkShape(source.dataset, EMOJI_SIZE, 3, source);
    return loadEmoji(source.dataset === 'emoji-twitter' ? 'twitter' : 'google', source.split, cacheDir, hooks);
  }
  if (source.dataset === 'mnist') {
    // train: all 10,000 digits; test: the last 2,000, which gantry's MNIST classifier never saw.
    const all = checkFixedShape(loadBundledMnist(), source);
    if (source.split === 'train') return all;
    return { ...all, images: all.images.subarray(8000 * 784), labels: all.labels!.subarray(8000), count: 2000 };
  }
  const dir = locateIdxSet(source.dataset, cacheDir);
  if (dir == null) {
    const hint = source.dataset === 'fashion-mnist' ? 'apt-get install dataset-fashion-mnist, or gantry data download fashion-mnist' : 'gantry data download mnist';
    throw new DataError(`${source.dataset} is not on this machine (${hint})`);
  }
  return checkFixedShape(loadIdxFolder(dir, source.split, source.dataset, IDX_SETS[source.dataset].classNames), source);
}

/** A short hash of a data set's pixels, shape and labels: equal hashes mean the same training data. */
export function datasetHash(d: ImageDataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([d.count, d.height, d.width, d.channels, d.classNames]));
  h.update(d.images);
  if (d.labels) h.update(d.labels);
  if (d.sources) h.update(d.sources);
  return h.digest('hex').slice(0, 16);
}
