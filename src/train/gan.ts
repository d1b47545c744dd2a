/**
 * A GAN under training: both networks and their optimizers, built from a config, and their complete state
 * as named tensors (what a checkpoint stores) so a run can stop and continue exactly.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import type { StoredTensor } from '../io/checkpoint.js';
import { bceDiscriminatorLoss, nonSaturatingGeneratorLoss } from '../losses.js';
import { ARCHITECTURES, type Network } from '../networks/network.js';
import { deriveSeed } from '../util/random.js';
import { Adam } from './adam.js';
import type { GanLosses, GanModels } from './step.js';

export interface Gan extends GanModels {
  gOptimizer: Adam;
  dOptimizer: Adam;
  losses: GanLosses;
}

export function buildGenerator(config: TrainConfig): Network {
  const spec = { latentDim: config.latentDim, imageSize: config.imageSize, channels: config.channels };
  return ARCHITECTURES[config.architecture].generator(spec, deriveSeed(config.seed, 'init-G'));
}

export function createGan(config: TrainConfig): Gan {
  const spec = { latentDim: config.latentDim, imageSize: config.imageSize, channels: config.channels };
  const adam = { lr: config.lr, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon };
  return {
    generator: buildGenerator(config),
    discriminator: ARCHITECTURES[config.architecture].discriminator(spec, deriveSeed(config.seed, 'init-D')),
    gOptimizer: new Adam(adam),
    dOptimizer: new Adam(adam),
    losses: { discriminator: bceDiscriminatorLoss, generator: nonSaturatingGeneratorLoss },
  };
}

export function disposeGan(gan: Gan): void {
  gan.generator.store.dispose();
  gan.discriminator.store.dispose();
  gan.gOptimizer.dispose();
  gan.dOptimizer.dispose();
}

/** Every variable of a network and its optimizer, by checkpoint name ("G/dense/kernel", "G/adam.m/..."). */
function networkVariables(prefix: string, net: Network, optimizer: Adam): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, v] of net.store.all()) out.set(`${prefix}/${name}`, v);
  const params = [...net.store.params];
  const moments = optimizer.state(params.map(([, v]) => v));
  params.forEach(([name], i) => {
    out.set(`${prefix}/adam.m/${name}`, moments[2 * i]);
    out.set(`${prefix}/adam.v/${name}`, moments[2 * i + 1]);
  });
  return out;
}

export function ganVariables(gan: Gan): Map<string, tf.Variable> {
  return new Map([...networkVariables('G', gan.generator, gan.gOptimizer), ...networkVariables('D', gan.discriminator, gan.dOptimizer)]);
}

export function readVariables(variables: Map<string, tf.Variable>): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [name, v] of variables) out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
  return out;
}

/** Assigns stored values to variables; every variable must be present with its shape. */
export function assignVariables(variables: Map<string, tf.Variable>, stored: Map<string, StoredTensor>, where: string): void {
  for (const [name, v] of variables) {
    const t = stored.get(name);
    if (t == null) throw new Error(`${where}: missing tensor ${name}`);
    if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`${where}: ${name} has shape [${t.shape}], expected [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}
