/**
 * Data by name or path: a named data set from the registry (registry.ts: the bundled MNIST digits by default, the
 * standard IDX sets, the emoji sets), a folder of IDX files, or a folder of images. Also the content hash a run
 * records so a resumed run refuses other data.
 */
import { createHash } from 'node:crypto';
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';
import { loadImageFolder } from './folder.js';
import { defaultCacheDir, isIdxFolder, loadIdxFolder } from './idx_sets.js';
import { DATASETS, type DatasetName } from './registry.js';
import { downscaleDataset } from './resize.js';
import type { Split } from './set.js';

export { DATASET_NAMES, DATASETS, type DatasetName, datasetOf, isDatasetName } from './registry.js';

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

/**
 * IDX and named data sets come in one shape: --channels cannot change it, and --resolution can only make the images
 * smaller (a short time budget trains a 32 px G on the 64 px emoji; docs/MODELS.md).
 */
function checkShape(name: string, size: number, channels: number, source: DataSource): void {
  if (source.channels !== channels || source.imageSize > size) {
    throw new DataError(
      `${name} images are ${size}×${size} with ${channels} channel(s); --channels applies to image folders, and --resolution can only make them smaller`,
    );
  }
}

export async function loadData(source: DataSource, hooks: LoadHooks = {}): Promise<ImageDataset> {
  const cacheDir = hooks.cacheDir ?? defaultCacheDir();
  if (source.data != null) {
    if (isIdxFolder(source.data)) {
      const d = loadIdxFolder(source.data, source.split, source.data, null);
      checkShape(d.name, d.height, d.channels, source);
      return downscaleDataset(d, source.imageSize);
    }
    return loadImageFolder(source.data, {
      resolution: source.imageSize,
      channels: source.channels as 1 | 3,
      fit: source.fit,
      background: source.background,
      strict: source.strict,
      cacheDir,
      progress: hooks.progress,
      warn: hooks.warn,
    });
  }
  const set = DATASETS[source.dataset];
  checkShape(source.dataset, set.imageSize, set.channels, source);
  return downscaleDataset(await set.load(source.split, { ...hooks, cacheDir }), source.imageSize);
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
