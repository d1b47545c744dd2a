/** Evaluation during training (`--eval-every N`): the generator's FID and friends against the data set's test split. */
import type { TrainConfig } from '../config.js';
import type { ImageDataset } from '../data/dataset.js';
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
 * The mean over classes of the pixel spread among the images of that class (a conditional G that draws one picture
 * per class spreads widely across classes, and not at all within one).
 */
export function classSpread(images: Uint8Array, labels: Int32Array): number {
  const size = images.length / labels.length;
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const members = byClass.get(label);
    if (members) members.push(i);
    else byClass.set(label, [i]);
  });
  const spreads = [...byClass.values()]
    .filter((members) => members.length >= 2)
    .map((members) => {
      const group = new Uint8Array(members.length * size);
      members.forEach((m, j) => group.set(images.subarray(m * size, (m + 1) * size), j * size));
      return pixelSpread(group, members.length);
    });
  return spreads.reduce((a, b) => a + b, 0) / Math.max(1, spreads.length);
}

/**
 * Why an evaluation looks collapsed, or null: the images nearly all alike (spread under 0.02 of the pixel range;
 * real digits spread ≈ 0.19), the same within each class of a conditional G, or a classifier that sees at most 2 of
 * 5 or more classes in them.
 */
export function collapseSign(result: Omit<EvalResult, 'warnings'>): string | null {
  if (result.spread != null && result.spread < 0.02)
    return `the generated images are nearly all alike (pixel spread ${result.spread.toFixed(3)})`;
  if (result.class_spread != null && result.class_spread < 0.02)
    return `within each class the generated images are nearly all alike (pixel spread ${result.class_spread.toFixed(3)})`;
  const modes = result.modes;
  if (modes != null && modes.classes >= 5 && modes.covered <= 2)
    return `the generated images fall in ${modes.covered} of ${modes.classes} classes`;
  return null;
}

export interface TrainingEvaluator {
  evaluate(generator: Network): EvalResult;
  dispose(): void;
}

/**
 * Named data sets are judged against their test split with their own classifier (or `evalFeatures`; the emoji
 * sets: the `emoji` classifier); an image folder against its own training images (`data`, already loaded) with
 * the classifier `evalFeatures` names.
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
  const realSide = realFeatures(real, reference, count, extractor, cacheDir);
  const z = latentNoise(deriveSeed(config.seed, 'eval'), count, config.latentDim);
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
        ...(labels != null ? { class_spread: classSpread(images, labels) } : {}),
      };
    },
    dispose: () => extractor.dispose(),
  };
}
