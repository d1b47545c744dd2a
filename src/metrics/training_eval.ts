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
      const images = generateImages(generator, z, config.latentDim, generationLabels(config, count));
      return evaluate(
        realSide,
        label,
        { images, count, height: h, width: w, channels: c },
        extractor,
        new Set(['fid', 'kid', 'is', 'modes']),
      );
    },
    dispose: () => extractor.dispose(),
  };
}
