/**
 * The four image-to-image tasks as pair-making: from a batch of real images (the truth) each makes G's input on
 * the fly, and the honest baseline a user would otherwise have (bicubic upscaling, the gray image, mean-colour fill,
 * the untranslated source). Images are [n, h, w, c] floats in [−1, 1]; random draws come from the run's Rng, so
 * pairs are reproducible and resumable.
 */
import type { Task, TrainConfig } from '../config.js';
import type { Rng } from '../util/random.js';
import { grayToRgb, luma, superresInput } from './degrade.js';
import { applyMask, composite, meanFill, randomMasks, withMaskChannel } from './masks.js';

export type ImageTask = Exclude<Task, 'none'>;

export interface Pairs {
  /** G's input [n, h, w, taskInputChannels] (config.ts). */
  input: Float32Array;
  /** The baseline's answer [n, h, w, c]. */
  baseline: Float32Array;
  /** Inpainting: 1 where a pixel is missing [n, h, w, 1]. */
  masks: Float32Array | null;
}

export interface PairShape {
  n: number;
  size: number;
  channels: number;
}

/**
 * G's input and the baseline for `truth`; translation takes its input from `source` (aligned images), the other
 * tasks degrade the truth itself.
 */
export function makePairs(
  config: TrainConfig,
  truth: Float32Array,
  source: Float32Array | null,
  shape: PairShape,
  rng: Rng,
): Pairs {
  const { n, size: s, channels: c } = shape;
  switch (config.task) {
    case 'superres': {
      const input = superresInput(
        truth,
        n,
        s,
        s,
        c,
        { factor: config.srScale, blur: config.srBlur, noise: config.srNoise },
        rng,
      );
      return { input, baseline: input, masks: null };
    }
    case 'colorize': {
      const input = luma(truth, n, s, s);
      return { input, baseline: grayToRgb(input, n, s, s), masks: null };
    }
    case 'inpaint': {
      const masks = randomMasks(n, s, s, rng, config.masks);
      const masked = applyMask(truth, masks, n, s, s, c, 0);
      return { input: withMaskChannel(masked, masks, n, s, s, c), baseline: meanFill(truth, masks, n, s, s, c), masks };
    }
    case 'translate':
      if (source == null) throw new Error('translate: no source images');
      return { input: source, baseline: source, masks: null };
    case 'none':
      throw new Error('makePairs: no image-to-image task');
  }
}

/** What a task's command returns from G's output: inpainting keeps every known pixel of its input. */
export function finishOutput(
  task: ImageTask,
  output: Float32Array,
  truthOrInput: Float32Array,
  masks: Float32Array | null,
  shape: PairShape,
): Float32Array {
  if (task !== 'inpaint' || masks == null) return output;
  return composite(output, truthOrInput, masks, shape.n, shape.size, shape.size, shape.channels);
}

/** G's input as a colour picture for sample grids (gray replicated; the mask channel dropped). */
export function inputPicture(task: ImageTask, input: Float32Array, shape: PairShape): Float32Array {
  const { n, size: s, channels: c } = shape;
  if (task === 'colorize') return c === 3 ? grayToRgb(input, n, s, s) : input;
  if (task !== 'inpaint') return input;
  const out = new Float32Array(n * s * s * c);
  for (let p = 0; p < n * s * s; p++) for (let k = 0; k < c; k++) out[p * c + k] = input[p * (c + 1) + k];
  return out;
}
