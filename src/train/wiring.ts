/**
 * The one place a config becomes step options: D's view of images (DiffAugment, instance noise), the penalties
 * (gradient penalty, lazy R1), weight clipping and the EMA of G. `gantry train` and the tests use it alike.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import type { Rng } from '../util/random.js';
import { diffAugment, instanceNoise } from './augment.js';
import { updateEma } from './ema.js';
import type { Gan } from './gan.js';
import { gradientPenalty, r1Penalty } from './penalties.js';
import type { StepOptions } from './step.js';

/** D's inputs, penalties, clipping and EMA as the config asks; random draws come from the run's `rng`. */
export function stepOptions(gan: Gan, config: TrainConfig, rng: Rng, progress: () => number): StepOptions {
  const options: StepOptions = { acgan: config.conditioning === 'acgan' };
  if (config.diffAugment !== 'none' || config.instanceNoise > 0) {
    options.dInput = (x) =>
      tf.tidy(() =>
        instanceNoise(diffAugment(x, config.diffAugment, rng), config.instanceNoise * Math.max(0, 1 - progress()), rng),
      );
  }
  if (config.gpWeight > 0 || config.r1Gamma > 0) {
    options.dPenalty = (critic, real, fake) => {
      // D's optimizer counts D steps and is checkpointed, so a resumed run keeps the lazy schedule.
      const dSteps = gan.dOptimizer.step + 1;
      const terms: tf.Scalar[] = [];
      if (config.gpWeight > 0)
        terms.push(tf.mul(config.gpWeight, gradientPenalty(critic, real, fake, rng.uniforms(real.shape[0], 0, 1))));
      // Lazy R1: every r1Every-th D step, scaled by r1Every so the penalty's average strength stays γ/2.
      if (config.r1Gamma > 0 && dSteps % config.r1Every === 0)
        terms.push(tf.mul((config.r1Gamma / 2) * config.r1Every, r1Penalty(critic, real)));
      return terms.length === 0 ? null : terms.reduce((a, b) => tf.add(a, b));
    };
  }
  if (config.weightClip > 0) {
    const c = config.weightClip;
    options.afterDStep = () =>
      tf.tidy(() => {
        for (const v of gan.discriminator.store.params.values()) v.assign(tf.clipByValue(v, -c, c));
      });
  }
  const ema = gan.generatorEma;
  if (ema != null) options.afterGStep = () => updateEma(ema, gan.generator, config.ema, gan.gOptimizer.step);
  return options;
}
