/** Evaluation during training (`--eval-every N`): the generator's FID and friends against the data set's test split. */
import type { TrainConfig } from '../config.js';
import { type ImageDataset, limitDataset } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import { loadData } from '../data/index.js';
import { generateImages, generationLabels, latentNoise } from '../networks/generate.js';
import type { Network } from '../networks/network.js';
import { deriveSeed } from '../util/random.js';
import { type EvalResult, evaluate, realFeatures } from './evaluate.js';
import { BUILTIN_EXTRACTORS, builtinExtractor } from './extractor.js';

/** The mean over pixel positions of the images' standard deviation across the batch, in units of the pixel range. */
export function pixelSpread(images: Uint8Array, count: number): number {
  const size = images.length / count;
  let total = 0;
  for (let p = 0; p < size; p++) {
    let sum = 0,
      squares = 0;
    for (let i = 0; i < count; i++) {
      const v = images[i * size + p] / 255;
      sum += v;
      squares += v * v;
    }
    const mean = sum / count;
    total += Math.sqrt(Math.max(0, squares / count - mean * mean));
  }
  return total / size;
}

/**
 * The pixel spread among the images of each class, by class index (null: fewer than two images of that class). A
 * conditional G that draws one picture per class spreads widely across classes, and not at all within one.
 */
export function classSpreads(images: Uint8Array, labels: Int32Array): (number | null)[] {
  const size = images.length / labels.length;
  const byClass: number[][] = [];
  labels.forEach((label, i) => {
    byClass[label] ??= [];
    byClass[label].push(i);
  });
  return Array.from(byClass, (members) => {
    if (members == null || members.length < 2) return null;
    const group = new Uint8Array(members.length * size);
    members.forEach((m, j) => group.set(images.subarray(m * size, (m + 1) * size), j * size));
    return pixelSpread(group, members.length);
  });
}

/** The mean over classes of their pixel spread (classSpreads). */
export function classSpread(images: Uint8Array, labels: Int32Array): number {
  return meanSpread(classSpreads(images, labels));
}

function meanSpread(perClass: (number | null)[]): number {
  const spreads = perClass.filter((v): v is number => v != null);
  return spreads.reduce((a, b) => a + b, 0) / Math.max(1, spreads.length);
}

/** A spread under this share of the real images' own reads as collapsed (healthy runs: 0.7–1; collapsed: ~0.25). */
const COLLAPSED_SHARE = 1 / 3;
/** Without the real images' spread: under this reads as collapsed (real digits spread ≈ 0.19, emoji ≈ 0.27). */
const COLLAPSED_SPREAD = 0.02;

function tooAlike(spread: number, real: number | undefined): boolean {
  return spread < COLLAPSED_SPREAD || (real != null && spread < real * COLLAPSED_SHARE);
}

const spreadNote = (spread: number, real: number | undefined) =>
  `pixel spread ${spread.toFixed(3)}${real != null ? `, the real images' ${real.toFixed(3)}` : ''}`;

/**
 * Why an evaluation looks collapsed, or null: the images nearly all alike (pixel spread under a third of the real
 * images', or under 0.02), the same within each class of a conditional G (measured against the real images of a
 * class), or a classifier that sees at most 2 of 5 or more classes in them. The relative test is what catches a
 * collapse on colour pictures: a cgan drawing one grainy picture per emoji category kept a class spread of 0.063
 * (the real emoji's: 0.240), far above an absolute threshold (docs/MODELS.md).
 */
export function collapseSign(result: Omit<EvalResult, 'warnings'>): string | null {
  if (result.spread != null && tooAlike(result.spread, result.real_spread))
    return `the generated images are nearly all alike (${spreadNote(result.spread, result.real_spread)})`;
  const perClass = result.class_spreads;
  if (perClass != null) {
    // Class by class against the real images of that class: a collapse takes the classes one after another.
    const real = result.real_class_spreads;
    const judged = perClass.flatMap((v, k) => (v == null ? [] : [[v, real?.[k] ?? result.real_class_spread] as const]));
    const alike = judged.filter(([v, r]) => tooAlike(v, r ?? undefined));
    if (alike.length > 0 && alike.length >= judged.length / 2) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const reals = alike.flatMap(([, r]) => (r == null ? [] : [r]));
      return `in ${alike.length} of ${judged.length} classes the generated images are nearly all alike (${spreadNote(
        mean(alike.map(([v]) => v)),
        reals.length > 0 ? mean(reals) : undefined,
      )} within those classes)`;
    }
  } else if (result.class_spread != null && tooAlike(result.class_spread, result.real_class_spread))
    return `within each class the generated images are nearly all alike (${spreadNote(result.class_spread, result.real_class_spread)})`;
  const modes = result.modes;
  if (modes != null && modes.classes >= 5 && modes.covered <= 2)
    return `the generated images fall in ${modes.covered} of ${modes.classes} classes`;
  return null;
}

/**
 * The pixel spread of `count` real images spread evenly over the set (a folder lists its classes in turn), and within
 * their classes when they have labels.
 */
export function spreadsOf(
  real: ImageDataset,
  count: number,
): { real_spread: number; real_class_spread?: number; real_class_spreads?: (number | null)[] } {
  const size = real.height * real.width * real.channels;
  const images = new Uint8Array(count * size);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const at = Math.floor((i * real.count) / count);
    images.set(real.images.subarray(at * size, (at + 1) * size), i * size);
    labels[i] = real.labels?.[at] ?? 0;
  }
  return {
    real_spread: pixelSpread(images, count),
    ...(real.labels != null ? realClassSpreads(classSpreads(images, labels)) : {}),
  };
}

/** The generated images' spread within each class, and its mean. */
export function conditionalSpreads(
  images: Uint8Array,
  labels: Int32Array,
): { class_spread: number; class_spreads: (number | null)[] } {
  const perClass = classSpreads(images, labels);
  return { class_spread: meanSpread(perClass), class_spreads: perClass };
}

const realClassSpreads = (perClass: (number | null)[]) => ({
  real_class_spread: meanSpread(perClass),
  real_class_spreads: perClass,
});

export interface TrainingEvaluator {
  evaluate(generator: Network): EvalResult;
  dispose(): void;
}

/**
 * Named data sets are judged against their test split with their own classifier (or `evalFeatures`; the emoji
 * sets: the `emoji` classifier); an image folder against `evalCount` of its own training images (`data`, already
 * loaded), spread over it, with the classifier `evalFeatures` names.
 */
export async function createTrainingEvaluator(
  config: TrainConfig,
  data: ImageDataset,
  cacheDir: string,
): Promise<TrainingEvaluator> {
  const folder = config.data != null;
  if (folder && config.evalFeatures === 'auto') {
    throw new DataError(
      `--eval-every on an image folder needs --eval-features ${BUILTIN_EXTRACTORS.join('|')} (whose classifier gives the features)`,
    );
  }
  const real = folder ? data : await loadData({ ...config, split: 'test' });
  const count = Math.min(config.evalCount, real.count);
  const extractor = await builtinExtractor(config.evalFeatures === 'auto' ? config.dataset : config.evalFeatures);
  // The cache key names the data by content for folders (their path can hold other images tomorrow).
  const reference = folder ? `folder-${config.dataHash}` : `${config.dataset}/test`;
  const label = folder ? `${config.data} (training images)` : `${config.dataset} (test)`;
  // A folder's files come in name order (the emoji: by code point, so the first few hundred are one kind): judge
  // against images spread over all of it.
  const realSide = realFeatures(
    folder ? limitDataset(real, count, 'spread') : real,
    reference,
    count,
    extractor,
    cacheDir,
  );
  const z = latentNoise(deriveSeed(config.seed, 'eval'), count, config.latentDim);
  const realSpreads = spreadsOf(real, count);
  return {
    evaluate(generator) {
      const [h, w, c] = generator.outputShape;
      const labels = generationLabels(config, count);
      const images = generateImages(generator, z, config.latentDim, labels);
      const result = evaluate(
        realSide,
        label,
        { images, count, height: h, width: w, channels: c },
        extractor,
        new Set(['fid', 'kid', 'is', 'modes']),
      );
      return {
        ...result,
        spread: pixelSpread(images, count),
        ...(labels != null ? conditionalSpreads(images, labels) : {}),
        ...realSpreads,
      };
    },
    dispose: () => extractor.dispose(),
  };
}
