/**
 * One training iteration of a GAN, as in the reference: one D step on a real batch and a fake batch, then
 * one G step on the same fake batch (same z, same G weights) through the updated D.
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../networks/network.js';

export interface GanModels {
  generator: Network;
  discriminator: Network;
  gOptimizer: tf.Optimizer;
  dOptimizer: tf.Optimizer;
}

export interface GanLosses {
  discriminator: (realLogits: tf.Tensor, fakeLogits: tf.Tensor) => tf.Scalar;
  generator: (fakeLogits: tf.Tensor) => tf.Scalar;
}

export interface StepLosses {
  dLoss: number;
  gLoss: number;
}

const TRAIN = { training: true } as const;

/**
 * G runs forward once, under the G step's tape; the D step happens inside that tape, as a nested gradient
 * over D's variables only, so the fake batch acts as a constant for D. The outer gradient reaches G's
 * variables only through D(fake) after D's update, exactly as in the reference loop.
 */
export function trainStep(models: GanModels, losses: GanLosses, real: tf.Tensor, z: tf.Tensor): StepLosses {
  const { generator: g, discriminator: d } = models;
  const dVars = [...d.store.params.values()];
  const gVars = [...g.store.params.values()];
  let dLoss: tf.Scalar | null = null;
  const gLoss = models.gOptimizer.minimize(() => {
    const fake = g.apply(z, TRAIN);
    dLoss = tf.keep(models.dOptimizer.minimize(() => losses.discriminator(d.apply(real, TRAIN), d.apply(fake, TRAIN)), true, dVars)!);
    return losses.generator(d.apply(fake, TRAIN));
  }, true, gVars)!;
  const result = { dLoss: dLoss!.dataSync()[0], gLoss: gLoss.dataSync()[0] };
  tf.dispose([dLoss!, gLoss]);
  return result;
}
