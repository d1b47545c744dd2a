/**
 * The standard IDX data sets: where their files live, their class names, and the digests downloads are
 * checked against. A folder holding the four standard files (train/t10k images/labels) is an IDX data set.
 */

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';
import { readIdx } from './idx.js';
import type { Split } from './set.js';

export interface IdxFile {
  /** Standard name without .gz, e.g. "train-images-idx3-ubyte". */
  name: string;
  /** SHA-256 of the published .gz archive. */
  gzSha256: string;
  /** SHA-256 of the uncompressed IDX bytes: accepts a mirror that recompressed the archive. */
  rawSha256: string;
}

export interface IdxSet {
  classNames: string[];
  /** Folders searched in order; the download cache is always searched last. */
  folders: string[];
  /** The canonical download location; files are fetched from `${mirror}${name}.gz`. */
  mirror: string;
  files: IdxFile[];
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

// Published archive digests as distributed by the MNIST mirror TensorFlow uses and by Zalando's Fashion-MNIST
// bucket; the raw digests are those of the same archives' contents (Debian's dataset-fashion-mnist package,
// which re-gzips the upstream files without their name header, has exactly these contents).
export const IDX_SETS: Record<'mnist-full' | 'fashion-mnist', IdxSet> = {
  'mnist-full': {
    classNames: DIGITS,
    folders: [],
    mirror: 'https://storage.googleapis.com/cvdf-datasets/mnist/',
    files: [
      {
        name: 'train-images-idx3-ubyte',
        gzSha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
        rawSha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      },
      {
        name: 'train-labels-idx1-ubyte',
        gzSha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
        rawSha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      },
      {
        name: 't10k-images-idx3-ubyte',
        gzSha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
        rawSha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      },
      {
        name: 't10k-labels-idx1-ubyte',
        gzSha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
        rawSha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      },
    ],
  },
  'fashion-mnist': {
    classNames: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
    folders: ['/usr/share/datasets/fashion-mnist'],
    mirror: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    files: [
      {
        name: 'train-images-idx3-ubyte',
        gzSha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        rawSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      },
      {
        name: 'train-labels-idx1-ubyte',
        gzSha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        rawSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      },
      {
        name: 't10k-images-idx3-ubyte',
        gzSha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        rawSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      },
      {
        name: 't10k-labels-idx1-ubyte',
        gzSha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
        rawSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      },
    ],
  },
};

/** gantry's download cache: $GANTRY_CACHE, else $XDG_CACHE_HOME/gantry, else ~/.cache/gantry. */
export function defaultCacheDir(): string {
  if (process.env.GANTRY_CACHE) return process.env.GANTRY_CACHE;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gantry');
}

const FILE_STEMS = (split: Split) => {
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
};

/** The path of a standard IDX file in a folder (raw, .gz, or the "train-images.idx3-ubyte" spelling), or null. */
export function findIdxFile(dir: string, stem: string): string | null {
  const dotted = stem.replace(/-(idx\d-ubyte)$/, '.$1');
  for (const name of [stem, `${stem}.gz`, dotted, `${dotted}.gz`]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** True when the folder holds a split's images and labels in IDX form. */
export function isIdxFolder(dir: string): boolean {
  const stems = FILE_STEMS('train');
  const test = FILE_STEMS('test');
  return (
    (findIdxFile(dir, stems.images) != null && findIdxFile(dir, stems.labels) != null) ||
    (findIdxFile(dir, test.images) != null && findIdxFile(dir, test.labels) != null)
  );
}

/** Loads one split of an IDX folder. */
export function loadIdxFolder(dir: string, split: Split, name: string, classNames: string[] | null): ImageDataset {
  const stems = FILE_STEMS(split);
  const imagesPath = findIdxFile(dir, stems.images);
  const labelsPath = findIdxFile(dir, stems.labels);
  if (imagesPath == null || labelsPath == null) {
    throw new DataError(`${dir} has no ${split} split (${stems.images} and ${stems.labels}, raw or .gz)`);
  }
  const images = readIdx(imagesPath, 3);
  const labels = readIdx(labelsPath, 1);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(`${labelsPath} has ${labels.dims[0]} labels but ${imagesPath} has ${count} images`);
  }
  let maxLabel = 0;
  for (const l of labels.data) maxLabel = Math.max(maxLabel, l);
  const names = classNames ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  if (maxLabel >= names.length)
    throw new DataError(`${labelsPath} has label ${maxLabel}, but ${name} has ${names.length} classes`);
  return { name, images: images.data, labels: labels.data, classNames: names, count, height, width, channels: 1 };
}

/** The first folder holding a standard set's files, searching the cache last; null if none. */
export function locateIdxSet(name: keyof typeof IDX_SETS, cacheDir = defaultCacheDir()): string | null {
  for (const dir of [...IDX_SETS[name].folders, join(cacheDir, name)]) if (isIdxFolder(dir)) return dir;
  return null;
}
