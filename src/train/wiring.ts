/**
 * The one place a config becomes step options: D's view of images (DiffAugment, ADA, instance noise), the penalties
 * (gradient penalty, lazy R1), weight clipping, ADA's p and the EMA of G. `gantry train` and the tests use it alike.
 */
import * as tf from '@tensorflow/tfjs';
import { classCount, type TrainConfig } from '../config.js';
import { setLabelStrength } from '../networks/parts.js';
import type { Rng } from '../util/random.js';
import { type AdaState, adaAugment, adaObserve, adaOpsOf } from './ada.js';
import { diffAugment, instanceNoise } from './augment.js';
import { updateEma } from './ema.js';
import type { Gan } from './gan.js';
import { type PathLengthState, PL_BATCH_SHRINK, PL_EVERY, pathLengthPenalty } from './path_length.js';
import { gradientPenalty, r1Penalty } from './penalties.js';
import type { StepOptions } from './step.js';

/** What a run adds to the config's step options: ADA's state, and a sum over the processes of a data-parallel run. */
export interface StepContext {
  ada?: AdaState;
  pathLength?: PathLengthState;
  sum?: (values: Float64Array) => void;
}

/**
 * --cond-ramp K: the class conditioning's strength after `images` training images: 0 for the first K thousand, then
 * rising linearly to 1 over the next K thousand (Shahbazi et al. 2022, "Collapse by Conditioning").
 */
export function labelStrengthAt(images: number, kimg: number): number {
  if (kimg <= 0) return 1;
  return Math.min(1, Math.max(0, images / (1000 * kimg) - 1));
}

/** D's inputs, penalties, clipping and EMA as the config asks; random draws come from the run's `rng`. */
export function stepOptions(
  gan: Gan,
  config: TrainConfig,
  rng: Rng,
  progress: () => number,
  context: StepContext = {},
): StepOptions {
  const options: StepOptions = { acgan: config.conditioning === 'acgan' };
  const ada = context.ada;
  const adaOps = adaOpsOf(config.adaOps);
  if (config.diffAugment !== 'none' || config.instanceNoise > 0 || ada != null) {
    options.dInput = (x) =>
      tf.tidy(() => {
        let y = diffAugment(x, config.diffAugment, rng);
        if (ada != null) y = adaAugment(y, ada.p, rng, adaOps);
        return instanceNoise(y, config.instanceNoise * Math.max(0, 1 - progress()), rng);
      });
  }
  const afterDStep: (() => void)[] = [];
  if (ada != null && config.ada) {
    // The signs of D's real logits, counted at each D step; p moves every few D steps (ada.ts).
    let signs = { sum: 0, count: 0 };
    options.observeReal = (logits) => {
      signs = { sum: tf.tidy(() => tf.sum(tf.sign(logits)).dataSync()[0]), count: logits.shape[0] };
    };
    afterDStep.push(() => {
      adaObserve(ada, signs, gan.dOptimizer.step, config.adaTarget, config.adaKimg, context.sum);
      signs = { sum: 0, count: 0 };
    });
  }
  if (config.gpWeight > 0 || config.r1Gamma > 0) {
    options.dPenalty = (critic, real, fake) => {
      // D's optimizer counts D steps and is checkpointed, so a resumed run keeps the lazy schedule.
      const dSteps = gan.dOptimizer.step + 1;
      const terms: tf.Scalar[] = [];
      if (config.gpWeight > 0)
        terms.push(tf.mul(config.gpWeight, gradientPenalty(critic, real, fake, rng.uniforms(real.shape[0], 0, 1))));
      // Lazy R1: every r1Every-th D step, scaled by r1Every so the penalty's average strength stays γ/2.
      // R1 with ADA is taken through the pipeline (fresh draws), as the reference does: D is kept smooth around the
      // augmented reals it is trained on, not only around the plain ones.
      const r1Critic = ada != null ? (x: tf.Tensor4D) => critic(adaAugment(x, ada.p, rng, adaOps)) : critic;
      if (config.r1Gamma > 0 && dSteps % config.r1Every === 0)
        terms.push(tf.mul((config.r1Gamma / 2) * config.r1Every, r1Penalty(r1Critic, real)));
      return terms.length === 0 ? null : terms.reduce((a, b) => tf.add(a, b));
    };
  }
  // G's optimizer counts G steps and is checkpointed, so a resumed run keeps the path-length schedule.
  const plStep = () => config.plWeight > 0 && (gan.gOptimizer.step + 1) % PL_EVERY === 0;
  if (config.plWeight > 0) {
    const state = context.pathLength;
    if (state == null) throw new Error('--pl-weight needs the run state of its running mean');
    const n = Math.max(2, Math.floor(config.batchSize / PL_BATCH_SHRINK));
    options.generatorPenalty = () =>
      plStep()
        ? tf.mul(
            config.plWeight * PL_EVERY,
            pathLengthPenalty(gan.generator, n, config.latentDim, classCount(config), rng, state, context.sum),
          )
        : null;
  }
  if ((config.r1Gamma > 0 && config.r1Every > 1) || config.plWeight > 0) {
    // The lazy R1 and path-length steps take D's update out of G's tape: both graphs at once outgrew wasm's memory
    // (stylegan, 64 px, batch 32).
    options.dStepApart = () => (config.r1Gamma > 0 && (gan.dOptimizer.step + 1) % config.r1Every === 0) || plStep();
  }
  if (config.weightClip > 0) {
    const c = config.weightClip;
    afterDStep.unshift(() =>
      tf.tidy(() => {
        for (const v of gan.discriminator.store.params.values()) v.assign(tf.clipByValue(v, -c, c));
      }),
    );
  }
  if (afterDStep.length > 0) options.afterDStep = () => afterDStep.forEach((f) => f());
  const afterGStep: (() => void)[] = [];
  if (config.condRamp > 0) {
    // The strength for the coming step, from the G steps taken (checkpointed: a resumed run goes on where it was).
    const setStrength = () => {
      const s = labelStrengthAt(gan.gOptimizer.step * config.batchSize, config.condRamp);
      setLabelStrength(gan.generator.store, s);
      setLabelStrength(gan.discriminator.store, s);
    };
    setStrength();
    afterGStep.push(setStrength);
  }
  const ema = gan.generatorEma;
  // After the strength: the EMA generator copies G's buffers.
  if (ema != null) afterGStep.push(() => updateEma(ema, gan.generator, config.ema, gan.gOptimizer.step));
  if (afterGStep.length > 0) options.afterGStep = () => afterGStep.forEach((f) => f());
  return options;
}
