/**
 * Paired data for image-to-image translation: two image folders whose files match by relative path
 * without extension (`cats/a.png` ↔ `cats/a.jpg`), loaded as one ImageDataset of the target images with the
 * matching source images in `sources`. Also the subset and pairing helpers the emoji sets use.
 */
import { basename, extname } from 'node:path';
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';
import { type FolderOptions, listFirst, loadImageFolder } from './folder.js';

/** Images `indices` of a data set, in that order, with their labels, keys and (paired data) source images. */
export function selectImages(d: ImageDataset, indices: number[], name = d.name): ImageDataset {
  const pick = (pixels: Uint8Array, size: number) => {
    const out = new Uint8Array(indices.length * size);
    indices.forEach((i, j) => out.set(pixels.subarray(i * size, (i + 1) * size), j * size));
    return out;
  };
  return {
    name,
    images: pick(d.images, d.height * d.width * d.channels),
    labels: d.labels ? Uint8Array.from(indices, (i) => d.labels![i]) : null,
    classNames: d.classNames,
    count: indices.length,
    height: d.height,
    width: d.width,
    channels: d.channels,
    ...(d.keys && { keys: indices.map((i) => d.keys![i]) }),
    ...(d.sources && {
      sources: pick(d.sources, d.height * d.width * (d.sourceChannels ?? d.channels)),
      sourceChannels: d.sourceChannels,
    }),
  };
}

/**
 * The paired data set of `pairs` ([source index, target index]): target images, labels, class names and keys,
 * with the source images aligned in `sources`. Both data sets must have the same height and width.
 */
export function pairImages(
  name: string,
  source: ImageDataset,
  target: ImageDataset,
  pairs: [number, number][],
): ImageDataset {
  if (source.height !== target.height || source.width !== target.width) {
    throw new DataError(
      `${name}: source images are ${source.height}×${source.width} but target images are ${target.height}×${target.width}`,
    );
  }
  const paired = selectImages(
    target,
    pairs.map(([, t]) => t),
    name,
  );
  const sources = selectImages(
    source,
    pairs.map(([s]) => s),
  );
  return { ...paired, sources: sources.images, sourceChannels: source.channels };
}

/** Relative path without extension → image index; two files with one stem (a.png, a.jpg) are an error. */
function byStem(dir: string, d: ImageDataset): Map<string, number> {
  const stems = new Map<string, number>();
  const twice: string[] = [];
  d.keys!.forEach((key, i) => {
    const stem = key.slice(0, key.length - extname(key).length);
    if (stems.has(stem)) twice.push(`${d.keys![stems.get(stem)!]} and ${key}`);
    stems.set(stem, i);
  });
  if (twice.length > 0)
    throw new DataError(
      `${dir}: ${twice.length} name(s) are used by two images, so their pairs are ambiguous: ${listFirst(twice)}`,
    );
  return stems;
}

/**
 * Two image folders as paired data: images whose relative paths match without extension become pairs, in
 * the target folder's order; labels and class names are the target folder's. Files with no match are left
 * out with a warning; no match at all is a DataError. Both folders load with the same options (and cache).
 */
export async function loadPairedFolders(
  sourceDir: string,
  targetDir: string,
  options: FolderOptions,
): Promise<ImageDataset> {
  const source = await loadImageFolder(sourceDir, options);
  const target = await loadImageFolder(targetDir, options);
  const sourceStems = byStem(sourceDir, source);
  const targetStems = byStem(targetDir, target);
  const pairs: [number, number][] = [];
  for (const [stem, t] of targetStems) {
    const s = sourceStems.get(stem);
    if (s != null) pairs.push([s, t]);
  }
  if (pairs.length === 0) {
    throw new DataError(
      `${sourceDir} and ${targetDir} have no images with matching names (relative path without extension), e.g. ${source.keys![0]} and ${target.keys![0]}`,
    );
  }
  const warn = options.warn ?? (() => {});
  for (const [dir, d, own, other] of [
    [sourceDir, source, sourceStems, targetStems],
    [targetDir, target, targetStems, sourceStems],
  ] as const) {
    const unmatched = [...own].filter(([stem]) => !other.has(stem)).map(([, i]) => d.keys![i]);
    if (unmatched.length > 0)
      warn(
        `${unmatched.length} image(s) in ${dir} have no match in the other folder and are left out: ${listFirst(unmatched)}`,
      );
  }
  return pairImages(`${basename(source.name)}-to-${basename(target.name)}`, source, target, pairs);
}
