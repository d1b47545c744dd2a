/**
 * Evaluation: features of generated (or any) images against cached features of a real data set, and the
 * requested metrics, with the protocol (extractor, resize, counts) that makes the numbers comparable.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../data/dataset.js';
import { datasetHash } from '../data/index.js';
import { writeFileAtomic } from '../io/files.js';
import type { Extracted, FeatureExtractor } from './extractor.js';
import { frechetDistance, gaussianStats, rankWarning } from './fid.js';
import { inceptionScore } from './inception_score.js';
import { kernelInceptionDistance } from './kid.js';
import { type ModeCoverage, modeCoverage } from './modes.js';
import { precisionRecall } from './precision_recall.js';

export const METRICS = ['fid', 'kid', 'is', 'pr', 'modes'] as const;
export type MetricName = (typeof METRICS)[number];

export interface ImageBatch {
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface EvalResult {
  fid?: number;
  kid?: number;
  kid_std?: number;
  is?: number;
  is_std?: number;
  precision?: number;
  recall?: number;
  modes?: ModeCoverage;
  /** Pixel spread of the generated images: the mean over pixels of their standard deviation across images, in
   * [0, 0.5] of the pixel range (near 0: the images are all alike). */
  spread?: number;
  /** For a class-conditional G: the same spread within each class, averaged over the classes. */
  class_spread?: number;
  /** The same two spreads of the real images G is judged against (class spread: when they have labels). */
  real_spread?: number;
  real_class_spread?: number;
  /** Class by class (by class index; null where fewer than two images have it), generated and real. */
  class_spreads?: (number | null)[];
  real_class_spreads?: (number | null)[];
  protocol: {
    extractor: string;
    reference: string;
    real_count: number;
    generated_count: number;
    /** The side the images were compared at (the real images'; the extractor resizes both to its input). */
    real_size?: number;
    kid_subsets?: string;
    pr_k?: number;
  };
  warnings: string[];
}

/** The first `count` images of a data set as a batch. */
export function firstImages(d: ImageDataset, count: number): ImageBatch {
  const n = Math.min(count, d.count);
  return {
    images: d.images.subarray(0, n * d.height * d.width * d.channels),
    count: n,
    height: d.height,
    width: d.width,
    channels: d.channels,
  };
}

/** Real features of a data set, cached on disk by (data content, extractor, count), written atomically. */
export function realFeatures(
  data: ImageDataset,
  reference: string,
  count: number,
  extractor: FeatureExtractor,
  cacheDir: string,
): Extracted {
  const batch = firstImages(data, count);
  const key = createHash('sha256')
    .update(JSON.stringify([datasetHash(data), reference, extractor.id, batch.count]))
    .digest('hex')
    .slice(0, 32);
  const base = join(cacheDir, 'stats', key);
  const classes = extractor.classes ?? 0;
  try {
    const index = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {
      count: number;
      featureDim: number;
      classes: number;
    };
    const bytes = readFileSync(`${base}.bin`);
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    if (index.count === batch.count && floats.length === batch.count * (extractor.featureDim + classes)) {
      const split = batch.count * extractor.featureDim;
      return {
        features: floats.slice(0, split),
        probs: classes ? floats.slice(split) : null,
        count: batch.count,
        size: batch.height,
      };
    }
  } catch {
    // Not cached yet (or unreadable): compute.
  }
  const out = extractor.extract(batch.images, batch.count, batch.height, batch.width, batch.channels);
  const all = new Float32Array(out.features.length + (out.probs?.length ?? 0));
  all.set(out.features);
  if (out.probs) all.set(out.probs, out.features.length);
  writeFileAtomic(`${base}.bin`, new Uint8Array(all.buffer));
  writeFileAtomic(
    `${base}.json`,
    JSON.stringify({
      reference,
      extractor: extractor.id,
      count: batch.count,
      featureDim: extractor.featureDim,
      classes,
    }),
  );
  return { ...out, size: batch.height };
}

export function evaluate(
  real: Extracted,
  reference: string,
  generated: ImageBatch,
  extractor: FeatureExtractor,
  metrics: Set<MetricName>,
): EvalResult {
  const fake = extractor.extract(
    generated.images,
    generated.count,
    generated.height,
    generated.width,
    generated.channels,
  );
  const d = extractor.featureDim;
  const result: EvalResult = {
    protocol: {
      extractor: extractor.description,
      reference,
      real_count: real.count,
      generated_count: fake.count,
      ...(real.size != null ? { real_size: real.size } : {}),
    },
    warnings: [],
  };
  if (metrics.has('fid')) {
    const a = gaussianStats(real.features, real.count, d);
    const b = gaussianStats(fake.features, fake.count, d);
    for (const w of [rankWarning(a, 'real'), rankWarning(b, 'generated')]) if (w) result.warnings.push(w);
    result.fid = frechetDistance(a, b);
  }
  if (metrics.has('kid')) {
    const kid = kernelInceptionDistance(real.features, real.count, fake.features, fake.count, d);
    result.kid = kid.mean;
    result.kid_std = kid.std;
    result.protocol.kid_subsets = `${kid.subsets}×${kid.subsetSize}`;
  }
  if (metrics.has('is') && fake.probs && extractor.classes) {
    const score = inceptionScore(fake.probs, fake.count, extractor.classes);
    result.is = score.mean;
    result.is_std = score.std;
  }
  if (metrics.has('pr')) {
    Object.assign(result, precisionRecall(real.features, real.count, fake.features, fake.count, d, 3));
    result.protocol.pr_k = 3;
  }
  if (metrics.has('modes') && fake.probs && real.probs && extractor.classes) {
    result.modes = modeCoverage(fake.probs, fake.count, real.probs, real.count, extractor.classes);
  }
  return result;
}
