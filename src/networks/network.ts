/**
 * What every network family provides, and the registry the trainer picks families from by name. A new family
 * is a new file with the same two builders, added to ARCHITECTURES; the trainer does not branch on it.
 */
import type * as tf from '@tensorflow/tfjs';
import { dcganDiscriminator, dcganGenerator } from './dcgan.js';
import type { ParamStore, RunMode } from './layers.js';

export interface NetworkSpec {
  latentDim: number;
  imageSize: number;
  channels: number;
}

export interface Network {
  /** Named parameters (optimised) and buffers (BatchNorm running statistics). */
  readonly store: ParamStore;
  /** Shape of one input and one output, without the batch axis. */
  readonly inputShape: number[];
  readonly outputShape: number[];
  apply(x: tf.Tensor, mode: RunMode): tf.Tensor;
  /** An equivalent tfjs-layers model with the current weights (inference mode), for export. */
  layers?(): tf.LayersModel;
}

export type NetworkBuilder = (spec: NetworkSpec, seed: number) => Network;

export const ARCHITECTURES: Record<string, { generator: NetworkBuilder; discriminator: NetworkBuilder }> = {
  dcgan: { generator: dcganGenerator, discriminator: dcganDiscriminator },
};
