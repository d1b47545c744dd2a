/** Evaluation during training (`--eval-every N`): the generator's FID and friends against the data set's test split. */
import type { TrainConfig } from '../config.js';
import { DataError } from '../data/errors.js';
import { loadData } from '../data/index.js';
import type { Network } from '../networks/network.js';
import { generateImages, latentNoise } from '../train/sample.js';
import { deriveSeed } from '../util/random.js';
import { evaluate, realFeatures, type EvalResult } from './evaluate.js';
import { builtinExtractor } from './extractor.js';

export interface TrainingEvaluator {
  evaluate(generator: Network): EvalResult;
  dispose(): void;
}

export async function createTrainingEvaluator(config: TrainConfig, cacheDir: string): Promise<TrainingEvaluator> {
  if (config.data != null) {
    throw new DataError('--eval-every needs a named data set (mnist, mnist-full, fashion-mnist): gantry has no feature extractor for image folders yet');
  }
  const real = await loadData({ ...config, split: 'test' });
  const count = Math.min(config.evalCount, real.count);
  const extractor = await builtinExtractor(config.dataset);
  const reference = `${config.dataset}/test`;
  const realSide = realFeatures(real, reference, count, extractor, cacheDir);
  const z = latentNoise(deriveSeed(config.seed, 'eval'), count, config.latentDim);
  return {
    evaluate(generator) {
      const [h, w, c] = generator.outputShape;
      const images = generateImages(generator, z, config.latentDim);
      return evaluate(realSide, `${config.dataset} (test)`, { images, count, height: h, width: w, channels: c }, extractor, new Set(['fid', 'kid', 'is', 'modes']));
    },
    dispose: () => extractor.dispose(),
  };
}
