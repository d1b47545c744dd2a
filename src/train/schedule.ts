/**
 * Learning-rate decay (--lr-decay F): both rates hold for the first 1 − F of the run and fall linearly to zero over
 * its last F, as pix2pix's linear decay. The run's length is its epochs, or its time budget where that ends it
 * sooner: a budgeted run anneals on the clock, so that it stops with small steps wherever the budget finds it.
 */
import type { TrainConfig } from '../config.js';
import type { Gan } from './gan.js';

/** The factor on the learning rates at `progress` (0 at the start, 1 at the end of the run). */
export function lrFactor(decay: number, progress: number): number {
  if (decay <= 0) return 1;
  return Math.min(1, Math.max(0, (1 - progress) / decay));
}

/**
 * The run's progress: steps done of its steps, or seconds trained of its budget, whichever is further. `budget`
 * in seconds (0: none).
 */
export function runProgress(globalStep: number, totalSteps: number, seconds: number, budget: number): number {
  const byTime = budget > 0 ? seconds / budget : 0;
  return Math.max(globalStep / totalSteps, byTime);
}

/** Sets both optimisers' rates to the config's times `factor`. */
export function scaleLearningRates(gan: Gan, config: TrainConfig, factor: number): void {
  gan.gOptimizer.options.lr = config.lr * factor;
  gan.dOptimizer.options.lr = (config.dLr ?? config.lr) * factor;
}
