/**
 * Batch sources (plugins.ts): G's input for each real batch. A GAN from noise draws z; a conditional one also
 * takes the real batch's labels and draws a class per fake image; an image-to-image run makes G's input from the
 * real batch (the task's degraded image) and adds L1 and feature matching to G's loss.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { batchLabels, type ImageDataset } from '../data/dataset.js';
import { taskGeneratorTerm, taskInput } from '../image2image/training.js';
import type { Network } from '../networks/network.js';
import type { Rng } from '../util/random.js';
import type { BatchSource } from './plugins.js';

const noise = (config: TrainConfig, n: number, rng: Rng) =>
  tf.tensor2d(rng.normals(n * config.latentDim), [n, config.latentDim]);

export function latentSource(config: TrainConfig): BatchSource {
  return {
    next(real, _order, _step, rng) {
      const z = noise(config, real.shape[0], rng);
      return { input: z, options: {}, tensors: [z] };
    },
  };
}

/** z, the real batch's labels, and a class drawn for each fake image (after z, from the same Rng). */
export function conditionalSource(config: TrainConfig, data: ImageDataset): BatchSource {
  return {
    next(real, order, step, rng) {
      const n = real.shape[0];
      const z = noise(config, n, rng);
      const realLabels = batchLabels(data, order, step, config.batchSize)!;
      const fakeLabels = tf.tensor1d(
        Int32Array.from({ length: n }, () => rng.int(config.numClasses)),
        'int32',
      );
      return { input: z, options: { realLabels, fakeLabels }, tensors: [z, realLabels, fakeLabels] };
    },
  };
}

/** The task's input made from the real batch, which D also sees beside each image. */
export function taskSource(config: TrainConfig, data: ImageDataset, discriminator: Network): BatchSource {
  const generatorTerm = taskGeneratorTerm(discriminator, config);
  return {
    next(real, order, step, rng) {
      const condition = taskInput(config, data, order, step, real, rng);
      return {
        input: condition,
        options: { condition, generatorTerm },
        tensors: [condition],
      };
    },
  };
}
